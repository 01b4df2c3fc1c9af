//! Layers with weights: linear, conv, deconv, embedding. Each pass is written once as a function
//! of the weight it uses, so that a reparametrized layer ([`super::reparam`]) runs the same
//! passes with its transformed weight.

use super::{Ctx, Differentiable, InputGrads, NoInputGradient};
use crate::kernels::{conv2d, conv_transpose2d};
use crate::value::Value;
use burn::module::ParamId;
use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::nn::{Embedding, Linear, PaddingConfig2d};
use burn::tensor::module::embedding;
use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};
use burn::tensor::Tensor;

/// `x w + b` for a linear weight `w` of shape `[in, out]`.
pub(super) fn linear(x: Value, w: Tensor<2>, b: Option<Tensor<1>>) -> Value {
    Value::Flat(crate::kernels::linear(x.flat(), w, b))
}

/// The product with the transposed weight.
pub(super) fn linear_vjp(x: &Value, w: Tensor<2>, g: Value) -> InputGrads {
    let gx = g.flat().matmul(w.transpose());
    InputGrads::of(Value::Flat(gx).reshape(&x.per_sample()))
}

/// The (symmetric) padding the lowering gives a convolution.
fn padding(c: &Conv2d) -> [usize; 2] {
    match c.padding {
        PaddingConfig2d::Explicit(top, left, _, _) => [top, left],
        _ => [0, 0],
    }
}

/// `c`'s convolution with the weight `w`.
pub(super) fn conv(c: &Conv2d, x: Value, w: Tensor<4>) -> Value {
    let options = ConvOptions::new(c.stride, padding(c), c.dilation, c.groups);
    Value::Image(conv2d(x.image(), w, c.bias.as_ref().map(|b| b.val()), options))
}

/// The transposed convolution with the weight `w`, padded back to the input's size.
pub(super) fn conv_vjp(c: &Conv2d, x: &Value, w: Tensor<4>, g: Value) -> InputGrads {
    let [_, _, h, wd] = x.clone().image().dims();
    let [kh, kw] = c.kernel_size;
    let [ph, pw] = padding(c);
    let out_pad = |size: usize, p: usize, k: usize, d: usize, s: usize| (size + 2 * p - d * (k - 1) - 1) % s;
    let options = ConvTransposeOptions::new(
        c.stride,
        [ph, pw],
        [out_pad(h, ph, kh, c.dilation[0], c.stride[0]), out_pad(wd, pw, kw, c.dilation[1], c.stride[1])],
        c.dilation,
        c.groups,
    );
    InputGrads::of(Value::Image(conv_transpose2d(g.image(), w, None, options)))
}

/// `c`'s transposed convolution with the weight `w`.
pub(super) fn deconv(c: &ConvTranspose2d, x: Value, w: Tensor<4>) -> Value {
    let options = ConvTransposeOptions::new(c.stride, c.padding, c.padding_out, c.dilation, c.groups);
    Value::Image(conv_transpose2d(x.image(), w, c.bias.as_ref().map(|b| b.val()), options))
}

/// The convolution with the weight `w`.
pub(super) fn deconv_vjp(c: &ConvTranspose2d, w: Tensor<4>, g: Value) -> InputGrads {
    let options = ConvOptions::new(c.stride, c.padding, c.dilation, c.groups);
    InputGrads::of(Value::Image(conv2d(g.image(), w, None, options)))
}

/// The rows of `w` picked by class labels (anything else passes through).
pub(super) fn embed(x: Value, w: Tensor<2>) -> Value {
    match x {
        Value::Labels(y) => {
            let b = y.dims()[0];
            let e = embedding(w, y.unsqueeze_dim::<2>(1));
            let d = e.dims()[2];
            Value::Flat(e.reshape([b, d]))
        }
        other => other,
    }
}

/// Class labels have no gradient (anything else passes through, as in the forward pass).
pub(super) fn embed_vjp(x: &Value, g: Value) -> InputGrads {
    match x {
        Value::Labels(_) => InputGrads { input: None, second: None },
        _ => InputGrads::of(g),
    }
}

/// A parameter's gradient, flattened.
pub type ParamGrad = (ParamId, Tensor<1>);

/// The gradients of `<g, x w + b>` with respect to `w` (`xᵀ g`) and `b` (`g` summed over the batch).
pub fn linear_param_grads(l: &Linear, x: &Value, g: &Value) -> Vec<ParamGrad> {
    let (x, g) = (x.clone().flat(), g.clone().flat());
    let mut out = vec![(l.weight.id, x.transpose().matmul(g.clone()).reshape([-1]))];
    out.extend(l.bias.as_ref().map(|b| (b.id, g.sum_dim(0).reshape([-1]))));
    out
}

/// The gradient of `<g, conv(x, w)>` with respect to a `kernel`-sized weight `w` of shape
/// `[out, in, kh, kw]`: a convolution over the batch, `x` with its batch and channel axes swapped
/// convolved with `g` likewise swapped, stride and dilation exchanged.
fn conv_weight_grad(
    x: Tensor<4>,
    g: Tensor<4>,
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: [usize; 2],
    dilation: [usize; 2],
) -> Tensor<4> {
    let swapped = ConvOptions::new(dilation, padding, stride, 1);
    let w = burn::tensor::module::conv2d(x.swap_dims(0, 1), g.swap_dims(0, 1), None, swapped);
    w.narrow(2, 0, kernel[0]).narrow(3, 0, kernel[1]).swap_dims(0, 1)
}

/// The sum of `g` over the batch and both spatial axes: a convolution's bias gradient.
fn channel_sum(g: &Value) -> Tensor<1> {
    let g = g.clone().image();
    let c = g.dims()[1];
    g.swap_dims(0, 1).reshape([c as i32, -1]).sum_dim(1).reshape([-1])
}

/// The gradients of `<g, conv(x, w) + b>` with respect to `w` and `b`; `None` for grouped
/// convolutions, whose weight gradient is not written.
pub fn conv_param_grads(c: &Conv2d, x: &Value, g: &Value) -> Option<Vec<ParamGrad>> {
    if c.groups != 1 {
        return None;
    }
    let w = conv_weight_grad(x.clone().image(), g.clone().image(), c.kernel_size, c.stride, padding(c), c.dilation);
    let mut out = vec![(c.weight.id, w.reshape([-1]))];
    out.extend(c.bias.as_ref().map(|b| (b.id, channel_sum(g))));
    Some(out)
}

/// The gradients of `<g, deconv(x, w) + b>` with respect to `w` (`[in, out, kh, kw]`) and `b`. A
/// transposed convolution is the adjoint of the convolution with the same weight, so
/// `<g, deconv(x, w)> = <conv(g, w), x>`: the convolution's weight gradient with `g` as its input
/// and `x` as its output gradient. `None` for grouped ones.
pub fn deconv_param_grads(c: &ConvTranspose2d, x: &Value, g: &Value) -> Option<Vec<ParamGrad>> {
    if c.groups != 1 {
        return None;
    }
    let w = conv_weight_grad(g.clone().image(), x.clone().image(), c.kernel_size, c.stride, c.padding, c.dilation);
    let mut out = vec![(c.weight.id, w.reshape([-1]))];
    out.extend(c.bias.as_ref().map(|b| (b.id, channel_sum(g))));
    Some(out)
}

impl Differentiable for Linear {
    fn forward(&self, x: Value, _: Option<Value>, _: &Ctx) -> Value {
        linear(x, self.weight.val(), self.bias.as_ref().map(|b| b.val()))
    }

    fn vjp(&self, x: &Value, _: Option<&Value>, g: Value) -> Result<InputGrads, NoInputGradient> {
        Ok(linear_vjp(x, self.weight.val(), g))
    }
}

impl Differentiable for Conv2d {
    fn forward(&self, x: Value, _: Option<Value>, _: &Ctx) -> Value {
        conv(self, x, self.weight.val())
    }

    fn vjp(&self, x: &Value, _: Option<&Value>, g: Value) -> Result<InputGrads, NoInputGradient> {
        Ok(conv_vjp(self, x, self.weight.val(), g))
    }
}

impl Differentiable for ConvTranspose2d {
    fn forward(&self, x: Value, _: Option<Value>, _: &Ctx) -> Value {
        deconv(self, x, self.weight.val())
    }

    fn vjp(&self, _: &Value, _: Option<&Value>, g: Value) -> Result<InputGrads, NoInputGradient> {
        Ok(deconv_vjp(self, self.weight.val(), g))
    }
}

impl Differentiable for Embedding {
    fn forward(&self, x: Value, _: Option<Value>, _: &Ctx) -> Value {
        embed(x, self.weight.val())
    }

    fn vjp(&self, x: &Value, _: Option<&Value>, g: Value) -> Result<InputGrads, NoInputGradient> {
        Ok(embed_vjp(x, g))
    }
}
