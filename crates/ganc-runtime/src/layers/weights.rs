//! Layers with weights: linear, conv, deconv, embedding.

use super::{Ctx, Differentiable, InputGrads, NoInputGradient};
use crate::value::Value;
use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::nn::{Embedding, Linear, PaddingConfig2d};
use burn::tensor::module::{conv2d, conv_transpose2d};
use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};

impl Differentiable for Linear {
    fn forward(&self, x: Value, _: Option<Value>, _: &Ctx) -> Value {
        Value::Flat(Linear::forward(self, x.flat()))
    }

    /// The product with the transposed weight.
    fn vjp(&self, x: &Value, _: Option<&Value>, g: Value) -> Result<InputGrads, NoInputGradient> {
        let gx = g.flat().matmul(self.weight.val().transpose());
        Ok(InputGrads::of(Value::Flat(gx).reshape(&x.per_sample())))
    }
}

impl Differentiable for Conv2d {
    fn forward(&self, x: Value, _: Option<Value>, _: &Ctx) -> Value {
        Value::Image(Conv2d::forward(self, x.image()))
    }

    /// The transposed convolution with the same weight, padded back to the input's size.
    fn vjp(&self, x: &Value, _: Option<&Value>, g: Value) -> Result<InputGrads, NoInputGradient> {
        let [_, _, h, w] = x.clone().image().dims();
        let [kh, kw] = self.kernel_size;
        let (ph, pw) = match self.padding {
            PaddingConfig2d::Explicit(top, left, _, _) => (top, left),
            _ => (0, 0),
        };
        let out_pad = |size: usize, p: usize, k: usize, d: usize, s: usize| (size + 2 * p - d * (k - 1) - 1) % s;
        let options = ConvTransposeOptions::new(
            self.stride,
            [ph, pw],
            [
                out_pad(h, ph, kh, self.dilation[0], self.stride[0]),
                out_pad(w, pw, kw, self.dilation[1], self.stride[1]),
            ],
            self.dilation,
            self.groups,
        );
        Ok(InputGrads::of(Value::Image(conv_transpose2d(g.image(), self.weight.val(), None, options))))
    }
}

impl Differentiable for ConvTranspose2d {
    fn forward(&self, x: Value, _: Option<Value>, _: &Ctx) -> Value {
        Value::Image(ConvTranspose2d::forward(self, x.image()))
    }

    /// The convolution with the same weight.
    fn vjp(&self, _: &Value, _: Option<&Value>, g: Value) -> Result<InputGrads, NoInputGradient> {
        let options = ConvOptions::new(self.stride, self.padding, self.dilation, self.groups);
        Ok(InputGrads::of(Value::Image(conv2d(g.image(), self.weight.val(), None, options))))
    }
}

impl Differentiable for Embedding {
    fn forward(&self, x: Value, _: Option<Value>, _: &Ctx) -> Value {
        match x {
            Value::Labels(y) => {
                let b = y.dims()[0];
                let e = Embedding::forward(self, y.unsqueeze_dim::<2>(1));
                let d = e.dims()[2];
                Value::Flat(e.reshape([b, d]))
            }
            other => other,
        }
    }

    /// Class labels have no gradient (anything else passes through, as in the forward pass).
    fn vjp(&self, x: &Value, _: Option<&Value>, g: Value) -> Result<InputGrads, NoInputGradient> {
        Ok(match x {
            Value::Labels(_) => InputGrads { input: None, second: None },
            _ => InputGrads::of(g),
        })
    }
}
