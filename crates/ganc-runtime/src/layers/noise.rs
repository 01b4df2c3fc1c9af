//! Noise: `dropout` (a random mask: no input gradient) and `gaussian_noise` (additive: the
//! identity), with the decay schedule of the noise level.

use super::{Ctx, Differentiable, InputGrads, NoInputGradient};
use crate::value::Value;
use burn::tensor::Distribution;

/// A noise level that decays to zero.
#[derive(Clone, Debug, PartialEq)]
pub struct Decay {
    /// `linear`, `cosine` or `exponential`.
    pub kind: String,
    /// Steps to reach (about) zero.
    pub steps: u64,
}

impl Decay {
    /// The factor in [0, 1] at `step`.
    pub fn factor(decay: Option<&Decay>, step: u64) -> f64 {
        let Some(d) = decay else { return 1.0 };
        let t = (step as f64 / d.steps.max(1) as f64).min(1.0);
        match d.kind.as_str() {
            "cosine" => 0.5 * (1.0 + (std::f64::consts::PI * t).cos()),
            "exponential" => (-5.0 * t).exp() * (1.0 - t),
            _ => 1.0 - t,
        }
    }
}

/// `dropout(p, keep_at_sample)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Dropout {
    /// Drop probability.
    pub p: f64,
    /// Also active when sampling.
    pub keep_at_sample: bool,
}

impl Differentiable for Dropout {
    fn forward(&self, x: Value, _: Option<Value>, ctx: &Ctx) -> Value {
        if !(ctx.training || self.keep_at_sample) || self.p == 0.0 {
            return x;
        }
        let keep = 1.0 - self.p;
        x.map(
            |t| t.clone().random_like(Distribution::Bernoulli(keep)) * t / keep,
            |t| t.clone().random_like(Distribution::Bernoulli(keep)) * t / keep,
        )
    }

    /// None: the mask is drawn at random.
    fn vjp(&self, _: &Value, _: Option<&Value>, _: Value) -> Result<InputGrads, NoInputGradient> {
        Err(NoInputGradient::RandomMask)
    }
}

/// `gaussian_noise(std, decay)`.
#[derive(Clone, Debug, PartialEq)]
pub struct GaussianNoise {
    /// Initial standard deviation.
    pub std: f64,
    /// Decay schedule.
    pub decay: Option<Decay>,
}

impl Differentiable for GaussianNoise {
    fn forward(&self, x: Value, _: Option<Value>, ctx: &Ctx) -> Value {
        let std = self.std * Decay::factor(self.decay.as_ref(), ctx.step);
        if !ctx.training || std == 0.0 {
            return x;
        }
        x.map(
            |t| t.clone().random_like(Distribution::Normal(0.0, std)) + t,
            |t| t.clone().random_like(Distribution::Normal(0.0, std)) + t,
        )
    }

    /// Additive noise: the identity.
    fn vjp(&self, x: &Value, _: Option<&Value>, g: Value) -> Result<InputGrads, NoInputGradient> {
        Ok(InputGrads::of(g.reshape(&x.per_sample())))
    }
}
