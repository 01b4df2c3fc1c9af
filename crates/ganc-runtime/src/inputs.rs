//! Drawing latents and labels on the host from seeded streams, so a batch depends only on the
//! seed and the step (resumed runs draw exactly what uninterrupted ones do).

use crate::plan::Latent;
use crate::value::Value;
use burn::tensor::{Device, Int, Tensor, TensorData};
use ganc_data::{mix_seed, Data};
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
    /// Style mixing: whether a batch mixes, its crossover layer and its second latents.
    Mixing = 17,
    /// The reference batch of `virtual_batchnorm`.
    Reference = 18,
    /// Which old fakes experience replay draws, and which it replaces.
    Replay = 19,
    /// The noise of a stochastic encoder (AVB, ALI).
    EncoderNoise = 20,
}

/// A seeded generator for `(seed, stream, index)`.
pub fn rng(seed: u64, stream: Stream, index: u64) -> StdRng {
    StdRng::seed_from_u64(mix_seed(seed, stream as u64, index))
}

/// `n` values drawn for `latent`, and the tensor holding them. With `truncation: t`, normal
/// (and sphere) coordinates follow the standard normal truncated to `[-t, t]`, drawn exactly by
/// its inverse distribution function: one uniform number per value, however small `t` is.
pub fn draw(latent: &Latent, n: usize, rng: &mut StdRng, truncation: Option<f64>, device: &Device) -> Value {
    let half_mass = truncation.map(|t| (t, normal_half_mass(t)));
    let normal = |rng: &mut StdRng| -> f32 {
        match half_mass {
            None => StandardNormal.sample(rng),
            Some((t, h)) => {
                let q = (2.0 * rng.random::<f64>() - 1.0) * h;
                normal_quantile_from_median(q).clamp(-t, t) as f32
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
        // Read from the data where there are data: drawn only for a `virtual_batchnorm`
        // reference batch, which then holds blank (zero) inputs.
        Latent::Paired(dims) => samples(vec![0.0; n * dims.iter().product::<usize>()], n, dims, device),
        Latent::Uniform(d, lo, hi) => {
            let v: Vec<f32> = (0..n * d).map(|_| rng.random_range(*lo as f32..=*hi as f32)).collect();
            Value::Flat(Tensor::from_data(TensorData::new(v, [n, *d]), device))
        }
    }
}

/// `P(0 <= X <= t)` for a standard normal `X`: the series `phi(t) * sum t^(2k+1) / (2k+1)!!`,
/// of positive terms only, so exact to a few ulps at any `t` (0.5 beyond 8.3, where the rest
/// is below half an ulp).
fn normal_half_mass(t: f64) -> f64 {
    let t = t.abs();
    if t >= 8.3 {
        return 0.5;
    }
    let (mut sum, mut term, mut k) = (0.0, t, 0.0);
    while term > 1e-17 * sum {
        sum += term;
        k += 1.0;
        term *= t * t / (2.0 * k + 1.0);
    }
    (-t * t / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt() * sum
}

/// The standard normal quantile at probability `1/2 + q`, for `q` in `[-1/2, 1/2]`, taking the
/// offset from the median so that tiny `q` keep their precision (Wichura 1988, algorithm AS
/// 241 `PPND16`, relative error about 1e-16). Infinite at `q = ±1/2`.
fn normal_quantile_from_median(q: f64) -> f64 {
    fn poly(c: &[f64; 8], x: f64) -> f64 {
        c.iter().rev().fold(0.0, |acc, v| acc * x + v)
    }
    const A: [f64; 8] = [
        3.387_132_872_796_366_6,
        1.331_416_678_917_843_8e2,
        1.971_590_950_306_551_4e3,
        1.373_169_376_550_946e4,
        4.592_195_393_154_987e4,
        6.726_577_092_700_87e4,
        3.343_057_558_358_813e4,
        2.509_080_928_730_122_7e3,
    ];
    const B: [f64; 8] = [
        1.0,
        4.231_333_070_160_091e1,
        6.871_870_074_920_579e2,
        5.394_196_021_424_751e3,
        2.121_379_430_158_659_7e4,
        3.930_789_580_009_271e4,
        2.872_908_573_572_194_3e4,
        5.226_495_278_852_854e3,
    ];
    const C: [f64; 8] = [
        1.423_437_110_749_683_6,
        4.630_337_846_156_545,
        5.769_497_221_460_691,
        3.647_848_324_763_204_5,
        1.270_458_252_452_368_4,
        2.417_807_251_774_506e-1,
        2.272_384_498_926_918_4e-2,
        7.745_450_142_783_414e-4,
    ];
    const D: [f64; 8] = [
        1.0,
        2.053_191_626_637_759,
        1.676_384_830_183_803_8,
        6.897_673_349_851e-1,
        1.481_039_764_274_800_8e-1,
        1.519_866_656_361_645_7e-2,
        5.475_938_084_995_345e-4,
        1.050_750_071_644_416_8e-9,
    ];
    const E: [f64; 8] = [
        6.657_904_643_501_103,
        5.463_784_911_164_114,
        1.784_826_539_917_291_3,
        2.965_605_718_285_048_7e-1,
        2.653_218_952_657_612_4e-2,
        1.242_660_947_388_078_4e-3,
        2.711_555_568_743_487_6e-5,
        2.010_334_399_292_288_1e-7,
    ];
    const F: [f64; 8] = [
        1.0,
        5.998_322_065_558_879e-1,
        1.369_298_809_227_358e-1,
        1.487_536_129_085_061_5e-2,
        7.868_691_311_456_133e-4,
        1.846_318_317_510_054_8e-5,
        1.421_511_758_316_446e-7,
        2.044_263_103_389_939_7e-15,
    ];
    if q.abs() <= 0.425 {
        let r = 0.180625 - q * q;
        return q * poly(&A, r) / poly(&B, r);
    }
    let tail = 0.5 - q.abs();
    if tail <= 0.0 {
        return f64::INFINITY.copysign(q);
    }
    let r = (-tail.ln()).sqrt();
    let x = if r <= 5.0 { poly(&C, r - 1.6) / poly(&D, r - 1.6) } else { poly(&E, r - 5.0) / poly(&F, r - 5.0) };
    x.copysign(q)
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

/// Images per forward pass when a whole split is evaluated.
const EVAL_CHUNK: usize = 500;

/// Calls `f` on each chunk of 500 of the first `n` samples of `data` (all of them for
/// `usize::MAX`), as a value on `device`, with their labels.
pub fn in_chunks(data: &Data, n: usize, device: &Device, mut f: impl FnMut(Value, Option<Vec<u32>>)) {
    let (dims, len) = (data.dims(), data.len().unwrap_or(0).min(n));
    for start in (0..len).step_by(EVAL_CHUNK) {
        let batch = data.slice(start, EVAL_CHUNK.min(len - start));
        f(samples(batch.x, batch.n, &dims, device), batch.labels);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drawn(latent: &Latent, n: usize, truncation: Option<f64>) -> Vec<f32> {
        let mut rng = rng(1, Stream::Sample, 0);
        let v = draw(latent, n, &mut rng, truncation, &Device::flex());
        v.flat().try_into_vec_as::<f32>().unwrap()
    }

    #[test]
    fn the_quantile_inverts_the_half_mass() {
        // Known values of the standard normal distribution function.
        for (x, p) in [(1.0, 0.841_344_746_068_542_9), (1.959_963_984_540_054, 0.975), (3.0, 0.998_650_101_968_369_9)] {
            assert!((normal_half_mass(x) - (p - 0.5)).abs() < 1e-15, "{x}");
            assert!((normal_quantile_from_median(p - 0.5) - x).abs() < 1e-12, "{x}");
        }
        for x in [1e-12, 1e-6, 0.01, 0.3, 0.6, 1.5, 2.5, 4.0, 5.5] {
            let back = normal_quantile_from_median(normal_half_mass(x));
            assert!((back - x).abs() <= 1e-9 * x, "{x} -> {back}");
            assert_eq!(normal_quantile_from_median(-normal_half_mass(x)), -back);
        }
        assert_eq!(normal_quantile_from_median(0.5), f64::INFINITY);
    }

    #[test]
    fn truncated_latents_stay_in_bounds_with_the_truncated_variance() {
        // A tiny threshold is drawn at once (rejection sampling took ~1/t tries per value).
        let tiny = drawn(&Latent::Normal(64), 1000, Some(1e-9));
        assert!(tiny.iter().all(|x| x.abs() <= 1e-9));
        assert!(tiny.iter().filter(|x| **x > 5e-10).count() > 10_000, "spread over [-t, t]");
        for t in [0.5f64, 1.0, 2.0] {
            let x = drawn(&Latent::Normal(100), 1000, Some(t));
            assert!(x.iter().all(|v| f64::from(v.abs()) <= t));
            let phi = (-t * t / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt();
            let variance = 1.0 - t * phi / normal_half_mass(t);
            let measured = x.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / x.len() as f64;
            assert!((measured - variance).abs() < 0.02 * variance, "t {t}: {measured} vs {variance}");
        }
    }

    #[test]
    fn uniform_latents_lie_in_their_range_and_sphere_latents_have_unit_norm() {
        let u = drawn(&Latent::Uniform(8, -3.0, 0.5), 500, None);
        assert!(u.iter().all(|x| (-3.0..=0.5).contains(x)));
        assert!(u.iter().any(|x| *x < -2.5) && u.iter().any(|x| *x > 0.0));
        let dim = 16;
        let s = drawn(&Latent::Sphere(dim), 200, None);
        for row in s.chunks(dim) {
            let norm = row.iter().map(|x| x * x).sum::<f32>().sqrt();
            assert!((norm - 1.0).abs() < 1e-5, "{norm}");
        }
        let n = drawn(&Latent::Normal(dim), 200, None);
        assert!(n.chunks(dim).any(|row| (row.iter().map(|x| x * x).sum::<f32>().sqrt() - 1.0).abs() > 0.5));
    }
}
