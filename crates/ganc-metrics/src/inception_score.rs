//! The Inception Score (Salimans et al. 2016): `exp E_x KL(p(y|x) ‖ p(y))` over the generated
//! images, from the feature network's class probabilities. High when each image is confidently
//! one class and all classes appear; at most the number of classes. Computed on `splits`
//! consecutive parts of the samples, as the paper's code does: the mean and spread over parts.

use crate::Spread;

/// The Inception Score of class `logits` (`n` rows of `classes`), over `splits` parts.
pub fn inception_score(logits: &[f32], classes: usize, splits: usize) -> Spread {
    let n = logits.len() / classes;
    let probs: Vec<Vec<f64>> = logits.chunks(classes).map(softmax).collect();
    let splits = splits.clamp(1, n.max(1));
    let scores: Vec<f64> = (0..splits)
        .map(|s| {
            let part = &probs[s * n / splits..(s + 1) * n / splits];
            let mut marginal = vec![0.0; classes];
            for p in part {
                for (m, v) in marginal.iter_mut().zip(p) {
                    *m += v / part.len() as f64;
                }
            }
            let kl: f64 = part
                .iter()
                .map(|p| p.iter().zip(&marginal).filter(|(v, _)| **v > 0.0).map(|(v, m)| v * (v / m).ln()).sum::<f64>())
                .sum::<f64>()
                / part.len() as f64;
            kl.exp()
        })
        .collect();
    Spread::of(&scores)
}

/// The softmax of one row of logits.
pub(crate) fn softmax(row: &[f32]) -> Vec<f64> {
    let max = row.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v)) as f64;
    let exp: Vec<f64> = row.iter().map(|&v| (v as f64 - max).exp()).collect();
    let sum: f64 = exp.iter().sum();
    exp.into_iter().map(|e| e / sum).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Logits that put almost all probability on `class`.
    fn confident(class: usize, classes: usize) -> Vec<f32> {
        (0..classes).map(|k| if k == class { 30.0 } else { 0.0 }).collect()
    }

    #[test]
    fn confident_and_balanced_scores_the_number_of_classes() {
        let logits: Vec<f32> = (0..100).flat_map(|i| confident(i % 10, 10)).collect();
        let s = inception_score(&logits, 10, 1);
        assert!((s.mean - 10.0).abs() < 1e-6, "{s:?}");
    }

    #[test]
    fn one_class_only_or_no_confidence_scores_one() {
        let collapsed: Vec<f32> = (0..100).flat_map(|_| confident(3, 10)).collect();
        assert!((inception_score(&collapsed, 10, 2).mean - 1.0).abs() < 1e-6);
        let unsure = vec![0.5f32; 100 * 10];
        assert!((inception_score(&unsure, 10, 2).mean - 1.0).abs() < 1e-9);
    }

    #[test]
    fn half_the_classes_scores_half() {
        let logits: Vec<f32> = (0..100).flat_map(|i| confident(i % 5, 10)).collect();
        let s = inception_score(&logits, 10, 4);
        assert!((s.mean - 5.0).abs() < 1e-6 && s.std < 1e-6, "{s:?}");
    }
}
