//! LeakyReLU in one pass forward and one backward, without the masks burn composes it from.

use super::buffer::{assume_written, uninit};
use rayon::prelude::*;

/// Values per rayon task: smaller tensors run on the calling thread.
const CHUNK: usize = 1 << 16;

/// The slope at `x`: 1 where `x >= 0`, `slope` elsewhere (and for NaN, which stays NaN). A
/// select of two constants rather than a branch, so the loops vectorize and signs that change at
/// random cost no mispredictions.
#[inline(always)]
fn factor(x: f32, slope: f32) -> f32 {
    if x >= 0.0 {
        1.0
    } else {
        slope
    }
}

/// `f(x_i, o_i)` for each element `i` of two equal-length inputs, in chunks of [`CHUNK`] on
/// rayon's pool.
fn zip_map(x: &[f32], o: &[f32], f: impl Fn(f32, f32) -> f32 + Sync) -> Vec<f32> {
    assert_eq!(x.len(), o.len());
    let mut out = uninit(x.len());
    out.par_chunks_mut(CHUNK).zip(x.par_chunks(CHUNK).zip(o.par_chunks(CHUNK))).for_each(|(dst, (x, o))| {
        dst.iter_mut().zip(x.iter().zip(o)).for_each(|(d, (&x, &o))| {
            d.write(f(x, o));
        });
    });
    // SAFETY: every chunk was written in full.
    unsafe { assume_written(out) }
}

/// `x` where `x >= 0`, `slope · x` elsewhere (burn's convention at zero).
pub(super) fn leaky_relu(x: &[f32], slope: f32) -> Vec<f32> {
    zip_map(x, x, |x, _| x * factor(x, slope))
}

/// The input gradient: `grad` where `x >= 0`, `slope · grad` elsewhere.
pub(super) fn leaky_relu_grad(x: &[f32], grad: &[f32], slope: f32) -> Vec<f32> {
    zip_map(x, grad, |x, g| g * factor(x, slope))
}
