//! Resampling without weights: nearest or bilinear upsampling, average pooling.

use super::{Ctx, Differentiable, InputGrads, NoInputGradient};
use crate::value::Value;
use burn::tensor::module::{avg_pool2d, interpolate};
use burn::tensor::ops::{AvgPoolOptions, InterpolateMode, InterpolateOptions};
use burn::tensor::Tensor;

/// `upsample(scale, mode)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Upsample {
    /// Factor per side.
    pub scale: usize,
    /// Bilinear instead of nearest.
    pub bilinear: bool,
}

impl Differentiable for Upsample {
    fn forward(&self, x: Value, _: Option<Value>, _: &Ctx) -> Value {
        let mode = if self.bilinear { InterpolateMode::Bilinear } else { InterpolateMode::Nearest };
        let s = self.scale as f32;
        let opts = InterpolateOptions::new(mode).with_scale_factor([s, s]).with_align_corners(false);
        Value::Image(interpolate(x.image(), opts))
    }

    /// Nearest upsampling copies each pixel to a k x k block: its gradient sums the block.
    /// Bilinear upsampling's is not written.
    fn vjp(&self, _: &Value, _: Option<&Value>, g: Value) -> Result<InputGrads, NoInputGradient> {
        if self.bilinear {
            return Err(NoInputGradient::Bilinear);
        }
        let k = self.scale;
        let pooled = avg_pool2d(g.image(), AvgPoolOptions::new([k, k]).with_stride([k, k]));
        Ok(InputGrads::of(Value::Image(pooled * (k * k) as f64)))
    }
}

/// `avgpool(kernel)` / `downsample(kernel)`: the window is the stride.
#[derive(Clone, Debug, PartialEq)]
pub struct AvgPool(pub usize);

impl Differentiable for AvgPool {
    fn forward(&self, x: Value, _: Option<Value>, _: &Ctx) -> Value {
        let k = self.0;
        Value::Image(avg_pool2d(x.image(), AvgPoolOptions::new([k, k]).with_stride([k, k])))
    }

    /// Average pooling over k x k blocks spreads each gradient evenly over its block.
    fn vjp(&self, _: &Value, _: Option<&Value>, g: Value) -> Result<InputGrads, NoInputGradient> {
        let k = self.0;
        let g = g.image();
        let [b, c, h, w] = g.dims();
        let spread: Tensor<6> = g.reshape([b, c, h, 1, w, 1]).expand([b, c, h, k, w, k]);
        Ok(InputGrads::of(Value::Image(spread.reshape([b, c, h * k, w * k]) / (k * k) as f64)))
    }
}
