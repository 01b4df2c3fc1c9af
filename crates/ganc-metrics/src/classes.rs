//! Classes covered: how many of the classifier's classes appear among the generated samples, the
//! measure mode-collapse papers use on labelled data (VEEGAN's and PacGAN's "modes" on stacked
//! MNIST). A class counts when it holds at least a tenth of an even share of the samples, so a
//! stray misclassified sample does not make a collapsed generator look complete.

use crate::inception_score::softmax;

/// The classes found among the generated samples.
#[derive(Clone, Debug, PartialEq)]
pub struct Classes {
    /// Classes holding at least a tenth of an even share of the samples.
    pub covered: usize,
    /// The samples the classifier puts in each class.
    pub counts: Vec<usize>,
    /// The KL divergence of the class histogram from the uniform distribution (0 when every
    /// class is equally frequent, `ln K` when one class holds everything).
    pub kl_from_uniform: f64,
}

/// Classes covered by samples with class `logits` (`n` rows of `classes`).
pub fn classes_covered(logits: &[f32], classes: usize) -> Classes {
    let mut counts = vec![0usize; classes];
    for row in logits.chunks(classes) {
        let p = softmax(row);
        let best = (0..classes).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap_or(0);
        counts[best] += 1;
    }
    let n = counts.iter().sum::<usize>().max(1) as f64;
    let floor = n / classes as f64 / 10.0;
    let covered = counts.iter().filter(|&&c| c as f64 >= floor && c > 0).count();
    let kl_from_uniform = counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            p * (p * classes as f64).ln()
        })
        .sum();
    Classes { covered, counts, kl_from_uniform }
}

/// The share of samples with class `logits` (`n` rows of `classes`) whose most likely class is
/// their `wanted` one (a class-conditional generator's accuracy: does each sample show the class
/// it was drawn for).
pub fn class_accuracy(logits: &[f32], classes: usize, wanted: &[i64]) -> f64 {
    let hits = logits
        .chunks(classes.max(1))
        .zip(wanted)
        .filter(|(row, &w)| {
            let best = (0..row.len()).max_by(|&a, &b| row[a].total_cmp(&row[b])).unwrap_or(0);
            best as i64 == w
        })
        .count();
    hits as f64 / wanted.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_accuracy_counts_the_rows_whose_best_class_is_the_wanted_one() {
        let logits: Vec<f32> = [0, 1, 2, 2].iter().flat_map(|&c| one_hot(c)).collect();
        assert_eq!(class_accuracy(&logits, 4, &[0, 1, 2, 0]), 0.75);
        assert_eq!(class_accuracy(&logits, 4, &[1, 2, 0, 1]), 0.0);
    }

    fn one_hot(class: usize) -> Vec<f32> {
        (0..4).map(|k| if k == class { 5.0 } else { 0.0 }).collect()
    }

    #[test]
    fn counts_classes_above_a_tenth_of_an_even_share() {
        // 100 samples, 4 classes: an even share is 25, a tenth of it 2.5.
        let mut logits = Vec::new();
        for (class, n) in [(0, 60), (1, 37), (2, 3), (3, 0)] {
            for _ in 0..n {
                logits.extend(one_hot(class));
            }
        }
        let c = classes_covered(&logits, 4);
        assert_eq!(c.counts, vec![60, 37, 3, 0]);
        assert_eq!(c.covered, 3);
        let balanced: Vec<f32> = (0..100).flat_map(|i| one_hot(i % 4)).collect();
        assert!(classes_covered(&balanced, 4).kl_from_uniform.abs() < 1e-12);
        let collapsed: Vec<f32> = (0..100).flat_map(|_| one_hot(2)).collect();
        let c = classes_covered(&collapsed, 4);
        assert_eq!(c.covered, 1);
        assert!((c.kl_from_uniform - 4f64.ln()).abs() < 1e-12);
    }
}
