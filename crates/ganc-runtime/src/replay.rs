//! Experience replay (ganhacks #8; Shrivastava et al. 2017): D's fake batches mix fresh fakes with
//! fakes G made at earlier steps, kept in a buffer, so that D keeps penalizing what G used to
//! make and G cannot cycle back to it. A conditional model's fakes are kept with the labels G
//! drew them for, so a replayed fake reaches D with its own label. The buffer is kept in the
//! checkpoint.

use crate::inputs::{self, Stream};
use crate::value::Value;
use burn::tensor::{Int, Tensor, TensorData};
use rand::RngExt;

/// The buffer of old fakes: up to `capacity` samples of `size` values each, flattened, each
/// followed by its label when the buffer is `labelled`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Buffer {
    /// The entries, one after another.
    pub values: Vec<f32>,
    /// Values per sample.
    pub size: usize,
    /// Samples kept at most.
    pub capacity: usize,
    /// Whether each sample is kept with its label (its last value).
    pub labelled: bool,
}

impl Buffer {
    /// An empty buffer of `capacity` samples of `size` values, with their labels when
    /// `labelled`.
    pub fn new(capacity: usize, size: usize, labelled: bool) -> Self {
        Buffer { values: Vec::new(), size, capacity, labelled }
    }

    /// Values per entry: the sample's and its label.
    fn stride(&self) -> usize {
        self.size + usize::from(self.labelled)
    }

    /// Samples held.
    pub fn len(&self) -> usize {
        self.values.len().checked_div(self.stride()).unwrap_or(0)
    }

    /// Whether it holds no sample.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `fake` (with its `labels`, in a labelled buffer) with a share `p` of its samples (as many
    /// as the buffer holds, at most) replaced by samples drawn from the buffer, labels with them;
    /// then the fresh samples enter the buffer, replacing random ones once it is full. Draws from
    /// the `Replay` stream at `index`.
    pub fn mix(&mut self, fake: Value, labels: Option<Value>, p: f64, seed: u64, index: u64) -> (Value, Option<Value>) {
        let mut rng = inputs::rng(seed, Stream::Replay, index);
        let n = fake.batch();
        let shape = fake.per_sample();
        let flat = fake.flat();
        let device = flat.device();
        let samples: Vec<f32> = flat.into_data().convert::<f32>().try_into_vec::<f32>().expect("f32 fakes");
        let label_values: Option<Vec<f32>> = match (&labels, self.labelled) {
            (Some(Value::Labels(y)), true) => {
                Some(y.clone().into_data().convert::<i64>().iter::<i64>().map(|l| l as f32).collect())
            }
            _ => None,
        };
        // The fresh entries: each sample, then its label in a labelled buffer.
        let stride = self.stride();
        let fresh: Vec<f32> = samples
            .chunks(self.size.max(1))
            .enumerate()
            .flat_map(|(i, s)| s.iter().copied().chain(label_values.as_ref().map(|l| l[i])))
            .collect();
        let old = ((p * n as f64).round() as usize).min(self.len()).min(n);
        let mut mixed = fresh[..(n - old) * stride].to_vec();
        for _ in 0..old {
            let i = rng.random_range(0..self.len());
            mixed.extend_from_slice(&self.values[i * stride..(i + 1) * stride]);
        }
        for entry in fresh.chunks(stride.max(1)) {
            if self.len() < self.capacity {
                self.values.extend_from_slice(entry);
            } else if self.capacity > 0 {
                let i = rng.random_range(0..self.capacity);
                self.values[i * stride..(i + 1) * stride].copy_from_slice(entry);
            }
        }
        let labels = match label_values {
            // Labels as the data's are made (i64), from each entry's last value.
            Some(_) => {
                let y: Vec<i64> = mixed.chunks(stride).map(|e| e[self.size].round() as i64).collect();
                Some(Value::Labels(Tensor::<1, Int>::from_data(TensorData::new(y, [n]), &device)))
            }
            None => labels,
        };
        let entries = Tensor::<2>::from_data(TensorData::new(mixed, [n, stride]), &device);
        (Value::Flat(entries.narrow(1, 0, self.size)).reshape(&shape), labels)
    }

    /// The values as little-endian bytes (the checkpoint's `replay.f32`).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    /// Restores the values from [`Self::to_bytes`]; `None` if they do not fit this buffer.
    pub fn with_bytes(mut self, bytes: &[u8]) -> Option<Self> {
        let stride = self.stride();
        let fits = bytes.len().is_multiple_of(4)
            && self.size > 0
            && (bytes.len() / 4).is_multiple_of(stride)
            && bytes.len() / 4 <= self.capacity * stride;
        fits.then(|| {
            self.values = bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
            self
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Device;

    /// A batch of 2D samples `[v, v]` labelled `v`.
    fn batch(values: &[i64]) -> (Value, Value) {
        let device = Device::flex();
        let x: Vec<f32> = values.iter().flat_map(|&v| [v as f32, v as f32]).collect();
        let n = values.len();
        let y = Tensor::<1, Int>::from_data(TensorData::new(values.to_vec(), [n]), &device);
        (Value::Flat(Tensor::from_data(TensorData::new(x, [n, 2]), &device)), Value::Labels(y))
    }

    #[test]
    fn replayed_fakes_keep_the_labels_they_were_drawn_for() {
        let mut buffer = Buffer::new(8, 2, true);
        let (x, y) = batch(&[1, 2, 3]);
        let (out, labels) = buffer.mix(x, Some(y), 1.0, 0, 0);
        assert_eq!(
            out.flat().into_data().try_to_vec::<f32>().unwrap(),
            vec![1.0, 1.0, 2.0, 2.0, 3.0, 3.0],
            "nothing to replay yet"
        );
        assert!(labels.is_some());
        let (x, y) = batch(&[7, 8, 9, 10]);
        let (out, labels) = buffer.mix(x, Some(y), 1.0, 0, 1);
        let (Value::Flat(out), Some(Value::Labels(labels))) = (out, labels) else { panic!("a labelled batch") };
        let (out, labels) = (
            out.into_data().try_to_vec::<f32>().unwrap(),
            labels.into_data().convert::<i64>().try_to_vec::<i64>().unwrap(),
        );
        // The buffer holds 3: one fresh sample, then three replayed from the first batch, each
        // with its own label.
        assert_eq!(labels[0], 7, "{labels:?}");
        assert!(labels[1..].iter().all(|l| (1..=3).contains(l)), "{labels:?}");
        for (sample, label) in out.chunks(2).zip(&labels) {
            assert_eq!(sample, [*label as f32, *label as f32], "{out:?} {labels:?}");
        }
        assert_eq!(buffer.len(), 7);
        let restored = Buffer::new(8, 2, true).with_bytes(&buffer.to_bytes()).expect("fits");
        assert_eq!(restored, buffer);
    }
}
