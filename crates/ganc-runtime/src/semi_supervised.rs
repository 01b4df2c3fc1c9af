//! The semi-supervised GAN of Salimans et al. 2016 (section 5): D is a classifier of K classes
//! whose (K+1)-th class, "fake", is implicit: with logits `l_1..l_K` and `Z = Σ exp l_k`,
//! `p(real | x) = Z / (Z + 1) = sigmoid(logsumexp(l))`. D's unlabelled loss is then the usual
//! real/fake loss of the score `logsumexp(l)`; its supervised loss is the cross-entropy of the
//! K logits on a labelled batch ([`crate::auxiliary::cross_entropy`]).

use crate::growth::Growth;
use crate::inputs;
use crate::layers::Ctx;
use crate::network::Net;
use burn::module::Module;
use burn::tensor::{Device, Tensor};
use ganc_data::Data;

/// The real/fake score `logsumexp(l)` `[B, 1]` of class logits `[B, K]`, computed stably.
pub fn score(logits: Tensor<2>) -> Tensor<2> {
    let max = logits.clone().detach().max_dim(1);
    (logits - max.clone()).exp().sum_dim(1).log() + max
}

/// The share of `test` that `d` (evaluated without dropout or noise) labels wrong, in chunks
/// of 500 images; NaN when `test` has no labels.
pub fn test_error(d: &Net, test: &Data, device: &Device) -> f64 {
    let device = device.clone().without_autodiff();
    let d = d.valid();
    let ctx = Ctx { step: u64::MAX, training: false, growth: Growth::FULL };
    let (mut wrong, mut seen, mut unlabelled) = (0usize, 0usize, false);
    inputs::in_chunks(test, usize::MAX, &device, |x, labels| {
        let Some(labels) = labels else {
            unlabelled = true;
            return;
        };
        let logits = d.forward(vec![x], &ctx).flat();
        let predicted = logits.argmax(1).into_data().convert::<i64>().try_into_vec::<i64>().unwrap_or_default();
        wrong += predicted.iter().zip(&labels).filter(|(p, l)| **p != **l as i64).count();
        seen += labels.len();
    });
    if unlabelled {
        return f64::NAN;
    }
    wrong as f64 / seen.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::TensorData;

    #[test]
    fn the_score_is_the_log_odds_of_real_under_the_implicit_fake_class() {
        let device = Device::flex();
        let l = [[2.0f32, -1.0, 0.5], [300.0, 299.0, -50.0]];
        let logits = Tensor::<2>::from_data(TensorData::new(l.concat(), [2, 3]), &device);
        let s = score(logits).into_data().try_into_vec::<f32>().unwrap();
        for (row, got) in l.iter().zip(&s) {
            let max = row.iter().cloned().fold(f32::MIN, f32::max) as f64;
            let z: f64 = row.iter().map(|v| (*v as f64 - max).exp()).sum::<f64>();
            let lse = max + z.ln();
            assert!((*got as f64 - lse).abs() < 1e-4 * lse.abs().max(1.0), "{got} vs {lse}");
        }
        // D(x) = Z / (Z + 1) = sigmoid(lse): for the first row, Z = e^2 + e^-1 + e^0.5.
        let z = 2f64.exp() + (-1f64).exp() + 0.5f64.exp();
        let sigmoid = 1.0 / (1.0 + (-(s[0] as f64)).exp());
        assert!((sigmoid - z / (z + 1.0)).abs() < 1e-6);
    }
}
