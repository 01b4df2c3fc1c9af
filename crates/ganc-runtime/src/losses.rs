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
    /// Jolicoeur-Martineau 2018: D scores how much more real the real data are than the fakes,
    /// against each paired fake or, with `average`, against the mean of the other side (RaGAN).
    Relativistic {
        /// The loss made relativistic.
        base: Base,
        /// Compare against the other side's batch mean.
        average: bool,
    },
    /// BEGAN (Berthelot et al. 2017): D's outputs are per-sample reconstruction errors
    /// ([`crate::equilibrium`]); D's loss is `mean real - k_t · mean fake`, G's `mean fake`.
    Began {
        /// The diversity ratio the control of `k_t` holds.
        gamma: f64,
        /// The control's gain.
        lambda_k: f64,
    },
    /// AC-GAN (Odena et al. 2017): `base` on D's adversarial score, and both networks add
    /// `weight` times the class cross-entropy of D's class logits ([`crate::auxiliary`]), which
    /// the trainer computes beside it.
    Auxiliary {
        /// The loss on the adversarial score.
        base: Box<Loss>,
        /// The weight of the class cross-entropy.
        weight: f64,
    },
    /// The semi-supervised GAN of Salimans et al. 2016: D's outputs are K class logits, the fake
    /// class implicit, so `D(x) = Z/(Z+1)` with `Z = Σ exp l_k`, a sigmoid of the score
    /// `logsumexp(l)` ([`crate::semi_supervised`]). D's loss is `unlabelled` times the
    /// non-saturating loss of that score on unlabelled reals and fakes, plus the class
    /// cross-entropy of a labelled batch (which the trainer adds); G's is its feature matching
    /// alone or, with `adversarial_g`, also `-log D(G(z))`.
    SemiSupervised {
        /// The weight of the unlabelled real/fake term in D's loss.
        unlabelled: f64,
        /// Whether G's loss has the adversarial term (`generator: non_saturating`).
        adversarial_g: bool,
    },
    /// Adversarial Variational Bayes (Mescheder et al. 2017): D's logistic loss tells (x, E(x,
    /// noise)) from (x, z ~ p(z)), so its logit estimates `log q(z|x) - log p(z)`; the encoder
    /// and the decoder G minimize that logit plus `‖G(z) - x‖² / 2σ²`, the negative ELBO under
    /// a Gaussian likelihood of std `sigma` (the trainer assembles it).
    Avb {
        /// The likelihood's standard deviation per pixel.
        sigma: f64,
    },
}

/// The loss a relativistic loss is made from: its per-sample penalty `f(z, +)` for a difference
/// `z` that should be positive, `f(z, -)` for one that should be negative.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Base {
    /// `softplus(-z)`, `softplus(z)` (RSGAN, RaSGAN).
    NonSaturating,
    /// `(z - 1)²`, `(z + 1)²` (RaLSGAN).
    LeastSquares,
    /// `relu(1 - z)`, `relu(1 + z)` (RaHingeGAN).
    Hinge,
}

impl Base {
    /// The mean penalty of the differences `z` for the sign `positive`.
    fn mean(self, z: Tensor<2>, positive: bool) -> Tensor<1> {
        let z = if positive { z } else { z.neg() };
        match self {
            Base::NonSaturating => softplus(z.neg(), 1.0).mean(),
            Base::LeastSquares => (z - 1.0).powi_scalar(2).mean(),
            Base::Hinge => relu(z.neg() + 1.0).mean(),
        }
    }

    /// The relativistic loss of the side whose outputs `ours` should exceed `theirs`.
    fn relativistic(self, ours: Tensor<2>, theirs: Tensor<2>, average: bool) -> Tensor<1> {
        if !average {
            return self.mean(ours - theirs, true);
        }
        let (ours_mean, theirs_mean) = (ours.clone().mean().unsqueeze(), theirs.clone().mean().unsqueeze());
        self.mean(ours - theirs_mean, true) + self.mean(theirs - ours_mean, false)
    }
}

/// Binary cross-entropy of logits `x` against soft targets `t`, per element:
/// `softplus(x) - t * x`.
fn bce(x: Tensor<2>, t: Tensor<2>) -> Tensor<1> {
    (softplus(x.clone(), 1.0) - t * x).mean()
}

impl Loss {
    /// Whether D's outputs are read as probabilities through a sigmoid (and labels apply).
    pub fn is_probabilistic(&self) -> bool {
        match self {
            Loss::Auxiliary { base, .. } => base.is_probabilistic(),
            other => {
                matches!(other, Loss::Minimax | Loss::NonSaturating | Loss::SemiSupervised { .. } | Loss::Avb { .. })
            }
        }
    }

    /// D's loss for real and fake outputs and their (possibly smoothed or noisy) targets. For
    /// BEGAN, the fakes' targets carry the weight `k_t` of their reconstruction error.
    pub fn discriminator(&self, real: Tensor<2>, fake: Tensor<2>, real_t: Tensor<2>, fake_t: Tensor<2>) -> Tensor<1> {
        match self {
            Loss::Minimax | Loss::NonSaturating | Loss::Avb { .. } => bce(real, real_t) + bce(fake, fake_t),
            Loss::Wasserstein => fake.mean() - real.mean(),
            Loss::LeastSquares { .. } => {
                ((real - real_t).powi_scalar(2).mean() + (fake - fake_t).powi_scalar(2).mean()) * 0.5
            }
            Loss::Hinge => relu(real.neg() + 1.0).mean() + relu(fake + 1.0).mean(),
            Loss::Relativistic { base, average } => base.relativistic(real, fake, *average),
            Loss::Began { .. } => real.mean() - (fake * fake_t).mean(),
            Loss::Auxiliary { base, .. } => base.discriminator(real, fake, real_t, fake_t),
            Loss::SemiSupervised { unlabelled, .. } => (bce(real, real_t) + bce(fake, fake_t)).mul_scalar(*unlabelled),
        }
    }

    /// The fake side of [`Loss::discriminator`] alone: D's loss for outputs `fake` it should
    /// call fake (targets `fake_t`). `None` for the losses whose sides do not separate
    /// (relativistic, BEGAN) and the class losses.
    pub fn fake_side(&self, fake: Tensor<2>, fake_t: Tensor<2>) -> Option<Tensor<1>> {
        Some(match self {
            Loss::Minimax | Loss::NonSaturating | Loss::Avb { .. } => bce(fake, fake_t),
            Loss::Wasserstein => fake.mean(),
            Loss::LeastSquares { .. } => (fake - fake_t).powi_scalar(2).mean() * 0.5,
            Loss::Hinge => relu(fake + 1.0).mean(),
            Loss::Relativistic { .. } | Loss::Began { .. } | Loss::Auxiliary { .. } | Loss::SemiSupervised { .. } => {
                return None
            }
        })
    }

    /// The gradients of [`Loss::discriminator`] with respect to D's real and fake outputs, in
    /// closed form, so that they are themselves differentiable (parameter gradients that a loss
    /// on them trains through: `unroll`, `nagarajan_kolter`). `None` for the relativistic losses,
    /// whose terms couple the two batches.
    pub fn discriminator_output_grads(
        &self,
        real: Tensor<2>,
        fake: Tensor<2>,
        real_t: Tensor<2>,
        fake_t: Tensor<2>,
    ) -> Option<(Tensor<2>, Tensor<2>)> {
        let (nr, nf) = (real.dims()[0] as f64, fake.dims()[0] as f64);
        Some(match self {
            // d/dx mean(softplus(x) - t x) = (sigmoid(x) - t) / n.
            Loss::Minimax | Loss::NonSaturating | Loss::Avb { .. } => {
                ((sigmoid(real) - real_t) / nr, (sigmoid(fake) - fake_t) / nf)
            }
            Loss::Wasserstein => (real.ones_like() * (-1.0 / nr), fake.ones_like() / nf),
            Loss::LeastSquares { .. } => ((real - real_t) / nr, (fake - fake_t) / nf),
            // relu(1 - x) falls where x < 1, relu(1 + x) rises where x > -1.
            Loss::Hinge => (real.lower_elem(1.0).float() * (-1.0 / nr), fake.greater_elem(-1.0).float() / nf),
            // Its outputs are not D's: the reconstruction errors of its autoencoder output.
            Loss::Relativistic { .. } | Loss::Began { .. } | Loss::Auxiliary { .. } | Loss::SemiSupervised { .. } => {
                return None
            }
        })
    }

    /// Whether G's loss has an adversarial term (a semi-supervised G may be trained by feature
    /// matching alone).
    pub fn trains_g_adversarially(&self) -> bool {
        !matches!(self, Loss::SemiSupervised { adversarial_g: false, .. })
    }

    /// Whether G's loss reads D's outputs on real data too.
    pub fn is_relativistic(&self) -> bool {
        matches!(self, Loss::Relativistic { .. })
    }

    /// The targets D's loss uses for real and fake samples when no label regularizer changes them
    /// (for BEGAN, `k_0 = 0`).
    pub fn targets(&self) -> (f64, f64) {
        match self {
            Loss::LeastSquares { a, b, .. } => (*b, *a),
            Loss::Began { .. } => (0.0, 0.0),
            Loss::Auxiliary { base, .. } => base.targets(),
            _ => (1.0, 0.0),
        }
    }

    /// G's loss for D's outputs on fakes, and on real data for a relativistic loss (which
    /// without them compares the fakes with themselves).
    pub fn generator(&self, fake: Tensor<2>, real: Option<Tensor<2>>) -> Tensor<1> {
        match self {
            Loss::Relativistic { base, average } => {
                let real = real.unwrap_or_else(|| fake.clone().detach());
                base.relativistic(fake, real, *average)
            }
            Loss::Minimax => softplus(fake, 1.0).mean().neg(),
            Loss::NonSaturating | Loss::SemiSupervised { .. } => softplus(fake.neg(), 1.0).mean(),
            Loss::Wasserstein | Loss::Hinge => fake.mean().neg(),
            Loss::LeastSquares { c, .. } => (fake - *c).powi_scalar(2).mean() * 0.5,
            // AVB: the encoder's pairs' logit, the estimated KL term (the trainer adds the rest).
            Loss::Began { .. } | Loss::Avb { .. } => fake.mean(),
            Loss::Auxiliary { base, .. } => base.generator(fake, real),
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

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Device;

    fn column(v: &[f32]) -> Tensor<2> {
        Tensor::<1>::from_floats(v, &Device::flex()).reshape([v.len(), 1])
    }

    fn value(t: Tensor<1>) -> f32 {
        t.into_scalar::<f32>()
    }

    fn softplus(x: f32) -> f32 {
        x.exp().ln_1p()
    }

    #[test]
    fn relativistic_losses_follow_the_paper() {
        let (r, f) = ([2.0, 0.0], [1.0, -1.0]);
        let (real, fake) = (column(&r), column(&f));
        let paired = Loss::Relativistic { base: Base::NonSaturating, average: false };
        let d = value(paired.discriminator(real.clone(), fake.clone(), real.clone(), fake.clone()));
        assert!((d - softplus(-1.0)).abs() < 1e-6, "RSGAN D: {d}");
        // RaSGAN: each side against the other side's mean (fakes 0, reals 1).
        let ra = Loss::Relativistic { base: Base::NonSaturating, average: true };
        let d = value(ra.discriminator(real.clone(), fake.clone(), real.clone(), fake.clone()));
        let want = (softplus(-2.0) + softplus(0.0)) / 2.0 + (softplus(0.0) + softplus(-2.0)) / 2.0;
        assert!((d - want).abs() < 1e-6, "RaSGAN D: {d} vs {want}");
        let g = value(ra.generator(fake.clone(), Some(real.clone())));
        let want = (softplus(-0.0) + softplus(2.0)) / 2.0 + (softplus(2.0) + softplus(0.0)) / 2.0;
        assert!((g - want).abs() < 1e-6, "RaSGAN G: {g} vs {want}");
        // RaLSGAN and RaHinge on the same differences: r - mean f = (2, 0), f - mean r = (0, -2).
        let ls = Loss::Relativistic { base: Base::LeastSquares, average: true };
        let d = value(ls.discriminator(real.clone(), fake.clone(), real.clone(), fake.clone()));
        assert!((d - ((1.0 + 1.0) / 2.0 + (1.0 + 1.0) / 2.0)).abs() < 1e-6, "RaLSGAN D: {d}");
        let hinge = Loss::Relativistic { base: Base::Hinge, average: true };
        let d = value(hinge.discriminator(real.clone(), fake.clone(), real, fake));
        assert!((d - ((0.0 + 1.0) / 2.0 + (1.0 + 0.0) / 2.0)).abs() < 1e-6, "RaHinge D: {d}");
    }

    #[test]
    fn only_differences_of_outputs_count() {
        let (real, fake) = (column(&[0.3, -1.2, 2.5]), column(&[0.1, 0.7, -0.4]));
        let shift = |t: &Tensor<2>| t.clone() + 5.0;
        for base in [Base::NonSaturating, Base::LeastSquares, Base::Hinge] {
            for average in [false, true] {
                let l = Loss::Relativistic { base, average };
                let d = |r: Tensor<2>, f: Tensor<2>| value(l.discriminator(r.clone(), f.clone(), r, f));
                let g = |r: Tensor<2>, f: Tensor<2>| value(l.generator(f, Some(r)));
                let (r2, f2) = (shift(&real), shift(&fake));
                assert!((d(real.clone(), fake.clone()) - d(r2.clone(), f2.clone())).abs() < 1e-5, "{l:?} D");
                assert!((g(real.clone(), fake.clone()) - g(r2, f2)).abs() < 1e-5, "{l:?} G");
            }
        }
        // The standard loss is not relativistic: a shift moves it.
        let ns = |r: Tensor<2>, f: Tensor<2>| {
            value(Loss::NonSaturating.discriminator(r.clone(), f.clone(), r.ones_like(), f.zeros_like()))
        };
        assert!((ns(real.clone(), fake.clone()) - ns(shift(&real), shift(&fake))).abs() > 1e-2);
    }

    #[test]
    fn closed_form_output_gradients_agree_with_autodiff() {
        let device = Device::flex().autodiff();
        let col = |v: &[f32]| Tensor::<1>::from_floats(v, &device).reshape([v.len(), 1]);
        let (r, f) = ([0.3, -1.2, 2.5, 0.9], [0.1, 1.7, -0.4, -2.0]);
        let losses = [
            Loss::NonSaturating,
            Loss::Minimax,
            Loss::Wasserstein,
            Loss::Hinge,
            Loss::LeastSquares { a: 0.0, b: 1.0, c: 1.0 },
        ];
        for loss in losses {
            let (real, fake) = (col(&r).require_grad(), col(&f).require_grad());
            let (rt, ft) = (col(&[0.9, 0.8, 1.0, 0.95]), col(&[0.0, 0.1, 0.0, 0.05]));
            let grads = loss.discriminator(real.clone(), fake.clone(), rt.clone(), ft.clone()).backward();
            let (gr, gf) = loss.discriminator_output_grads(real.clone(), fake.clone(), rt, ft).expect("closed form");
            for (auto, closed) in [(real.grad(&grads), gr), (fake.grad(&grads), gf)] {
                let (a, c) = (auto.expect("a gradient").to_data(), closed.inner().to_data());
                let (a, c) = (a.as_slice::<f32>().unwrap(), c.as_slice::<f32>().unwrap());
                for (x, y) in a.iter().zip(c) {
                    assert!((x - y).abs() < 1e-6, "{loss:?}: autodiff {a:?} vs closed form {c:?}");
                }
            }
        }
    }
}
