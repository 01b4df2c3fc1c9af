//! Drawing latents and labels on the host from seeded streams, so a batch depends only on the
//! seed and the step (resumed runs draw exactly what uninterrupted ones do).

use crate::plan::Latent;
use crate::value::Value;
use burn::tensor::{Device, Int, Tensor, TensorData};
use ganc_data::mix_seed;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, StandardNormal};

/// Streams of randomness, kept apart so that adding one never shifts another.
#[derive(Clone, Copy, Debug)]
pub enum Stream {
    /// Latents for D's updates.
    DLatent = 10,
    /// Latents for G's updates.
    GLatent = 11,
    /// Label noise and flips.
    Labels = 12,
    /// Instance noise.
    Noise = 13,
    /// The fixed batch of sample grids.
    Fixed = 14,
    /// `ganc sample`.
    Sample = 15,
    /// Interpolation and perturbation of gradient penalties.
    Penalty = 16,
}

/// A seeded generator for `(seed, stream, index)`.
pub fn rng(seed: u64, stream: Stream, index: u64) -> StdRng {
    StdRng::seed_from_u64(mix_seed(seed, stream as u64, index))
}

/// `n` values drawn for `latent`, and the tensor holding them.
pub fn draw(latent: &Latent, n: usize, rng: &mut StdRng, truncation: Option<f64>, device: &Device) -> Value {
    let normal = |rng: &mut StdRng| -> f32 {
        loop {
            let x: f32 = StandardNormal.sample(rng);
            if truncation.is_none_or(|t| (x as f64).abs() <= t) {
                return x;
            }
        }
    };
    match latent {
        Latent::Labels(k) => {
            let labels: Vec<i64> = (0..n).map(|_| rng.random_range(0..(*k).max(1)) as i64).collect();
            Value::Labels(Tensor::<1, Int>::from_data(TensorData::new(labels, [n]), device))
        }
        Latent::Normal(d) | Latent::Sphere(d) => {
            let mut v: Vec<f32> = (0..n * d).map(|_| normal(rng)).collect();
            if matches!(latent, Latent::Sphere(_)) {
                for row in v.chunks_mut((*d).max(1)) {
                    let norm = row.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
                    row.iter_mut().for_each(|x| *x /= norm);
                }
            }
            Value::Flat(Tensor::from_data(TensorData::new(v, [n, *d]), device))
        }
        Latent::Uniform(d, lo, hi) => {
            let v: Vec<f32> = (0..n * d).map(|_| rng.random_range(*lo as f32..=*hi as f32)).collect();
            Value::Flat(Tensor::from_data(TensorData::new(v, [n, *d]), device))
        }
    }
}

/// A batch of samples as a value of the data's shape.
pub fn samples(x: Vec<f32>, n: usize, dims: &[usize], device: &Device) -> Value {
    match dims {
        [c, h, w] => Value::Image(Tensor::from_data(TensorData::new(x, [n, *c, *h, *w]), device)),
        _ => Value::Flat(Tensor::from_data(TensorData::new(x, [n, dims.iter().product::<usize>()]), device)),
    }
}

/// Labels as a value.
pub fn labels(labels: &[u32], device: &Device) -> Value {
    let v: Vec<i64> = labels.iter().map(|&l| l as i64).collect();
    Value::Labels(Tensor::<1, Int>::from_data(TensorData::new(v, [labels.len()]), device))
}
