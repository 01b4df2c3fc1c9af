//! Minibatch discrimination (Salimans et al. 2016): each sample's closeness to the rest of its
//! batch, appended to its features. It couples the samples: no per-sample input gradient.

use super::{Ctx, Differentiable, InputGrads, NoInputGradient};
use crate::value::Value;
use burn::module::{Module, Param};
use burn::tensor::Tensor;

/// `minibatch_discrimination(kernels, dims)`: `M_i = x_i T` as `kernels` rows of `dims`,
/// `c_b(x_i, x_j) = exp(-||M_i,b - M_j,b||_1)`, `o(x_i)_b = sum over j != i of c_b(x_i, x_j)`,
/// output `[x, o]`.
///
/// The paper writes the sum over every `j`; its authors' code (improved-gan) leaves out
/// `j = i`, whose term is the constant `exp(0) = 1` and says nothing about the batch. ganc
/// follows the code: a sample alone in its batch gets 0, a batch of `n` identical samples `n - 1`.
#[derive(Module, Debug)]
pub struct MinibatchDiscrimination {
    /// The tensor `T`, `[A, kernels * dims]`.
    pub t: Param<Tensor<2>>,
    /// Kernels `B`.
    #[module(skip)]
    pub kernels: usize,
    /// Kernel dimension `C`.
    #[module(skip)]
    pub dims: usize,
}

impl MinibatchDiscrimination {
    /// `o(x_i)` for a batch of vectors `[n, A]`: `[n, kernels]`.
    pub fn closeness(&self, x: Tensor<2>) -> Tensor<2> {
        let n = x.dims()[0];
        let m = x.matmul(self.t.val()).reshape([n, self.kernels, self.dims]);
        let diff = m.clone().unsqueeze_dim::<4>(1) - m.unsqueeze_dim::<4>(0);
        let c = (-diff.abs().sum_dim(3)).exp();
        // Minus each sample's own term, exp(0) = 1.
        c.sum_dim(1).reshape([n, self.kernels]) - 1.0
    }
}

impl Differentiable for MinibatchDiscrimination {
    fn forward(&self, x: Value, _: Option<Value>, _: &Ctx) -> Value {
        let x = x.flat();
        let o = self.closeness(x.clone());
        Value::Flat(Tensor::cat(vec![x, o], 1))
    }

    /// None per sample: each output depends on the whole batch.
    fn vjp(&self, _: &Value, _: Option<&Value>, _: Value) -> Result<InputGrads, NoInputGradient> {
        Err(NoInputGradient::BatchStatistics)
    }
}
