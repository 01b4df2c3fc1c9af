//! Adam's update in one pass over a parameter, its gradient and its two moments, operation for
//! operation in the order of burn's `Adam` (so the results are the same to the bit), where burn
//! runs thirteen passes, each with its own allocation.

use super::buffer::{assume_written, uninit};
use rayon::prelude::*;
use std::mem::MaybeUninit;

/// Values per rayon task: smaller parameters run on the calling thread.
const CHUNK: usize = 1 << 15;

/// The scalars of one Adam step `t`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamStep {
    /// The first moment's decay.
    pub beta_1: f32,
    /// The second moment's decay.
    pub beta_2: f32,
    /// `sqrt(1 - beta_2^t) / (1 - beta_1^t)`, both bias corrections in one factor.
    pub combined: f32,
    /// `epsilon · sqrt(1 - beta_2^t)`, the denominator's epsilon after that factor.
    pub epsilon: f32,
    /// The learning rate.
    pub lr: f32,
    /// Whether this is the first step, before any moments.
    pub first: bool,
}

/// The updated parameter and moments of the parameter `p` with gradient `g` and moments `m`,
/// `v` (not read on the first step).
pub(super) fn step(p: &[f32], g: &[f32], (m, v): (&[f32], &[f32]), s: AdamStep) -> [Vec<f32>; 3] {
    let n = p.len();
    assert!(g.len() == n && (s.first || (m.len() == n && v.len() == n)), "Adam's operands differ in size");
    let mut out = [uninit(n), uninit(n), uninit(n)];
    let [op, om, ov] = &mut out;
    let chunk = |i: usize, op: Out, om: Out, ov: Out| {
        let at = i * CHUNK..i * CHUNK + op.len();
        let inputs = (&p[at.clone()], &g[at.clone()]);
        // Two loops rather than a test in one, so that each vectorizes.
        if s.first {
            update::<true>(inputs, (&[], &[]), s, (op, om, ov));
        } else {
            update::<false>(inputs, (&m[at.clone()], &v[at]), s, (op, om, ov));
        }
    };
    if n <= CHUNK {
        chunk(0, op, om, ov);
    } else {
        op.par_chunks_mut(CHUNK)
            .zip(om.par_chunks_mut(CHUNK).zip(ov.par_chunks_mut(CHUNK)))
            .enumerate()
            .for_each(|(i, (op, (om, ov)))| chunk(i, op, om, ov));
    }
    // SAFETY: every element of the three buffers was written.
    out.map(|b| unsafe { assume_written(b) })
}

/// A chunk of an output, not yet written.
type Out<'a> = &'a mut [MaybeUninit<f32>];

/// Writes the updated parameter and moments of one chunk.
#[inline(always)]
fn update<const FIRST: bool>(
    (p, g): (&[f32], &[f32]),
    (m, v): (&[f32], &[f32]),
    s: AdamStep,
    (op, om, ov): (Out, Out, Out),
) {
    let (f1, f2) = (1.0 - s.beta_1, 1.0 - s.beta_2);
    for j in 0..op.len() {
        let (m1, v1) = if FIRST {
            (g[j] * f1, (g[j] * g[j]) * f2)
        } else {
            (m[j] * s.beta_1 + g[j] * f1, v[j] * s.beta_2 + (g[j] * g[j]) * f2)
        };
        let update = (m1 * s.combined) / (v1.sqrt() + s.epsilon);
        op[j].write(p[j] - update * s.lr);
        om[j].write(m1);
        ov[j].write(v1);
    }
}
