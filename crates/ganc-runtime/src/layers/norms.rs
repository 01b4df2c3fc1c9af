//! Normalization layers: batch norm (no per-sample input gradient), layer, instance and group
//! norm (per sample, with a written input gradient).

use super::{Ctx, Differentiable, InputGrads, NoInputGradient};
use crate::value::Value;
use burn::module::{Module, RunningState};
use burn::nn::{BatchNorm, GroupNorm, InstanceNorm, LayerNorm};
use burn::tensor::Tensor;

/// Layer norm over every feature of a sample (burn's normalizes the last axis only).
#[derive(Module, Debug)]
pub struct SampleNorm {
    /// Normalizes the flattened sample.
    pub norm: LayerNorm,
    /// Its epsilon (burn keeps LayerNorm's private; the input gradient needs it).
    #[module(skip)]
    pub eps: f64,
}

/// Batch norm with the batch's statistics, which also moves the running averages by `momentum`
/// (burn's training-mode `BatchNorm::forward`, on ganc's fused kernel).
pub(super) fn normalize_batch<const D: usize>(
    x: Tensor<D>,
    (gamma, beta): (Tensor<1>, Tensor<1>),
    (running_mean, running_var): (&RunningState<Tensor<1>>, &RunningState<Tensor<1>>),
    momentum: f64,
    eps: f64,
) -> Tensor<D> {
    let device = x.device();
    let (out, mean, var) = crate::kernels::batch_norm_train(x, gamma, beta, eps);
    let update = |running: &RunningState<Tensor<1>>, batch: Tensor<1>| {
        let moved =
            running.value_sync().to_device(&device).mul_scalar(1.0 - momentum) + batch.detach().mul_scalar(momentum);
        running.update(moved.detach());
    };
    update(running_mean, mean);
    update(running_var, var);
    out
}

/// burn's `BatchNorm::forward` with the training branch on [`normalize_batch`].
fn batch_norm<const D: usize>(bn: &BatchNorm, x: Tensor<D>) -> Tensor<D> {
    if !(x.device().is_autodiff() && bn.training.is_enabled()) {
        return BatchNorm::forward(bn, x);
    }
    let params = (bn.gamma.val(), bn.beta.val());
    normalize_batch(x, params, (&bn.running_mean, &bn.running_var), bn.momentum, bn.epsilon)
}

impl Differentiable for BatchNorm {
    fn forward(&self, x: Value, _: Option<Value>, _: &Ctx) -> Value {
        x.map(|t| batch_norm(self, t), |t| batch_norm(self, t))
    }

    /// None per sample: each output depends on the whole batch.
    fn vjp(&self, _: &Value, _: Option<&Value>, _: Value) -> Result<InputGrads, NoInputGradient> {
        Err(NoInputGradient::BatchStatistics)
    }
}

impl Differentiable for SampleNorm {
    fn forward(&self, x: Value, _: Option<Value>, _: &Ctx) -> Value {
        let dims = x.per_sample();
        Value::Flat(self.norm.forward(x.flat())).reshape(&dims)
    }

    fn vjp(&self, x: &Value, _: Option<&Value>, g: Value) -> Result<InputGrads, NoInputGradient> {
        let t = x.clone().flat();
        let [b, n] = t.dims();
        let gy = g.flat() * self.norm.gamma.val().reshape([1, n]);
        let gx = norm_vjp(t.reshape([b, 1, n]), gy.reshape([b, 1, n]), self.eps).reshape([b, n]);
        Ok(InputGrads::of(Value::Flat(gx).reshape(&x.per_sample())))
    }
}

impl Differentiable for InstanceNorm {
    fn forward(&self, x: Value, _: Option<Value>, _: &Ctx) -> Value {
        Value::Image(InstanceNorm::forward(self, x.image()))
    }

    fn vjp(&self, x: &Value, _: Option<&Value>, g: Value) -> Result<InputGrads, NoInputGradient> {
        let gamma = self.gamma.as_ref().map(|p| p.val());
        let gx = group_norm_vjp(x.clone().image(), g.image(), self.num_channels, gamma, self.epsilon);
        Ok(InputGrads::of(Value::Image(gx)))
    }
}

impl Differentiable for GroupNorm {
    fn forward(&self, x: Value, _: Option<Value>, _: &Ctx) -> Value {
        x.map(|t| GroupNorm::forward(self, t), |t| GroupNorm::forward(self, t))
    }

    fn vjp(&self, x: &Value, _: Option<&Value>, g: Value) -> Result<InputGrads, NoInputGradient> {
        let gamma = self.gamma.as_ref().map(|p| p.val());
        let gx = group_norm_vjp(x.clone().image(), g.image(), self.num_groups, gamma, self.epsilon);
        Ok(InputGrads::of(Value::Image(gx)))
    }
}

/// The gradients of `<g, layernorm(x)>` with respect to its scale (`g` times the normalized
/// sample, summed over the batch) and shift (`g` summed over the batch).
pub fn sample_norm_param_grads(l: &SampleNorm, x: &Value, g: &Value) -> Vec<super::ParamGrad> {
    let (x, g) = (x.clone().flat(), g.clone().flat());
    let std = (x.clone().var_bias(1) + l.eps).sqrt();
    let xhat = (x.clone() - x.mean_dim(1)) / std;
    let mut out = vec![(l.norm.gamma.id, (g.clone() * xhat).sum_dim(0).reshape([-1]))];
    out.extend(l.norm.beta.as_ref().map(|b| (b.id, g.sum_dim(0).reshape([-1]))));
    out
}

/// The input gradient of normalizing `x` `[B, G, N]` over its last axis, given the gradient
/// `gy` of the normalized values (before scale and shift).
pub(super) fn norm_vjp(x: Tensor<3>, gy: Tensor<3>, eps: f64) -> Tensor<3> {
    let mean = x.clone().mean_dim(2);
    let var = x.clone().var_bias(2);
    let std = (var + eps).sqrt();
    let xhat = (x - mean) / std.clone();
    let m1 = gy.clone().mean_dim(2);
    let m2 = (gy.clone() * xhat.clone()).mean_dim(2);
    (gy - m1 - xhat * m2) / std
}

/// Group normalization's input gradient on an image `[B, C, H, W]` with `groups` groups and an
/// optional per-channel scale.
fn group_norm_vjp(x: Tensor<4>, g: Tensor<4>, groups: usize, gamma: Option<Tensor<1>>, eps: f64) -> Tensor<4> {
    let [b, c, h, w] = x.dims();
    let g = match gamma {
        Some(gamma) => g * gamma.reshape([1, c, 1, 1]),
        None => g,
    };
    let n = c / groups * h * w;
    norm_vjp(x.reshape([b, groups, n]), g.reshape([b, groups, n]), eps).reshape([b, c, h, w])
}
