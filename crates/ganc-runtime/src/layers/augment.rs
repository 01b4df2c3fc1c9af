//! Conditioning augmentation (Zhang et al. 2017, StackGAN; kept in StackGAN++): the incoming
//! embedding is mapped to a mean and a log variance, and the condition G reads is a fresh draw
//! from that Gaussian at every pass, so that nearby embeddings give overlapping conditions. G's
//! loss adds the KL divergence of the Gaussian from N(0, I) ([`Augment::kl`]).

use super::{weights, Ctx, Differentiable, InputGrads, NoInputGradient};
use crate::value::Value;
use burn::module::Module;
use burn::nn::Linear;
use burn::tensor::{Distribution, Tensor};

/// `conditioning_augmentation(dim, kl)`.
#[derive(Module, Debug)]
pub struct Augment {
    /// The map to `[mean, logvar]`, `2 * dim` features.
    pub moments: Linear,
    /// Features of the drawn condition.
    #[module(skip)]
    pub dim: usize,
    /// Weight of the KL term in G's loss.
    #[module(skip)]
    pub weight: f64,
}

impl Augment {
    /// The mean and log variance of the condition given embeddings `x`, `[B, dim]` each.
    fn moments(&self, x: Value) -> (Tensor<2>, Tensor<2>) {
        let h = weights::linear(x, self.moments.weight.val(), self.moments.bias.as_ref().map(|b| b.val())).flat();
        (h.clone().narrow(1, 0, self.dim), h.narrow(1, self.dim, self.dim))
    }

    /// The weighted KL term of G's loss for embeddings `x`: `weight` times the mean over the
    /// batch and the features of `KL(N(mean, var) || N(0, 1)) = (mean^2 + var - 1 - logvar) / 2`
    /// (the StackGAN code's `KL_loss`).
    pub fn kl(&self, x: Value) -> Tensor<1> {
        let (mean, logvar) = self.moments(x);
        let kl = mean.powi_scalar(2) + logvar.clone().exp() - logvar - 1.0;
        kl.mean().mul_scalar(0.5 * self.weight)
    }
}

impl Differentiable for Augment {
    fn forward(&self, x: Value, _: Option<Value>, _: &Ctx) -> Value {
        let (mean, logvar) = self.moments(x);
        let eps = mean.clone().random_like(Distribution::Normal(0.0, 1.0));
        Value::Flat(mean + (logvar * 0.5).exp() * eps)
    }

    /// None: the condition is drawn at random.
    fn vjp(&self, _: &Value, _: Option<&Value>, _: Value) -> Result<InputGrads, NoInputGradient> {
        Err(NoInputGradient::RandomMask)
    }
}
