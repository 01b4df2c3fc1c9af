//! The style-based generator's layers (Karras et al. 2019): the learned `constant` input,
//! per-pixel `noise_injection` with learned per-channel scales, and `adain(w)`, whose
//! per-channel scale and shift come from an affine map of the style vector `w`. All three act
//! per sample and have written input gradients.

use super::norms::norm_vjp;
use super::{Ctx, Differentiable, InputGrads, NoInputGradient};
use crate::value::Value;
use burn::module::{Module, Param};
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Device, Distribution, Tensor};

/// `constant(channels, height, width)`: a learned `[C, H, W]` tensor, the same for every sample;
/// the incoming value only gives the batch size.
#[derive(Module, Debug)]
pub struct Constant {
    /// The learned input, drawn from N(0, 1).
    pub value: Param<Tensor<3>>,
}

impl Constant {
    /// A learned constant of shape `[channels, height, width]`.
    pub fn new(dims: [usize; 3], device: &Device) -> Self {
        Constant { value: Param::from_tensor(Tensor::random(dims, Distribution::Normal(0.0, 1.0), device)) }
    }
}

impl Differentiable for Constant {
    fn forward(&self, x: Value, _: Option<Value>, _: &Ctx) -> Value {
        let [c, h, w] = self.value.dims();
        Value::Image(self.value.val().reshape([1, c, h, w]).repeat_dim(0, x.batch()))
    }

    /// The output does not depend on the input: a zero gradient.
    fn vjp(&self, x: &Value, _: Option<&Value>, _: Value) -> Result<InputGrads, NoInputGradient> {
        Ok(InputGrads::of(x.clone().map(|t| t.zeros_like(), |t| t.zeros_like())))
    }
}

/// `noise_injection`: adds N(0, 1) noise, one value per pixel shared by the channels, times a
/// learned per-channel scale that starts at 0. The noise is drawn when sampling too.
#[derive(Module, Debug)]
pub struct NoiseInjection {
    /// The per-channel scale `[C]`.
    pub scale: Param<Tensor<1>>,
}

impl NoiseInjection {
    /// A layer over `channels` channels, its scales at 0.
    pub fn new(channels: usize, device: &Device) -> Self {
        NoiseInjection { scale: Param::from_tensor(Tensor::zeros([channels], device)) }
    }
}

impl Differentiable for NoiseInjection {
    fn forward(&self, x: Value, _: Option<Value>, _: &Ctx) -> Value {
        let x = x.image();
        let [b, c, h, w] = x.dims();
        let noise = Tensor::<4>::random([b, 1, h, w], Distribution::Normal(0.0, 1.0), &x.device());
        Value::Image(x + noise * self.scale.val().reshape([1, c, 1, 1]))
    }

    /// Additive noise drawn independently of the input: the identity.
    fn vjp(&self, _: &Value, _: Option<&Value>, g: Value) -> Result<InputGrads, NoInputGradient> {
        Ok(InputGrads::of(Value::Image(g.image())))
    }
}

/// `adain(w)`: instance-normalizes each channel of each sample, then scales and shifts it by
/// `A(w) = [scale, shift]`, a learned affine map of the style `w` whose scale bias starts at 1.
#[derive(Module, Debug)]
pub struct Adain {
    /// `A`: the style `[B, dim]` to `[B, 2C]` (scales, then shifts).
    pub affine: Linear,
    /// Added to the variance.
    #[module(skip)]
    pub eps: f64,
    /// The value holding the style.
    #[module(skip)]
    pub style: String,
}

impl Adain {
    /// A layer over `channels` channels, reading the `dim`-wide style `style`.
    pub fn new(channels: usize, dim: usize, style: String, device: &Device) -> Self {
        let mut affine = LinearConfig::new(dim, 2 * channels).init(device);
        let bias = Tensor::cat(vec![Tensor::<1>::ones([channels], device), Tensor::zeros([channels], device)], 0);
        affine.bias = Some(Param::from_tensor(bias));
        Adain { affine, eps: 1e-5, style }
    }

    /// The per-sample scale and shift `[B, C]` for the style in `second`.
    fn scale_shift(&self, second: Option<&Value>, c: usize) -> (Tensor<2>, Tensor<2>) {
        let w = second.cloned().expect("the checker gives `adain` its style").flat();
        let s = self.affine.forward(w);
        (s.clone().narrow(1, 0, c), s.narrow(1, c, c))
    }

    /// `x` `[B, C, H, W]` normalized per sample and channel, as `[B, C, HW]`.
    fn normalized(&self, x: Tensor<4>) -> Tensor<3> {
        let [b, c, h, w] = x.dims();
        let x = x.reshape([b, c, h * w]);
        let mean = x.clone().mean_dim(2);
        let var = x.clone().var_bias(2);
        (x - mean) / (var + self.eps).sqrt()
    }
}

impl Differentiable for Adain {
    fn forward(&self, x: Value, second: Option<Value>, _: &Ctx) -> Value {
        let x = x.image();
        let [b, c, h, w] = x.dims();
        let (scale, shift) = self.scale_shift(second.as_ref(), c);
        let y = self.normalized(x) * scale.reshape([b, c, 1]) + shift.reshape([b, c, 1]);
        Value::Image(y.reshape([b, c, h, w]))
    }

    /// Through the normalization with the per-sample scale, and to the style through `A`.
    fn vjp(&self, x: &Value, second: Option<&Value>, g: Value) -> Result<InputGrads, NoInputGradient> {
        let x = x.clone().image();
        let [b, c, h, w] = x.dims();
        let (scale, _) = self.scale_shift(second, c);
        let g = g.image().reshape([b, c, h * w]);
        let xhat = self.normalized(x.clone());
        let gx = norm_vjp(x.reshape([b, c, h * w]), g.clone() * scale.reshape([b, c, 1]), self.eps);
        let g_scale = (g.clone() * xhat).sum_dim(2).reshape([b, c]);
        let g_shift = g.sum_dim(2).reshape([b, c]);
        let g_style = Tensor::cat(vec![g_scale, g_shift], 1).matmul(self.affine.weight.val().transpose());
        let style = second.expect("the checker gives `adain` its style").per_sample();
        Ok(InputGrads {
            input: Some(Value::Image(gx.reshape([b, c, h, w]))),
            second: Some(Value::Flat(g_style).reshape(&style)),
        })
    }
}
