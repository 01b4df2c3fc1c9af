//! Element-wise activations in one pass forward and one backward: ReLU, LeakyReLU and tanh,
//! without the masks and the recomputed tanh that burn composes their gradients from.

use super::buffer::{assume_written, uninit};
use rayon::prelude::*;
use std::mem::MaybeUninit;

/// Values per rayon task: smaller tensors run on the calling thread.
const CHUNK: usize = 1 << 16;

/// tanh is ±1 in f32 beyond this magnitude.
const TANH_SATURATES: f32 = 7.905_311;

/// An activation with a fused kernel.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Pointwise {
    /// `max(x, 0)` (burn's `relu`: NaN stays NaN; the gradient at 0 is 0).
    Relu,
    /// `x` where `x >= 0`, `slope · x` elsewhere (burn's `leaky_relu`, gradient 1 at 0).
    LeakyRelu(f64),
    /// `tanh(x)`.
    Tanh,
}

impl Pointwise {
    /// Whether the derivative is computed from the output (else from the input).
    pub(super) fn derivative_from_output(self) -> bool {
        !matches!(self, Pointwise::LeakyRelu(_))
    }
}

/// A select of `1` and `other`, so that the loops vectorize and signs that change at random cost
/// no mispredictions.
#[inline(always)]
fn one_if(condition: bool, other: f32) -> f32 {
    if condition {
        1.0
    } else {
        other
    }
}

/// tanh as a rational function of degree 13 over 6 on `[-7.9, 7.9]` (Eigen's
/// `generic_fast_tanh_float`, within a few ulp), so that it vectorizes; `x` itself below 4e-4,
/// where that is exact in f32.
#[inline(always)]
fn tanh(x: f32) -> f32 {
    const ALPHA: [f32; 7] =
        [-2.760_768_5e-16, 2.000_188e-13, -8.604_672e-11, 5.122_297e-8, 1.485_722_4e-5, 6.372_619_3e-4, 4.893_524_6e-3];
    const BETA: [f32; 4] = [1.198_258_4e-6, 1.185_347_1e-4, 2.268_434_7e-3, 4.893_525e-3];
    let c = x.clamp(-TANH_SATURATES, TANH_SATURATES);
    let c2 = c * c;
    let p = c * ALPHA.iter().fold(0.0, |acc, &a| acc * c2 + a);
    let q = BETA.iter().fold(0.0, |acc, &b| acc * c2 + b);
    if x.abs() < 4e-4 {
        x
    } else {
        p / q
    }
}

/// `f(x_i, o_i)` for each element `i` of two equal-length inputs, in chunks of [`CHUNK`] on
/// rayon's pool (on the calling thread when there is only one).
fn zip_map(x: &[f32], o: &[f32], f: impl Fn(f32, f32) -> f32 + Sync) -> Vec<f32> {
    assert_eq!(x.len(), o.len());
    let mut out = uninit(x.len());
    let chunk = |dst: &mut [MaybeUninit<f32>], x: &[f32], o: &[f32]| {
        dst.iter_mut().zip(x.iter().zip(o)).for_each(|(d, (&x, &o))| {
            d.write(f(x, o));
        });
    };
    if x.len() <= CHUNK {
        chunk(&mut out, x, o);
    } else {
        out.par_chunks_mut(CHUNK)
            .zip(x.par_chunks(CHUNK).zip(o.par_chunks(CHUNK)))
            .for_each(|(d, (x, o))| chunk(d, x, o));
    }
    // SAFETY: every chunk was written in full.
    unsafe { assume_written(out) }
}

/// `f` at every element of `x`. Each activation is its own loop (a `match` inside one would
/// keep it from vectorizing).
pub(super) fn forward(x: &[f32], f: Pointwise) -> Vec<f32> {
    match f {
        Pointwise::Relu => zip_map(x, x, |x, _| if x > 0.0 || x.is_nan() { x } else { 0.0 }),
        Pointwise::LeakyRelu(slope) => {
            let slope = slope as f32;
            zip_map(x, x, |x, _| x * one_if(x >= 0.0, slope))
        }
        Pointwise::Tanh => zip_map(x, x, |x, _| tanh(x)),
    }
}

/// The input gradient `grad · f'`, with `f'` from `v`, the output or the input as
/// [`Pointwise::derivative_from_output`] says.
pub(super) fn backward(v: &[f32], grad: &[f32], f: Pointwise) -> Vec<f32> {
    match f {
        // From the output: 0 where it is 0 (also for inputs at 0).
        Pointwise::Relu => zip_map(v, grad, |y, g| g * one_if(y > 0.0, 0.0)),
        Pointwise::LeakyRelu(slope) => {
            let slope = slope as f32;
            zip_map(v, grad, |x, g| g * one_if(x >= 0.0, slope))
        }
        Pointwise::Tanh => zip_map(v, grad, |y, g| g * (1.0 - y * y)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tanh_matches_the_standard_library() {
        let mut worst = 0.0f64;
        for i in -20_000..=20_000 {
            let x = i as f32 * 5e-4;
            let (got, want) = (tanh(x) as f64, (x as f64).tanh());
            worst = worst.max((got - want).abs() / want.abs().max(1e-30));
        }
        assert!(worst < 2e-6, "relative error {worst}");
        assert_eq!(tanh(100.0), 1.0);
        assert_eq!(tanh(-100.0), -1.0);
        assert!(tanh(f32::NAN).is_nan());
    }

    #[test]
    fn rectifiers_keep_burns_conventions() {
        let x = [-2.0, 0.0, 3.0, f32::NAN];
        let relu = forward(&x, Pointwise::Relu);
        assert_eq!(relu[..3], [0.0, 0.0, 3.0]);
        assert!(relu[3].is_nan());
        assert_eq!(backward(&relu[..3], &[1.0; 3], Pointwise::Relu), [0.0, 0.0, 1.0]);
        assert_eq!(forward(&x[..3], Pointwise::LeakyRelu(0.5)), [-1.0, 0.0, 3.0]);
        assert_eq!(backward(&x[..3], &[1.0; 3], Pointwise::LeakyRelu(0.5)), [0.5, 1.0, 1.0]);
    }
}
