//! [`Kernels`] on `Autodiff<Flex>`: the forward pass of the flex kernels, recording a backward
//! pass written with the same kernels. The convolutions keep what their weight gradient
//! needs (the window matrix or channel-major input a GEMM multiplies, or for oneDNN the input)
//! rather than recomputing it.

use super::batchnorm::{self, Planes};
use super::conv::{bias_grad, Conv, Deconv, Kept, OutputGrad};
use super::linear::Linear;
use super::{
    activation, conv_forward, deconv_forward, image_shape, linear_forward, planes_of, tensor, values, AdamStep,
    Kernels, Pointwise,
};
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::autodiff::{Autodiff, NodeId};
use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Flex, TensorMetadata};
use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};
use std::sync::Arc;

/// Registers `value` (computed only when asked) as the gradient of the `i`-th parent, if tracked.
fn register(grads: &mut Gradients, parents: &[Option<NodeId>], i: usize, value: impl FnOnce() -> FlexTensor) {
    if let Some(Some(id)) = parents.get(i) {
        grads.register::<Flex>(*id, value());
    }
}

/// The backward pass of [`Kernels::fused_conv2d`].
#[derive(Debug)]
struct ConvBackward;

/// What the convolution's gradients need.
#[derive(Clone, Debug)]
struct ConvState {
    conv: Conv,
    kept: Arc<Kept>,
    x: FlexTensor,
    weight: FlexTensor,
}

impl Backward<Flex, 3> for ConvBackward {
    type State = ConvState;

    fn backward(self, ops: Ops<ConvState, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let grad = grads.consume::<Flex>(&ops.node);
        let (g, s, parents) = (values(&grad), ops.state, ops.parents.map(|p| p.map(|n| n.id)));
        let dy = OutputGrad::new(&g);
        let w = &s.conv.windows;
        register(grads, &parents, 0, || tensor(s.conv.input_grad(&values(&s.weight), &dy), &image_shape(w)));
        register(grads, &parents, 1, || tensor(s.conv.weight_grad(&s.kept, &values(&s.x), &dy), &s.weight.shape()));
        register(grads, &parents, 2, || tensor(bias_grad(&g, w.batch, s.conv.out_channels), &[s.conv.out_channels]));
    }
}

/// The backward pass of [`Kernels::fused_conv_transpose2d`].
#[derive(Debug)]
struct DeconvBackward;

/// What the transposed convolution's gradients need.
#[derive(Clone, Debug)]
struct DeconvState {
    deconv: Deconv,
    kept: Arc<Kept>,
    x: FlexTensor,
    weight: FlexTensor,
}

impl Backward<Flex, 3> for DeconvBackward {
    type State = DeconvState;

    fn backward(self, ops: Ops<DeconvState, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let grad = grads.consume::<Flex>(&ops.node);
        let (g, s, parents) = (values(&grad), ops.state, ops.parents.map(|p| p.map(|n| n.id)));
        let dy = OutputGrad::new(&g);
        let w = &s.deconv.windows;
        register(grads, &parents, 0, || {
            tensor(s.deconv.input_grad(&values(&s.weight), &dy), &[w.batch, s.deconv.in_channels, w.out[0], w.out[1]])
        });
        register(grads, &parents, 1, || tensor(s.deconv.weight_grad(&s.kept, &values(&s.x), &dy), &s.weight.shape()));
        register(grads, &parents, 2, || tensor(bias_grad(&g, w.batch, w.channels), &[w.channels]));
    }
}

/// The backward pass of [`Kernels::fused_linear`].
#[derive(Debug)]
struct LinearBackward;

impl Backward<Flex, 3> for LinearBackward {
    /// The layer's sizes, its input and its weight.
    type State = (Linear, FlexTensor, FlexTensor);

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let grad = grads.consume::<Flex>(&ops.node);
        let (g, (layer, x, w), parents) = (values(&grad), ops.state, ops.parents.map(|p| p.map(|n| n.id)));
        register(grads, &parents, 0, || tensor(layer.input_grad(&values(&w), &g), &x.shape()));
        register(grads, &parents, 1, || tensor(layer.weight_grad(&values(&x), &g), &w.shape()));
        register(grads, &parents, 2, || tensor(layer.bias_grad(&g), &[layer.outputs]));
    }
}

/// The backward pass of [`Kernels::fused_activation`].
#[derive(Debug)]
struct ActivationBackward;

impl Backward<Flex, 1> for ActivationBackward {
    /// The output or the input (as the activation's derivative reads it), and the activation.
    type State = (FlexTensor, Pointwise);

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let grad = grads.consume::<Flex>(&ops.node);
        let (parents, (v, f)) = (ops.parents.map(|p| p.map(|n| n.id)), ops.state);
        register(grads, &parents, 0, || tensor(activation::backward(&values(&v), &values(&grad), f), &v.shape()));
    }
}

/// The backward pass of [`Kernels::fused_batch_norm`] (of its output; the statistics it also
/// returns are constants to autodiff, as the running averages use them).
#[derive(Debug)]
struct BatchNormBackward;

/// What batch norm's gradients need.
#[derive(Clone, Debug)]
struct BatchNormState {
    x: FlexTensor,
    gamma: FlexTensor,
    mean: FlexTensor,
    var: FlexTensor,
    epsilon: f64,
}

impl Backward<Flex, 3> for BatchNormBackward {
    type State = BatchNormState;

    fn backward(self, ops: Ops<BatchNormState, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let grad = grads.consume::<Flex>(&ops.node);
        let (parents, s) = (ops.parents.map(|p| p.map(|n| n.id)), ops.state);
        let (shape, gamma) = (s.x.shape(), values(&s.gamma));
        let planes: Planes = planes_of(&shape);
        let (dx, dgamma, dbeta) = batchnorm::backward(
            &values(&s.x),
            &values(&grad),
            &planes,
            (&values(&s.mean), &values(&s.var)),
            &gamma,
            s.epsilon,
        );
        let c = [planes.channels];
        register(grads, &parents, 0, || tensor(dx, &shape));
        register(grads, &parents, 1, || tensor(dgamma, &c));
        register(grads, &parents, 2, || tensor(dbeta, &c));
    }
}

impl<C: CheckpointStrategy> Kernels for Autodiff<Flex, C> {
    fn fused_conv2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        options: ConvOptions<2>,
    ) -> FloatTensor<Self> {
        let ((x, xn), (weight, wn), (bias, bn)) = (x.into_parts(), weight.into_parts(), bias.into_parts());
        let (y, conv, kept) = conv_forward(&x, &weight, &bias, &options);
        let state = ConvState { conv, kept: Arc::new(kept), x, weight };
        finish(ConvBackward.prepare::<C>([xn, wn, bn]).compute_bound().stateful(), state, y)
    }

    fn fused_conv_transpose2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        options: ConvTransposeOptions<2>,
    ) -> FloatTensor<Self> {
        let ((x, xn), (weight, wn), (bias, bn)) = (x.into_parts(), weight.into_parts(), bias.into_parts());
        let (y, deconv, kept) = deconv_forward(&x, &weight, &bias, &options);
        let state = DeconvState { deconv, kept: Arc::new(kept), x, weight };
        finish(DeconvBackward.prepare::<C>([xn, wn, bn]).compute_bound().stateful(), state, y)
    }

    fn fused_linear(x: FloatTensor<Self>, weight: FloatTensor<Self>, bias: FloatTensor<Self>) -> FloatTensor<Self> {
        let ((x, xn), (weight, wn), (bias, bn)) = (x.into_parts(), weight.into_parts(), bias.into_parts());
        let (y, layer) = linear_forward(&x, &weight, &bias);
        finish(LinearBackward.prepare::<C>([xn, wn, bn]).compute_bound().stateful(), (layer, x, weight), y)
    }

    fn fused_activation(x: FloatTensor<Self>, f: Pointwise) -> FloatTensor<Self> {
        let (x, xn) = x.into_parts();
        let y = <Flex as Kernels>::fused_activation(x.clone(), f);
        let kept = if f.derivative_from_output() { y.clone() } else { x };
        finish(ActivationBackward.prepare::<C>([xn]).compute_bound().stateful(), (kept, f), y)
    }

    /// The update of parameters that take no gradient: the kernel on the inner tensors.
    fn fused_adam(
        p: FloatTensor<Self>,
        g: FloatTensor<Self>,
        m: FloatTensor<Self>,
        v: FloatTensor<Self>,
        s: AdamStep,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
        let [p, g, m, v] = [p, g, m, v].map(|t| t.into_parts().0);
        let (p, m, v) = <Flex as Kernels>::fused_adam(p, g, m, v, s);
        (FloatTensor::<Self>::new(p), FloatTensor::<Self>::new(m), FloatTensor::<Self>::new(v))
    }

    fn fused_batch_norm(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        epsilon: f64,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
        let ((x, xn), (gamma, gn), (beta, bn)) = (x.into_parts(), gamma.into_parts(), beta.into_parts());
        let (y, mean, var) = <Flex as Kernels>::fused_batch_norm(x.clone(), gamma.clone(), beta, epsilon);
        let state = BatchNormState { x, gamma, mean: mean.clone(), var: var.clone(), epsilon };
        let y = finish(BatchNormBackward.prepare::<C>([xn, gn, bn]).compute_bound().stateful(), state, y);
        (y, FloatTensor::<Self>::new(mean), FloatTensor::<Self>::new(var))
    }
}

/// Records the backward pass with its state when a parent is tracked; returns the output.
fn finish<BO, S, C, const N: usize>(
    kind: OpsKind<BO, Flex, S, C, N>,
    state: S,
    output: FlexTensor,
) -> FloatTensor<Autodiff<Flex, C>>
where
    BO: Backward<Flex, N, State = S>,
    S: Clone + Send + std::fmt::Debug + 'static,
    C: CheckpointStrategy,
{
    match kind {
        OpsKind::Tracked(prep) => prep.finish(state, output),
        OpsKind::UnTracked(prep) => prep.finish(output),
    }
}
