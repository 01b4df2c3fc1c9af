//! AC-GAN's auxiliary classifier (Odena et al. 2017): D's output is an adversarial score and one
//! logit per class (`-> logits`, `[1 + classes]`). D's loss adds the class cross-entropy of the
//! real samples (against their labels) and of the fakes (against the labels G drew them for);
//! G's loss adds the fakes' class cross-entropy, so G draws samples that D can tell the class of.

use crate::value::Value;
use burn::tensor::activation::log_softmax;
use burn::tensor::Tensor;

/// The adversarial score `[B, 1]` and the class logits `[B, K]` of D's output `[B, 1 + K]`.
pub fn split(out: Tensor<2>) -> (Tensor<2>, Tensor<2>) {
    let [_, width] = out.dims();
    (out.clone().narrow(1, 0, 1), out.narrow(1, 1, width - 1))
}

/// The mean cross-entropy of class `logits` against `labels` (a [`Value::Labels`]).
pub fn cross_entropy(logits: Tensor<2>, labels: &Value) -> Tensor<1> {
    let Value::Labels(y) = labels else { panic!("class labels, not {labels:?}") };
    let n = y.dims()[0];
    log_softmax(logits, 1).gather(1, y.clone().reshape([n, 1])).mean().neg()
}

/// The share of rows of `logits` whose largest logit is at their label.
pub fn accuracy(logits: Tensor<2>, labels: &Value) -> f64 {
    let Value::Labels(y) = labels else { panic!("class labels, not {labels:?}") };
    let n = y.dims()[0];
    let hits = logits.argmax(1).reshape([n]).equal(y.clone()).int().sum().into_scalar::<i64>();
    hits as f64 / n.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, Int, TensorData};

    #[test]
    fn cross_entropy_and_accuracy_read_the_labelled_logit() {
        let device = Device::flex();
        let logits = Tensor::<2>::from_data(TensorData::new(vec![2.0f32, 0.0, 0.0, 0.0, 3.0, 1.0], [2, 3]), &device);
        let labels = Value::Labels(Tensor::<1, Int>::from_data(TensorData::new(vec![0i64, 2], [2]), &device));
        let ce = cross_entropy(logits.clone(), &labels).into_scalar::<f32>() as f64;
        let lse = |v: [f64; 3]| v.iter().map(|x| x.exp()).sum::<f64>().ln();
        let want = ((lse([2.0, 0.0, 0.0]) - 2.0) + (lse([0.0, 3.0, 1.0]) - 1.0)) / 2.0;
        assert!((ce - want).abs() < 1e-5, "{ce} vs {want}");
        assert_eq!(accuracy(logits, &labels), 0.5);
    }
}
