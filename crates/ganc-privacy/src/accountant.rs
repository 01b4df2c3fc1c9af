//! The (ε, δ) spent by a run of DP-SGD: [`epsilon`] for one question, [`Accountant`] for many
//! about one configuration (one RDP evaluation per order, then every step count is cheap).

use std::fmt;

use crate::rdp::{in_domain, privacy_spent, rdp_one_step, DEFAULT_ORDERS};

/// The best (ε, δ)-DP guarantee found over a set of Rényi orders.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Epsilon {
    /// ε at the given δ.
    pub epsilon: f64,
    /// The Rényi order α that gave it. If it is the first or the last order searched, a wider
    /// range of orders might give a smaller ε (Opacus warns about that case).
    pub order: f64,
}

/// What is wrong with a DP-SGD configuration; see [`check`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PrivacyError {
    /// The sampling rate `q` is not in `(0, 1]`.
    SampleRate(f64),
    /// The noise multiplier `sigma` is not positive and finite.
    NoiseMultiplier(f64),
    /// `delta` is not in `(0, 1)`.
    Delta(f64),
}

impl fmt::Display for PrivacyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SampleRate(q) => {
                write!(f, "the sampling rate q must be in (0, 1] (batch size / dataset size), got {q}")
            }
            Self::NoiseMultiplier(sigma) => {
                write!(f, "the noise multiplier sigma must be positive and finite, got {sigma}")
            }
            Self::Delta(delta) => write!(f, "delta must be in (0, 1), got {delta}"),
        }
    }
}

impl std::error::Error for PrivacyError {}

/// Checks a DP-SGD configuration: the sampling rate `q` in `(0, 1]`, the noise multiplier `sigma`
/// positive and finite, `delta` in `(0, 1)`. The first problem found is returned.
pub fn check(q: f64, sigma: f64, delta: f64) -> Result<(), PrivacyError> {
    if !(q > 0.0 && q <= 1.0) {
        return Err(PrivacyError::SampleRate(q));
    }
    if !(sigma > 0.0 && sigma.is_finite()) {
        return Err(PrivacyError::NoiseMultiplier(sigma));
    }
    if !(delta > 0.0 && delta < 1.0) {
        return Err(PrivacyError::Delta(delta));
    }
    Ok(())
}

/// The ε spent by `steps` steps of DP-SGD with sampling rate `q` and noise multiplier `sigma`, at
/// `delta`, minimized over [`DEFAULT_ORDERS`]: what Opacus's `RDPAccountant.get_privacy_spent(delta=
/// delta)` returns after `steps` calls of `step(noise_multiplier=sigma, sample_rate=q)`.
///
/// Follows Opacus at the edges: `steps == 0` (an empty history) gives `ε = 0` with order 0;
/// `q == 0` gives the ε of zero RDP (positive: the RDP-to-DP conversion is not tight); `sigma ==
/// 0` gives `ε = +∞`. All fields are NaN when the inputs are outside `q ∈ [0, 1]`, `sigma ∈ [0,
/// ∞)`, `delta ∈ (0, 1)`; [`check`] says what is wrong. A δ close to 1 can give a negative ε.
pub fn epsilon(q: f64, sigma: f64, steps: u64, delta: f64) -> Epsilon {
    epsilon_at_orders(q, sigma, steps, delta, &DEFAULT_ORDERS)
}

/// [`epsilon`] minimized over the given Rényi `orders` instead of the default ones (Opacus's
/// `alphas` argument). Orders `<= 1` or NaN are skipped; with none left ε is `+∞` and the order
/// NaN.
pub fn epsilon_at_orders(q: f64, sigma: f64, steps: u64, delta: f64, orders: &[f64]) -> Epsilon {
    if !(in_domain(q, sigma) && delta > 0.0 && delta < 1.0) {
        return Epsilon { epsilon: f64::NAN, order: f64::NAN };
    }
    if steps == 0 {
        return Epsilon { epsilon: 0.0, order: 0.0 };
    }
    let rdp = orders.iter().map(|&order| crate::rdp(q, sigma, steps, order));
    let (epsilon, order) = privacy_spent(orders, rdp, delta);
    Epsilon { epsilon, order }
}

/// The most steps [`Accountant::steps_within`] answers: a billion.
pub const MAX_STEPS: u64 = 1_000_000_000;

/// The privacy spent by DP-SGD with one configuration, after any number of steps.
///
/// Holds the RDP of one step at each of [`DEFAULT_ORDERS`]; RDP composes additively, so the RDP
/// after `s` steps is `s` times it, and [`epsilon_after`](Self::epsilon_after) only redoes the
/// RDP-to-DP conversion. Its answers are exactly (bit for bit) those of [`epsilon`].
#[derive(Clone, Debug)]
pub struct Accountant {
    q: f64,
    sigma: f64,
    delta: f64,
    /// The RDP of one step at each default order.
    step_rdp: Vec<f64>,
}

impl Accountant {
    /// The accountant for sampling rate `q` (batch size / dataset size, under Poisson sampling),
    /// noise multiplier `sigma`, and target `delta`; an error saying what is wrong unless
    /// [`check`] passes.
    pub fn new(q: f64, sigma: f64, delta: f64) -> Result<Self, PrivacyError> {
        check(q, sigma, delta)?;
        let step_rdp = DEFAULT_ORDERS.iter().map(|&order| rdp_one_step(q, sigma, order)).collect();
        Ok(Self { q, sigma, delta, step_rdp })
    }

    /// The sampling rate q.
    pub fn q(&self) -> f64 {
        self.q
    }

    /// The noise multiplier σ.
    pub fn sigma(&self) -> f64 {
        self.sigma
    }

    /// The target δ.
    pub fn delta(&self) -> f64 {
        self.delta
    }

    /// The ε spent after `steps` steps, and the order that gives it: `epsilon(q, sigma, steps,
    /// delta)`.
    pub fn spent_after(&self, steps: u64) -> Epsilon {
        if steps == 0 {
            return Epsilon { epsilon: 0.0, order: 0.0 };
        }
        let s = steps as f64;
        let (epsilon, order) = privacy_spent(&DEFAULT_ORDERS, self.step_rdp.iter().map(|r| r * s), self.delta);
        Epsilon { epsilon, order }
    }

    /// The ε spent after `steps` steps (0 after none).
    pub fn epsilon_after(&self, steps: u64) -> f64 {
        self.spent_after(steps).epsilon
    }

    /// The largest number of steps, at most [`MAX_STEPS`], whose ε is within `budget`:
    /// `epsilon_after(s) <= budget < epsilon_after(s + 1)` unless `s == MAX_STEPS`. ε grows with
    /// the steps (for `steps >= 1`, exactly so in f64), so this is a binary search. 0 when not
    /// even one step fits (or `budget` is NaN).
    pub fn steps_within(&self, budget: f64) -> u64 {
        let fits = |steps: u64| self.epsilon_after(steps) <= budget;
        if !fits(1) {
            return 0;
        }
        if fits(MAX_STEPS) {
            return MAX_STEPS;
        }
        // fits(lo) and !fits(hi).
        let (mut lo, mut hi) = (1, MAX_STEPS);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if fits(mid) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        lo
    }
}

/// The smallest noise multiplier σ (to a relative 1e-6) whose `steps` steps at sampling rate `q`
/// spend at most `budget` at `delta`: what Opacus's `get_noise_multiplier` searches for (its
/// answer is within its `epsilon_tolerance` of the budget, so at least this σ). `None` when the
/// inputs are invalid (see [`check`]) or no σ up to 10⁶ fits the budget.
pub fn noise_for_budget(q: f64, steps: u64, delta: f64, budget: f64) -> Option<f64> {
    check(q, 1.0, delta).ok()?;
    let fits = |sigma: f64| epsilon(q, sigma, steps, delta).epsilon <= budget;
    let (mut lo, mut hi) = (0.0, 1.0);
    while !fits(hi) {
        (lo, hi) = (hi, hi * 2.0);
        if hi > 1e6 {
            return None;
        }
    }
    // !fits(lo) (or lo == 0, where ε is infinite) and fits(hi).
    while hi - lo > 1e-6 * hi {
        let mid = 0.5 * (lo + hi);
        if fits(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// σ for a budget agrees with Opacus 1.6's `get_noise_multiplier(target_epsilon, target_delta
    /// = 1e-5, sample_rate, steps, accountant = "rdp", epsilon_tolerance = 1e-4)`, and is the
    /// smallest that fits.
    #[test]
    fn noise_for_a_budget_is_the_least_that_fits() {
        let q = 64.0 / 60_000.0;
        for (q, steps, budget, opacus) in [
            (q, 2_000, 1.0, 0.863037109375),
            (q, 2_000, 3.0, 0.583348274230957),
            (q, 2_000, 10.0, 0.4044198989868164),
            (0.01, 1_000, 2.0, 1.0223007202148438),
        ] {
            let sigma = noise_for_budget(q, steps, 1e-5, budget).expect("a sigma fits");
            assert!((sigma - opacus).abs() / opacus < 1e-3, "{sigma} vs Opacus {opacus}");
            assert!(epsilon(q, sigma, steps, 1e-5).epsilon <= budget);
            assert!(epsilon(q, sigma * (1.0 - 1e-4), steps, 1e-5).epsilon > budget);
        }
        assert_eq!(noise_for_budget(0.0, 10, 1e-5, 1.0), None);
        assert_eq!(noise_for_budget(0.1, 10, 1e-5, 0.0), None, "epsilon 0 needs infinite noise");
    }

    #[test]
    fn check_says_what_is_wrong() {
        assert_eq!(check(0.01, 1.0, 1e-5), Ok(()));
        assert_eq!(check(1.0, 1.0, 1e-5), Ok(()));
        assert_eq!(check(0.0, 1.0, 1e-5), Err(PrivacyError::SampleRate(0.0)));
        assert_eq!(check(1.5, 1.0, 1e-5), Err(PrivacyError::SampleRate(1.5)));
        assert!(matches!(check(f64::NAN, 1.0, 1e-5), Err(PrivacyError::SampleRate(_))));
        assert_eq!(check(0.01, 0.0, 1e-5), Err(PrivacyError::NoiseMultiplier(0.0)));
        assert_eq!(check(0.01, f64::INFINITY, 1e-5), Err(PrivacyError::NoiseMultiplier(f64::INFINITY)));
        assert_eq!(check(0.01, 1.0, 0.0), Err(PrivacyError::Delta(0.0)));
        assert_eq!(check(0.01, 1.0, 1.0), Err(PrivacyError::Delta(1.0)));
        let message = check(0.01, -2.0, 1e-5).unwrap_err().to_string();
        assert!(message.contains("noise multiplier") && message.contains("-2"), "{message}");
        assert!(Accountant::new(2.0, 1.0, 1e-5).is_err());
    }

    #[test]
    fn bad_inputs_give_nan_not_panics() {
        for e in [epsilon(-0.5, 1.0, 10, 1e-5), epsilon(0.1, -1.0, 10, 1e-5), epsilon(0.1, 1.0, 10, 0.0)] {
            assert!(e.epsilon.is_nan() && e.order.is_nan());
        }
        assert_eq!(epsilon(0.1, 0.0, 10, 1e-5).epsilon, f64::INFINITY);
        assert_eq!(epsilon(0.1, 1.0, 0, 1e-5), Epsilon { epsilon: 0.0, order: 0.0 });
        let none = epsilon_at_orders(0.1, 1.0, 10, 1e-5, &[0.5, 1.0, f64::NAN]);
        assert_eq!(none.epsilon, f64::INFINITY);
        assert!(none.order.is_nan());
    }

    #[test]
    fn full_batch_rdp_times_steps() {
        let sigma = 1.3;
        for steps in [1, 10, 1000] {
            for order in [1.5, 2.0, 10.5, 63.0] {
                let expected = order / (2.0 * sigma * sigma) * steps as f64;
                assert!((crate::rdp(1.0, sigma, steps, order) - expected).abs() <= 1e-15 * expected);
            }
        }
    }

    #[test]
    fn accountant_matches_epsilon_bit_for_bit() {
        let accountant = Accountant::new(64.0 / 60000.0, 1.1, 1e-5).unwrap();
        for steps in [0, 1, 7, 1000, 123_456] {
            assert_eq!(accountant.spent_after(steps), epsilon(64.0 / 60000.0, 1.1, steps, 1e-5));
        }
    }

    #[test]
    fn epsilon_grows_with_steps_and_shrinks_with_noise() {
        for &q in &[0.001, 0.01, 0.1, 1.0] {
            let mut last_sigma = f64::INFINITY;
            for &sigma in &[0.5, 0.8, 1.0, 2.0, 4.0, 10.0] {
                let accountant = Accountant::new(q, sigma, 1e-5).unwrap();
                let mut last_steps = 0.0;
                for steps in [1, 2, 10, 100, 1000, 10_000, 100_000] {
                    let eps = accountant.epsilon_after(steps);
                    assert!(eps >= last_steps, "q {q} sigma {sigma} steps {steps}: {eps} < {last_steps}");
                    last_steps = eps;
                }
                let eps = accountant.epsilon_after(1000);
                assert!(eps < last_sigma, "q {q} sigma {sigma}: {eps} >= {last_sigma}");
                last_sigma = eps;
            }
        }
    }

    #[test]
    fn steps_within_is_the_last_step_inside_the_budget() {
        for &(q, sigma, budget) in &[(64.0 / 60000.0, 1.1, 1.0), (0.01, 1.0, 3.0), (0.1, 4.0, 0.5), (1.0, 10.0, 8.0)] {
            let accountant = Accountant::new(q, sigma, 1e-5).unwrap();
            let s = accountant.steps_within(budget);
            assert!(s > 0 && s < MAX_STEPS, "{q} {sigma} {budget}: {s}");
            assert!(accountant.epsilon_after(s) <= budget);
            assert!(accountant.epsilon_after(s + 1) > budget);
        }
        let accountant = Accountant::new(0.5, 0.5, 1e-5).unwrap();
        assert_eq!(accountant.steps_within(0.01), 0);
        assert_eq!(accountant.steps_within(f64::NAN), 0);
        let quiet = Accountant::new(1e-6, 50.0, 1e-5).unwrap();
        assert_eq!(quiet.steps_within(1e6), MAX_STEPS);
    }
}
