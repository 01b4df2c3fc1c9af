//! Virtual batch normalization (Salimans et al. 2016): statistics of a fixed reference batch
//! combined with the sample itself, so a sample's output does not depend on its batch-mates.
//!
//! The network runs its reference batch's rows ahead of every batch ([`crate::network::Net`]
//! holds the reference inputs); this layer takes its statistics from those rows, at this
//! layer and with the current weights, as the paper does, and the rows are stripped from the
//! network's output.

use super::{Ctx, Differentiable, InputGrads, NoInputGradient};
use crate::value::Value;
use burn::module::{Module, Param};
use burn::tensor::Tensor;

/// `virtual_batchnorm(reference, eps)`: each value is normalized per feature (per channel of
/// an image) with the mean and variance of the reference rows and the sample together, the
/// sample weighing `1 / (R + 1)`; the reference rows themselves with the reference's
/// statistics alone. A learned scale and shift follow.
#[derive(Module, Debug)]
pub struct VirtualBatchNorm {
    /// Scale per feature or channel.
    pub gamma: Param<Tensor<1>>,
    /// Shift per feature or channel.
    pub beta: Param<Tensor<1>>,
    /// How many of the reference rows give the statistics (the layer's `reference`).
    #[module(skip)]
    pub reference: usize,
    /// How many reference rows run ahead of the batch (the network's reference batch; 0 in a
    /// network without one, where each sample is normalized by its own statistics).
    #[module(skip)]
    pub rows: usize,
    /// Added to the variance.
    #[module(skip)]
    pub eps: f64,
}

/// The normalized values `(x - mu) / s` and `s`, for `[N, C, S]`.
struct Normalized {
    xhat: Tensor<3>,
    s: Tensor<3>,
}

impl VirtualBatchNorm {
    /// The reference rows that give the statistics, and the weight of the sample.
    fn counts(&self) -> (usize, f64) {
        let r = self.reference.min(self.rows);
        (r, 1.0 / (r + 1) as f64)
    }

    fn normalize(&self, x: Tensor<3>) -> Normalized {
        let [n, c, _] = x.dims();
        let (r, w) = self.counts();
        let sq = x.clone() * x.clone();
        let (mean, mean_sq) = (x.clone().mean_dim(2), sq.mean_dim(2));
        // Per sample: (1 - w) * reference statistics + w * its own.
        let (mut mu, mut m2) = (mean.clone() * w, mean_sq.clone() * w);
        if r > 0 {
            let ref_mu = mean.clone().narrow(0, 0, r).mean_dim(0);
            let ref_m2 = mean_sq.narrow(0, 0, r).mean_dim(0);
            mu = mu + ref_mu.clone() * (1.0 - w);
            m2 = m2 + ref_m2.clone() * (1.0 - w);
            // The reference rows: the reference's statistics alone.
            let rows = self.rows;
            let batch = |t: Tensor<3>| t.narrow(0, rows, n - rows);
            mu = Tensor::cat(vec![ref_mu.expand([rows, c, 1]), batch(mu)], 0);
            m2 = Tensor::cat(vec![ref_m2.expand([rows, c, 1]), batch(m2)], 0);
        }
        let var = m2 - mu.clone() * mu.clone();
        let s = (var + self.eps).sqrt();
        Normalized { xhat: (x - mu) / s.clone(), s }
    }

    fn affine(&self, c: usize) -> (Tensor<3>, Tensor<3>) {
        (self.gamma.val().reshape([1, c, 1]), self.beta.val().reshape([1, c, 1]))
    }
}

impl Differentiable for VirtualBatchNorm {
    fn forward(&self, x: Value, _: Option<Value>, _: &Ctx) -> Value {
        let dims = x.per_sample();
        let t = x.channels();
        let (gamma, beta) = self.affine(t.dims()[1]);
        let Normalized { xhat, .. } = self.normalize(t);
        Value::Flat((xhat * gamma + beta).flatten::<2>(1, 2)).reshape(&dims)
    }

    /// Per sample, with the reference fixed: through the sample's own share `1 / (R + 1)` of
    /// the statistics. The reference rows do not depend on the input: their gradient is 0.
    fn vjp(&self, x: &Value, _: Option<&Value>, g: Value) -> Result<InputGrads, NoInputGradient> {
        let dims = x.per_sample();
        let t = x.clone().channels();
        let [n, c, _] = t.dims();
        let (_, w) = self.counts();
        let Normalized { xhat, s } = self.normalize(t);
        let gg = g.channels() * self.affine(c).0;
        let m1 = gg.clone().mean_dim(2);
        let m2 = (gg.clone() * xhat.clone()).mean_dim(2);
        let gx = (gg - m1 * w - xhat * m2 * w) / s;
        let rows = self.rows.min(n);
        let gx = if rows > 0 {
            let zeros = gx.clone().narrow(0, 0, rows).zeros_like();
            Tensor::cat(vec![zeros, gx.narrow(0, rows, n - rows)], 0)
        } else {
            gx
        };
        Ok(InputGrads::of(Value::Flat(gx.flatten::<2>(1, 2)).reshape(&dims)))
    }
}
