//! StackGAN++'s joint discriminator (`-> joint`): an unconditional and a conditional score per
//! stage. Besides real and fake samples, its conditional head learns to call a real image with
//! another sample's condition fake (the matching-aware discriminator of Reed et al. 2016, a term
//! of StackGAN++'s D loss), which tells it that the condition must match the image.

use crate::value::Value;
use burn::tensor::{Int, Tensor, TensorData};

/// Each sample's condition replaced by the next sample's (the last by the first's); `None` for a
/// batch of one, which has no other sample's condition (DP-SGD's per-sample losses: there a
/// mismatched pair would also mix two samples' data into one clipped gradient).
pub fn mismatched(condition: &Value) -> Option<Value> {
    let n = condition.batch();
    if n < 2 {
        return None;
    }
    let next = |device: &burn::tensor::Device| {
        let order: Vec<i64> = (1..n).chain(0..1).map(|i| i as i64).collect();
        Tensor::<1, Int>::from_data(TensorData::new(order, [n]), device)
    };
    Some(match condition {
        Value::Labels(t) => Value::Labels(t.clone().select(0, next(&t.device()))),
        Value::Flat(t) => Value::Flat(t.clone().select(0, next(&t.device()))),
        Value::Image(t) => Value::Image(t.clone().select(0, next(&t.device()))),
        Value::Stacked(s) => Value::Stacked(s.iter().map(|t| t.clone().select(0, next(&t.device()))).collect()),
    })
}

/// The conditional scores of a joint D's output `[n, 2 * stages]` (each stage's
/// `[conditional, unconditional]` side by side): `[n, stages]`.
pub fn conditional(scores: Tensor<2>) -> Tensor<2> {
    let [n, columns] = scores.dims();
    scores.reshape([n, columns / 2, 2]).narrow(2, 0, 1).reshape([n, columns / 2])
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Device;

    #[test]
    fn the_next_samples_condition_and_the_conditional_columns() {
        let device = Device::flex();
        let y = Value::Labels(Tensor::<1, Int>::from_data(TensorData::new(vec![3i64, 5, 7], [3]), &device));
        let Some(Value::Labels(rolled)) = mismatched(&y) else { panic!("labels stay labels") };
        assert!(mismatched(&y.row(0)).is_none(), "a batch of one has no other condition");
        assert_eq!(rolled.into_data().convert::<i64>().try_to_vec::<i64>().unwrap(), vec![5, 7, 3]);
        let scores = Tensor::<2>::from_data(TensorData::new(vec![1.0f32, 2.0, 3.0, 4.0], [1, 4]), &device);
        assert_eq!(conditional(scores).into_data().try_to_vec::<f32>().unwrap(), vec![1.0, 3.0]);
    }
}
