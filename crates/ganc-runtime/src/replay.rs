//! Experience replay (ganhacks #8; Shrivastava et al. 2017): D's fake batches mix fresh fakes with
//! fakes G made at earlier steps, kept in a buffer, so that D keeps penalizing what G used to
//! make and G cannot cycle back to it. The buffer is kept in the checkpoint.

use crate::inputs::{self, Stream};
use crate::value::Value;
use burn::tensor::{Tensor, TensorData};
use rand::RngExt;

/// The buffer of old fakes: up to `capacity` samples of `size` values each, flattened.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Buffer {
    /// The samples, one after another.
    pub values: Vec<f32>,
    /// Values per sample.
    pub size: usize,
    /// Samples kept at most.
    pub capacity: usize,
}

impl Buffer {
    /// An empty buffer of `capacity` samples of `size` values.
    pub fn new(capacity: usize, size: usize) -> Self {
        Buffer { values: Vec::new(), size, capacity }
    }

    /// Samples held.
    pub fn len(&self) -> usize {
        self.values.len().checked_div(self.size).unwrap_or(0)
    }

    /// Whether it holds no sample.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `fake` with a share `p` of its samples (as many as the buffer holds, at most) replaced by
    /// samples drawn from the buffer; then the fresh samples enter the buffer, replacing random
    /// ones once it is full. Draws from the `Replay` stream at `index`.
    pub fn mix(&mut self, fake: Value, p: f64, seed: u64, index: u64) -> Value {
        let mut rng = inputs::rng(seed, Stream::Replay, index);
        let n = fake.batch();
        let shape = fake.per_sample();
        let flat = fake.flat();
        let device = flat.device();
        let fresh: Vec<f32> = flat.into_data().convert::<f32>().try_into_vec::<f32>().expect("f32 fakes");
        let old = ((p * n as f64).round() as usize).min(self.len()).min(n);
        let mut mixed = fresh[..(n - old) * self.size].to_vec();
        for _ in 0..old {
            let i = rng.random_range(0..self.len());
            mixed.extend_from_slice(&self.values[i * self.size..(i + 1) * self.size]);
        }
        for sample in fresh.chunks(self.size.max(1)) {
            if self.len() < self.capacity {
                self.values.extend_from_slice(sample);
            } else if self.capacity > 0 {
                let i = rng.random_range(0..self.capacity);
                self.values[i * self.size..(i + 1) * self.size].copy_from_slice(sample);
            }
        }
        let out = Tensor::<2>::from_data(TensorData::new(mixed, [n, self.size]), &device);
        Value::Flat(out).reshape(&shape)
    }

    /// The values as little-endian bytes (the checkpoint's `replay.f32`).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    /// Restores the values from [`Self::to_bytes`]; `None` if they do not fit this buffer.
    pub fn with_bytes(mut self, bytes: &[u8]) -> Option<Self> {
        let fits = bytes.len().is_multiple_of(4)
            && self.size > 0
            && (bytes.len() / 4).is_multiple_of(self.size)
            && bytes.len() / 4 <= self.capacity * self.size;
        fits.then(|| {
            self.values = bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
            self
        })
    }
}
