//! BEGAN's boundary equilibrium (Berthelot et al. 2017). D is an autoencoder and scores a sample
//! by its reconstruction error `L(v) = mean |v - D(v)|`; D minimizes `L(x) - k_t · L(G(z))` and G
//! minimizes `L(G(z))`. The weight `k_t` starts at 0 and follows a proportional control that
//! holds the fakes' error at `gamma` times the reals': after each step,
//! `k_{t+1} = clip(k_t + lambda_k · (gamma · L(x) - L(G(z))), 0, 1)`. The convergence measure
//! `M_global = L(x) + |gamma · L(x) - L(G(z))|` falls as the images improve (the paper's figure 3).
//! `k_t` is part of a run's state: the checkpoint keeps it.

use crate::value::Value;
use burn::tensor::Tensor;

/// The control of `k_t`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Equilibrium {
    /// The weight of the fakes' error in D's loss.
    pub k: f64,
    /// The ratio of the fakes' error to the reals' that the control holds (diversity ratio).
    pub gamma: f64,
    /// The control's gain.
    pub lambda_k: f64,
}

impl Equilibrium {
    /// The control at its start, `k_0 = 0`.
    pub fn new(gamma: f64, lambda_k: f64) -> Self {
        Equilibrium { k: 0.0, gamma, lambda_k }
    }

    /// Moves `k` after a step whose mean real error was `real` (D's) and mean fake error `fake`
    /// (G's); returns the step's `M_global`.
    pub fn update(&mut self, real: f64, fake: f64) -> f64 {
        let balance = self.gamma * real - fake;
        self.k = (self.k + self.lambda_k * balance).clamp(0.0, 1.0);
        real + balance.abs()
    }
}

/// The mean absolute difference between each sample of `x` and its reconstruction `out`, `[B, 1]`.
pub fn reconstruction_error(x: Value, out: Value) -> Tensor<2> {
    let (x, out) = (x.flat(), out.flat());
    (x - out).abs().mean_dim(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn k_moves_toward_balance_and_stays_in_the_unit_interval() {
        let mut eq = Equilibrium::new(0.5, 0.1);
        // Fakes reconstructed too well (0.1 < 0.5 · 0.4): D must weigh them more.
        let m = eq.update(0.4, 0.1);
        assert!((eq.k - 0.01).abs() < 1e-12, "{}", eq.k);
        assert!((m - (0.4 + 0.1)).abs() < 1e-12, "M_global {m}");
        // Fakes reconstructed badly: k falls, and never below 0.
        eq.update(0.4, 5.0);
        assert_eq!(eq.k, 0.0);
        for _ in 0..100 {
            eq.update(10.0, 0.0);
        }
        assert_eq!(eq.k, 1.0);
    }
}
