//! The adversarial losses, on D's raw outputs `[B, 1]`.

use burn::tensor::activation::{relu, sigmoid, softplus};
use burn::tensor::Tensor;

/// A lowered loss.
#[derive(Clone, Debug, PartialEq)]
pub enum Loss {
    /// Goodfellow et al. 2014, G minimizes log(1 - D(G(z))).
    Minimax,
    /// G maximizes log D(G(z)).
    NonSaturating,
    /// WGAN critic.
    Wasserstein,
    /// LSGAN with targets a (fake), b (real), c (G).
    LeastSquares {
        /// Fake target.
        a: f64,
        /// Real target.
        b: f64,
        /// G's target.
        c: f64,
    },
    /// Hinge loss.
    Hinge,
}

/// Binary cross-entropy of logits `x` against soft targets `t`, per element:
/// `softplus(x) - t * x`.
fn bce(x: Tensor<2>, t: Tensor<2>) -> Tensor<1> {
    (softplus(x.clone(), 1.0) - t * x).mean()
}

impl Loss {
    /// Whether D's outputs are read as probabilities through a sigmoid (and labels apply).
    pub fn is_probabilistic(&self) -> bool {
        matches!(self, Loss::Minimax | Loss::NonSaturating)
    }

    /// D's loss for real and fake outputs and their (possibly smoothed or noisy) targets.
    pub fn discriminator(&self, real: Tensor<2>, fake: Tensor<2>, real_t: Tensor<2>, fake_t: Tensor<2>) -> Tensor<1> {
        match self {
            Loss::Minimax | Loss::NonSaturating => bce(real, real_t) + bce(fake, fake_t),
            Loss::Wasserstein => fake.mean() - real.mean(),
            Loss::LeastSquares { .. } => {
                ((real - real_t).powi_scalar(2).mean() + (fake - fake_t).powi_scalar(2).mean()) * 0.5
            }
            Loss::Hinge => relu(real.neg() + 1.0).mean() + relu(fake + 1.0).mean(),
        }
    }

    /// The targets D's loss uses for real and fake samples when no label regularizer changes them.
    pub fn targets(&self) -> (f64, f64) {
        match self {
            Loss::LeastSquares { a, b, .. } => (*b, *a),
            _ => (1.0, 0.0),
        }
    }

    /// G's loss for D's outputs on fakes.
    pub fn generator(&self, fake: Tensor<2>) -> Tensor<1> {
        match self {
            Loss::Minimax => softplus(fake, 1.0).mean().neg(),
            Loss::NonSaturating => softplus(fake.neg(), 1.0).mean(),
            Loss::Wasserstein | Loss::Hinge => fake.mean().neg(),
            Loss::LeastSquares { c, .. } => (fake - *c).powi_scalar(2).mean() * 0.5,
        }
    }

    /// The mean of D's output as a number to report: a probability for the sigmoid losses.
    pub fn report(&self, out: Tensor<2>) -> Tensor<1> {
        if self.is_probabilistic() {
            sigmoid(out).mean()
        } else {
            out.mean()
        }
    }
}
