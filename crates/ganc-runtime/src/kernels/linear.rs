//! Linear layers `x · w + b` as one GEMM each way: the output starts as the bias and the product
//! is added to it, and the gradients multiply transposed views of the operands rather than
//! transposed copies.

use super::gemm::{matmul, matmul_add, View};
use super::windows::channel_sums;
use super::{buffer::assume_written, buffer::uninit};

/// A linear layer's sizes on a batch: `x` `[batch, inputs]`, `w` `[inputs, outputs]`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Linear {
    /// Samples.
    pub batch: usize,
    /// Input features.
    pub inputs: usize,
    /// Output features.
    pub outputs: usize,
}

/// The product `a · b`, `len` values.
fn product(len: usize, a: View, b: View) -> Vec<f32> {
    let mut out = uninit(len);
    matmul(&mut out, a, b);
    // SAFETY: `matmul` writes every element.
    unsafe { assume_written(out) }
}

impl Linear {
    /// `x · w + b`, `[batch, outputs]`.
    pub(super) fn forward(&self, x: &[f32], w: &[f32], b: &[f32]) -> Vec<f32> {
        let mut y = Vec::with_capacity(self.batch * self.outputs);
        (0..self.batch).for_each(|_| y.extend_from_slice(&b[..self.outputs]));
        matmul_add(&mut y, self.x(x), self.w(w));
        y
    }

    /// `g · wᵀ`, `[batch, inputs]`, for the output gradient `g`.
    pub(super) fn input_grad(&self, w: &[f32], g: &[f32]) -> Vec<f32> {
        product(self.batch * self.inputs, self.g(g), self.w(w).t())
    }

    /// `xᵀ · g`, `[inputs, outputs]`.
    pub(super) fn weight_grad(&self, x: &[f32], g: &[f32]) -> Vec<f32> {
        product(self.inputs * self.outputs, self.x(x).t(), self.g(g))
    }

    /// `g` summed over the batch.
    pub(super) fn bias_grad(&self, g: &[f32]) -> Vec<f32> {
        channel_sums(g, self.outputs, 1)
    }

    fn x<'a>(&self, x: &'a [f32]) -> View<'a> {
        View::new(x, self.batch, self.inputs)
    }

    fn w<'a>(&self, w: &'a [f32]) -> View<'a> {
        View::new(w, self.inputs, self.outputs)
    }

    fn g<'a>(&self, g: &'a [f32]) -> View<'a> {
        View::new(g, self.batch, self.outputs)
    }
}
