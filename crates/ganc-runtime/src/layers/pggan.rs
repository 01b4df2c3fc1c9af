//! The feature statistics of progressive growing (Karras et al. 2017): pixelwise feature
//! normalization in G and the minibatch standard deviation in D.

use super::{Ctx, Differentiable, InputGrads, NoInputGradient};
use crate::value::Value;
use burn::tensor::Tensor;

/// `pixelnorm(eps)`: each pixel's feature vector divided by its root mean square,
/// `x / sqrt(mean_c x^2 + eps)` (over the features of a flat sample).
#[derive(Clone, Debug, PartialEq)]
pub struct PixelNorm {
    /// Added under the square root.
    pub eps: f64,
}

impl PixelNorm {
    /// `1 / sqrt(mean_c x^2 + eps)` per pixel, `[B, 1, P]`.
    fn inverse_rms(&self, x: &Tensor<3>) -> Tensor<3> {
        (x.clone().powi_scalar(2).mean_dim(1) + self.eps).sqrt().recip()
    }
}

impl Differentiable for PixelNorm {
    fn forward(&self, x: Value, _: Option<Value>, _: &Ctx) -> Value {
        let dims = x.per_sample();
        let t = x.channels();
        let r = self.inverse_rms(&t);
        Value::Flat((t * r).flatten(1, 2)).reshape(&dims)
    }

    /// With `r = (mean_c x^2 + eps)^(-1/2)`: `dx = r g - x r^3 mean_c(g x)`, per pixel.
    fn vjp(&self, x: &Value, _: Option<&Value>, g: Value) -> Result<InputGrads, NoInputGradient> {
        let dims = x.per_sample();
        let t = x.clone().channels();
        let g = g.channels();
        let r = self.inverse_rms(&t);
        let gx = g.clone() * r.clone() - t.clone() * r.powi_scalar(3) * (g * t).mean_dim(1);
        Ok(InputGrads::of(Value::Flat(gx.flatten(1, 2)).reshape(&dims)))
    }
}

/// `minibatch_stddev(group)`: the standard deviation of each feature over a group of samples,
/// averaged over features and pixels, appended to each sample of the group as one more channel.
///
/// Groups are formed as in PGGAN's code: with `G` samples per group and `M = B / G` groups,
/// sample `n` belongs to group `n % M`. `G` is `group`, or the largest divisor of the batch not
/// above it when the batch does not divide (a batch of one appends `sqrt(1e-8)`).
///
/// Its input-gradient product couples the samples of a group, as the forward pass does: it is
/// the exact product of the whole batch's Jacobian, so the gradient penalties differentiate
/// `sum_n D(x)_n` with respect to every sample through the group statistics, exactly what
/// WGAN-GP with minibatch stddev computes in PGGAN (and PyTorch's `autograd.grad` of
/// `D(x).sum()`). The registry therefore lets a penalized critic hold it.
#[derive(Clone, Debug, PartialEq)]
pub struct MinibatchStddev {
    /// Samples per group.
    pub group: usize,
}

/// Added to the variance before its square root.
const STDDEV_EPS: f64 = 1e-8;

impl MinibatchStddev {
    /// Samples per group for a batch of `b`.
    fn group_size(&self, b: usize) -> usize {
        (1..=self.group.clamp(1, b.max(1))).rev().find(|g| b.is_multiple_of(*g)).unwrap_or(1)
    }

    /// `x` `[B, C, P]` as `[G, M, C, P]`, its deviation from the group mean and the standard
    /// deviation per feature and pixel `[1, M, C, P]`.
    fn stats(&self, x: Tensor<3>) -> (Tensor<4>, Tensor<4>) {
        let [b, c, p] = x.dims();
        let g = self.group_size(b);
        let y = x.reshape([g, b / g, c, p]);
        let dev = y.clone() - y.mean_dim(0);
        let std = (dev.clone().powi_scalar(2).mean_dim(0) + STDDEV_EPS).sqrt();
        (dev, std)
    }
}

impl Differentiable for MinibatchStddev {
    fn forward(&self, x: Value, _: Option<Value>, _: &Ctx) -> Value {
        let [_, h, w] = x.per_sample()[..] else { unreachable!("the checker gives minibatch_stddev an image") };
        let t = x.channels();
        let [b, c, p] = t.dims();
        let g = self.group_size(b);
        let (_, std) = self.stats(t.clone());
        // One number per group, [M], broadcast to [G, M, 1, P] and back to [B, 1, P].
        let s = std.mean_dim(2).mean_dim(3).expand([g, b / g, 1, p]).reshape([b, 1, p]);
        Value::Image(Tensor::cat(vec![t, s], 1).reshape([b, c + 1, h, w]))
    }

    /// The feature channels pass their gradient through; the appended channel's gradient,
    /// summed over a group's samples and pixels (`S`), reaches each sample of the group as
    /// `S (x - mean) / (G std C P)`: the derivative of the mean standard deviation.
    fn vjp(&self, x: &Value, _: Option<&Value>, g: Value) -> Result<InputGrads, NoInputGradient> {
        let dims = x.per_sample();
        let t = x.clone().channels();
        let [b, c, p] = t.dims();
        let gs = self.group_size(b);
        let g = g.channels();
        let direct = g.clone().narrow(1, 0, c);
        let stat = g.narrow(1, c, 1).reshape([gs, b / gs, 1, p]).sum_dim(3).sum_dim(0);
        let (dev, std) = self.stats(t);
        let through = dev / std * stat / (gs * c * p) as f64;
        let gx = direct + through.reshape([b, c, p]);
        Ok(InputGrads::of(Value::Flat(gx.flatten(1, 2)).reshape(&dims)))
    }
}
