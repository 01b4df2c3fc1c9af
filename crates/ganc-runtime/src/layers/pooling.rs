//! Pooling without weights: max pooling, and global sum or average pooling of an image to a
//! vector.

use super::{Ctx, Differentiable, InputGrads, NoInputGradient};
use crate::value::Value;
use burn::tensor::module::{max_pool2d, max_pool2d_with_indices};
use burn::tensor::ops::MaxPoolOptions;
use burn::tensor::{IndexingUpdateOp, Tensor};

/// `maxpool(kernel)`: the window is the stride.
#[derive(Clone, Debug, PartialEq)]
pub struct MaxPool(pub usize);

impl Differentiable for MaxPool {
    fn forward(&self, x: Value, _: Option<Value>, _: &Ctx) -> Value {
        Value::Image(max_pool2d(x.image(), MaxPoolOptions::new([self.0, self.0])))
    }

    /// Each window's gradient goes to the position of its maximum (the one burn's pooling
    /// picks, so ties go where autodiff sends them).
    fn vjp(&self, x: &Value, _: Option<&Value>, g: Value) -> Result<InputGrads, NoInputGradient> {
        let x = x.clone().image();
        let [b, c, h, w] = x.dims();
        let (_, at) = max_pool2d_with_indices(x, MaxPoolOptions::new([self.0, self.0]));
        let g = g.image();
        let [_, _, oh, ow] = g.dims();
        let zeros = Tensor::<3>::zeros([b, c, h * w], &g.device());
        let gx = zeros.scatter(2, at.reshape([b, c, oh * ow]), g.reshape([b, c, oh * ow]), IndexingUpdateOp::Add);
        Ok(InputGrads::of(Value::Image(gx.reshape([b, c, h, w]))))
    }
}

/// `global_sum_pool` (`mean: false`) / `global_avg_pool` (`mean: true`): `[C, H, W] -> [C]`.
#[derive(Clone, Debug, PartialEq)]
pub struct GlobalPool {
    /// Average instead of sum.
    pub mean: bool,
}

impl GlobalPool {
    /// What each position's value is multiplied by: 1 for the sum, `1 / (H W)` for the mean.
    fn weight(&self, h: usize, w: usize) -> f64 {
        if self.mean {
            1.0 / (h * w) as f64
        } else {
            1.0
        }
    }
}

impl Differentiable for GlobalPool {
    fn forward(&self, x: Value, _: Option<Value>, _: &Ctx) -> Value {
        let x = x.image();
        let [b, c, h, w] = x.dims();
        Value::Flat(x.sum_dims(&[2, 3]).reshape([b, c]) * self.weight(h, w))
    }

    /// Every position of a channel gets the channel's gradient (divided by H W for the mean).
    fn vjp(&self, x: &Value, _: Option<&Value>, g: Value) -> Result<InputGrads, NoInputGradient> {
        let [b, c, h, w] = x.clone().image().dims();
        let spread = g.flat().reshape([b, c, 1, 1]).expand([b, c, h, w]) * self.weight(h, w);
        Ok(InputGrads::of(Value::Image(spread)))
    }
}
