//! Self-attention over spatial positions (Zhang et al. 2018, SAGAN), with its input-gradient
//! product: each sample attends over its own positions only.

use super::{Ctx, Differentiable, InputGrads, NoInputGradient};
use crate::value::Value;
use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::tensor::activation::softmax;
use burn::tensor::Tensor;

/// `self_attention(reduction, heads)`: queries and keys are 1x1 convolutions to
/// `C / reduction` channels, values a 1x1 convolution to `C` channels (the paper's layer, so
/// the parameter count is the checker's); each position's weights are a softmax over all
/// positions, and the output is `gamma * o + x` with the learned `gamma` starting at 0.
/// With `heads > 1` the query, key and value channels are split into that many heads.
#[derive(Module, Debug)]
pub struct SelfAttention {
    /// Queries `f(x)`: `C -> C / reduction` at each position.
    pub query: Linear,
    /// Keys `g(x)`: `C -> C / reduction`.
    pub key: Linear,
    /// Values `h(x)`: `C -> C`.
    pub value: Linear,
    /// The gate on the attended values, `[1]`, initialised to 0.
    pub gamma: Param<Tensor<1>>,
    /// Attention heads.
    #[module(skip)]
    pub heads: usize,
}

/// The forward pass's intermediate values, which the input-gradient product reuses.
struct Attended {
    /// The input as `[B, N, C]` (N = H * W positions).
    xs: Tensor<3>,
    /// Queries, keys and values per head, `[B, heads, N, d]`.
    q: Tensor<4>,
    k: Tensor<4>,
    v: Tensor<4>,
    /// Attention weights `[B, heads, N (query), N (key)]`: each row sums to 1.
    a: Tensor<4>,
}

/// An image `[B, C, H, W]` as its positions `[B, H * W, C]`.
fn positions(x: Tensor<4>) -> Tensor<3> {
    let [b, c, h, w] = x.dims();
    x.reshape([b, c, h * w]).swap_dims(1, 2)
}

/// Positions `[B, H * W, C]` back as an image of `dims`.
fn image(t: Tensor<3>, dims: [usize; 4]) -> Tensor<4> {
    t.swap_dims(1, 2).reshape(dims)
}

/// `[B, heads, N, d]` back to `[B, N, heads * d]`.
fn merge(t: Tensor<4>) -> Tensor<3> {
    let [b, heads, n, d] = t.dims();
    t.swap_dims(1, 2).reshape([b, n, heads * d])
}

/// The product of `[B, N, out]` with the transposed weight `[in, out]` of a 1x1 convolution.
fn back(g: Tensor<4>, layer: &Linear) -> Tensor<3> {
    merge(g).matmul(layer.weight.val().transpose().unsqueeze::<3>())
}

impl SelfAttention {
    /// `[B, N, D]` split into heads: `[B, heads, N, D / heads]`.
    fn split(&self, t: Tensor<3>) -> Tensor<4> {
        let [b, n, d] = t.dims();
        t.reshape([b, n, self.heads, d / self.heads]).swap_dims(1, 2)
    }

    fn attend(&self, x: Tensor<4>) -> Attended {
        let xs = positions(x);
        let q = self.split(self.query.forward(xs.clone()));
        let k = self.split(self.key.forward(xs.clone()));
        let v = self.split(self.value.forward(xs.clone()));
        // SAGAN's energies s_ij = f(x_i)^T g(x_j), without scaling; softmax over the keys j.
        let a = softmax(q.clone().matmul(k.clone().swap_dims(2, 3)), 3);
        Attended { xs, q, k, v, a }
    }

    /// The attention weights of an image batch `[B, C, H, W]`: `[B, heads, N, N]`, the row of
    /// each query position a distribution over the key positions.
    pub fn weights(&self, x: Tensor<4>) -> Tensor<4> {
        self.attend(x).a
    }

    fn gate(&self) -> Tensor<3> {
        self.gamma.val().reshape([1, 1, 1])
    }
}

impl Differentiable for SelfAttention {
    fn forward(&self, x: Value, _: Option<Value>, _: &Ctx) -> Value {
        let x = x.image();
        let dims = x.dims();
        let Attended { xs, v, a, .. } = self.attend(x);
        Value::Image(image(xs + merge(a.matmul(v)) * self.gate(), dims))
    }

    /// Per sample: back through `gamma * softmax(q k^T) v + x`, then the three 1x1
    /// convolutions to the input.
    fn vjp(&self, x: &Value, _: Option<&Value>, g: Value) -> Result<InputGrads, NoInputGradient> {
        let x = x.clone().image();
        let dims = x.dims();
        let Attended { q, k, v, a, .. } = self.attend(x);
        let gy = positions(g.image());
        let go = self.split(gy.clone() * self.gate());
        let ga = go.clone().matmul(v.swap_dims(2, 3));
        let gv = a.clone().swap_dims(2, 3).matmul(go);
        // Softmax: gS = A * (gA - sum_j gA * A), row by row.
        let gs = a.clone() * (ga.clone() - (ga * a).sum_dim(3));
        let gq = gs.clone().matmul(k);
        let gk = gs.swap_dims(2, 3).matmul(q);
        let gx = gy + back(gq, &self.query) + back(gk, &self.key) + back(gv, &self.value);
        Ok(InputGrads::of(Value::Image(image(gx, dims))))
    }
}
