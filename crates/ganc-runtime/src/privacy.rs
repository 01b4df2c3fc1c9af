//! Differentially private D training, DP-SGD (Abadi et al. 2016): each sample's gradient of D's
//! loss is clipped to the norm C, the clipped gradients are summed, Gaussian noise of standard
//! deviation σC is added to each coordinate, and the sum is divided by the batch size. G learns
//! only from D, so it is private by post-processing. [`ganc_privacy::Accountant`] turns the
//! sampling rate, σ and the number of D updates into ε at δ.

use crate::params::grad_norm;
use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::tensor::{Distribution, Tensor};
use ganc_privacy::{Accountant, PrivacyError};

/// `differential_privacy(clip, noise, delta, epsilon)` on D.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Privacy {
    /// The bound C on each sample's gradient norm.
    pub clip: f64,
    /// The noise multiplier σ: the noise's standard deviation is σC. Unset: [`DEFAULT_NOISE`],
    /// or with a budget, the least σ that spends it over the run (set by the run).
    pub noise: Option<f64>,
    /// The δ at which ε is reported.
    pub delta: f64,
    /// The ε the run may spend: it stops before the next update would pass it.
    pub budget: Option<f64>,
}

/// The noise multiplier of `differential_privacy` without `noise` or `epsilon`.
pub const DEFAULT_NOISE: f64 = 1.1;

impl Privacy {
    /// The noise multiplier σ.
    pub fn sigma(&self) -> f64 {
        self.noise.unwrap_or(DEFAULT_NOISE)
    }

    /// The accountant of D updates on batches of `batch` samples drawn from `size`.
    pub fn accountant(&self, batch: usize, size: usize) -> Result<Accountant, PrivacyError> {
        Accountant::new(batch as f64 / size.max(1) as f64, self.sigma(), self.delta)
    }
}

/// Adds `scale` times the gradients `from` of `net`'s parameters into `into`.
pub fn accumulate<M: Module>(net: &M, from: &GradientsParams, into: &mut GradientsParams, scale: f64) {
    struct Accumulate<'a> {
        from: &'a GradientsParams,
        into: &'a mut GradientsParams,
        scale: f64,
    }
    impl ModuleVisitor for Accumulate<'_> {
        fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<D>>) {
            let Some(g) = self.from.get::<D>(p.id) else { return };
            let g = if self.scale == 1.0 { g } else { g.mul_scalar(self.scale) };
            let total = match self.into.remove::<D>(p.id) {
                Some(sum) => sum + g,
                None => g,
            };
            self.into.register(p.id, total);
        }
    }
    net.visit(&mut Accumulate { from, into, scale });
}

/// One sample's gradients scaled down to norm at most `clip`, and their norm before.
pub fn clip<M: Module>(net: &M, grads: &GradientsParams, clip: f64) -> (GradientsParams, f64) {
    let norm = grad_norm(net, grads);
    let mut clipped = GradientsParams::new();
    accumulate(net, grads, &mut clipped, clip_scale(norm, clip));
    (clipped, norm)
}

/// The factor that brings a gradient of norm `norm` within `clip`.
fn clip_scale(norm: f64, clip: f64) -> f64 {
    if norm > clip {
        clip / norm
    } else {
        1.0
    }
}

/// The sum of per-sample gradients, each clipped to norm C.
pub struct ClippedSum {
    clip: f64,
    sum: GradientsParams,
    samples: usize,
}

impl ClippedSum {
    /// An empty sum of gradients clipped to `clip`.
    pub fn new(clip: f64) -> Self {
        ClippedSum { clip, sum: GradientsParams::new(), samples: 0 }
    }

    /// Adds one sample's gradients of `net`'s parameters, clipped; returns their norm before.
    pub fn add<M: Module>(&mut self, net: &M, grads: &GradientsParams) -> f64 {
        let norm = grad_norm(net, grads);
        accumulate(net, grads, &mut self.sum, clip_scale(norm, self.clip));
        self.samples += 1;
        norm
    }

    /// The private gradient: the sum plus N(0, (`noise` C)²) on every coordinate, divided by
    /// the number of samples. The noise is drawn on the parameters' device (seeded by the step).
    pub fn finish<M: Module>(self, net: &M, noise: f64) -> GradientsParams {
        struct Noised {
            sum: GradientsParams,
            out: GradientsParams,
            std: f64,
            samples: f64,
        }
        impl ModuleVisitor for Noised {
            fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<D>>) {
                let Some(g) = self.sum.remove::<D>(p.id) else { return };
                let g = if self.std > 0.0 { g.clone().random_like(Distribution::Normal(0.0, self.std)) + g } else { g };
                self.out.register(p.id, g.div_scalar(self.samples));
            }
        }
        let mut v = Noised {
            sum: self.sum,
            out: GradientsParams::new(),
            std: noise * self.clip,
            samples: self.samples.max(1) as f64,
        };
        net.visit(&mut v);
        v.out
    }
}
