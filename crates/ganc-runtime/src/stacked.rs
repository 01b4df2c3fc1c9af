//! Stacked generators (StackGAN++, Zhang et al. 2018): the colour-consistency regularizer
//! between neighbouring stages' images, and the stage images' sample grids.

use crate::images;
use crate::inputs::Stream;
use crate::network::Net;
use crate::plan::Plan;
use crate::trainer::Trainer;
use crate::value::Value;
use burn::tensor::module::avg_pool2d;
use burn::tensor::ops::AvgPoolOptions;
use burn::tensor::{Device, Tensor};
use std::path::{Path, PathBuf};

/// Each image's per-channel pixel mean `[B, C]` and channel covariance `[B, C, C]` over its
/// pixels (StackGAN++'s `compute_mean_covariance`).
fn mean_and_covariance(x: Tensor<4>) -> (Tensor<2>, Tensor<3>) {
    let [b, c, h, w] = x.dims();
    let pixels = x.reshape([b, c, h * w]);
    let mean = pixels.clone().mean_dim(2);
    let centred = pixels - mean.clone();
    let covariance = centred.clone().matmul(centred.swap_dims(1, 2)).div_scalar((h * w) as f64);
    (mean.reshape([b, c]), covariance)
}

/// The colour-consistency term of G's loss for a stacked generator's `stages` (the top stage
/// first): over each pair of neighbouring stages, `mean_weight` times the mean squared
/// difference of the images' pixel means plus `covariance_weight` times that of their channel
/// covariances (StackGAN++'s lambda_1 = 1 and lambda_2 = 5, each an `MSELoss`).
pub fn color_consistency(stages: &[Tensor<4>], mean_weight: f64, covariance_weight: f64) -> Tensor<1> {
    let moments: Vec<_> = stages.iter().map(|s| mean_and_covariance(s.clone())).collect();
    let device = stages[0].device();
    moments.windows(2).fold(Tensor::zeros([1], &device), |sum, pair| {
        let [(mu_a, cov_a), (mu_b, cov_b)] = [&pair[0], &pair[1]].map(Clone::clone);
        let means = (mu_a - mu_b).powi_scalar(2).mean().mul_scalar(mean_weight);
        let covariances = (cov_a - cov_b).powi_scalar(2).mean().mul_scalar(covariance_weight);
        sum + means + covariances
    })
}

/// Samples the `stage_gap` metric draws.
const GAP_SAMPLES: usize = 1_000;

/// The mean absolute difference per pixel between each stage's images and the next stage's
/// average-pooled to their side, averaged over the pairs of neighbouring stages: `stages`
/// ordered the top stage first.
pub fn gap(stages: &[Tensor<4>]) -> f64 {
    let pairs = stages.windows(2).map(|pair| {
        let pooled = avg_pool2d(pair[0].clone(), AvgPoolOptions::new([2, 2]).with_stride([2, 2]));
        (pooled - pair[1].clone()).abs().mean().into_scalar::<f32>() as f64
    });
    let all: Vec<f64> = pairs.collect();
    all.iter().sum::<f64>() / all.len().max(1) as f64
}

/// The `stage_gap` metric of a stacked generator `net`: [`gap`] over 1,000 fixed samples
/// (`0.0` for a generator that is not stacked).
pub fn stage_gap(net: &Net, plan: &Plan, device: &Device) -> f64 {
    match Trainer::generate(net, plan, GAP_SAMPLES, Stream::Fixed, 3, device) {
        Value::Stacked(stages) => gap(&stages),
        _ => 0.0,
    }
}

/// Writes a stacked generator's images of every stage beside a sample grid: one grid per stage,
/// `stage{side}_step_{step}.png`, each at its stage's resolution, `cols` images to a row;
/// returns the paths written. Other values write nothing.
pub fn write_stage_grids(
    samples: &Path,
    fake: &Value,
    channels: usize,
    cols: usize,
    step: u64,
) -> image::ImageResult<Vec<PathBuf>> {
    let Value::Stacked(stages) = fake else { return Ok(Vec::new()) };
    let mut written = Vec::new();
    for stage in stages {
        let [n, _, h, w] = stage.dims();
        let path = samples.join(format!("stage{h}_step_{step:06}.png"));
        let values = stage.clone().reshape([n, channels * h * w]).try_into_vec_as::<f32>().unwrap_or_default();
        images::grid_with_columns(&path, &values, n, cols, &[channels, h, w])?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, TensorData};

    fn image(values: Vec<f32>, dims: [usize; 4]) -> Tensor<4> {
        Tensor::from_data(TensorData::new(values, dims), &Device::flex())
    }

    #[test]
    fn equal_colours_cost_nothing_and_shifted_means_cost_their_square() {
        // A 2x2 image and its 1x1 average: the same mean, but the small one has no variance.
        let big = image(vec![0.0, 1.0, 0.0, 1.0], [1, 1, 2, 2]);
        let flat = image(vec![0.5, 0.5, 0.5, 0.5], [1, 1, 2, 2]);
        let small = image(vec![0.5], [1, 1, 1, 1]);
        let value = |s: &[Tensor<4>], m: f64, c: f64| color_consistency(s, m, c).into_scalar::<f32>();
        assert!(value(&[flat.clone(), small.clone()], 1.0, 5.0).abs() < 1e-7);
        // Variance 0.25 against 0: 5 * 0.25^2.
        assert!((value(&[big.clone(), small.clone()], 1.0, 5.0) - 5.0 * 0.0625).abs() < 1e-6);
        // Means 0.5 and 0.5 + 0.3: 1 * 0.09, and no covariance term.
        let shifted = image(vec![0.8], [1, 1, 1, 1]);
        assert!((value(&[small, shifted], 1.0, 5.0) - 0.09).abs() < 1e-6);
        // Three stages sum both pairs.
        let three = value(&[big.clone(), flat.clone(), flat], 1.0, 5.0);
        assert!((three - value(&[big.clone(), image(vec![0.5; 4], [1, 1, 2, 2])], 1.0, 5.0)).abs() < 1e-6);
    }
}
