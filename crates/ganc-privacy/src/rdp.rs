//! The Rényi-DP of the sampled Gaussian mechanism, and its conversion to (ε, δ)-DP: a port of
//! Opacus's `opacus/accountants/analysis/rdp.py` (itself from TensorFlow Privacy), operation for
//! operation, in f64.

use crate::log_math::{log_add, log_erfc, log_sub};

/// How many orders [`DEFAULT_ORDERS`] holds.
const DEFAULT_ORDER_COUNT: usize = 151;

/// The Rényi orders α that [`epsilon`](crate::epsilon) searches: Opacus's
/// `RDPAccountant.DEFAULT_ALPHAS`, `[1 + x/10 for x in 1..=99] + [12, 13, …, 63]`, that is
/// 1.1, 1.2, …, 10.9 then the integers 12 to 63 (151 orders, increasing).
pub const DEFAULT_ORDERS: [f64; DEFAULT_ORDER_COUNT] = default_orders_array();

const fn default_orders_array() -> [f64; DEFAULT_ORDER_COUNT] {
    let mut orders = [0.0; DEFAULT_ORDER_COUNT];
    let mut x = 1;
    while x < 100 {
        orders[x - 1] = 1.0 + x as f64 / 10.0;
        x += 1;
    }
    let mut order = 12;
    while order < 64 {
        orders[99 + order - 12] = order as f64;
        order += 1;
    }
    orders
}

/// [`DEFAULT_ORDERS`] as a vector.
pub fn default_orders() -> Vec<f64> {
    DEFAULT_ORDERS.to_vec()
}

/// The most terms the series for a fractional order sums before giving up (NaN). Opacus has no
/// limit; the inputs that reach ~10⁴ terms are already extreme (α near 1, q = 1/2, large σ).
const MAX_FRACTIONAL_TERMS: u64 = 1_000_000;

/// `binom(n, k)` for a real `n` and an integer `k >= 0`, by SciPy's multiplication formula
/// (`scipy.special.binom`'s integer-`k` branch, with its symmetry reduction for integer `n`):
/// `∏_{i=1..k} (i + n − k) / k!`, the two products rescaled as they go. SciPy uses it for `k < 20`
/// and the Beta function past that; for an integer `n` the products stay as accurate there and
/// never overflow before the coefficient itself does. For a fractional `n` and `k >= 20`,
/// [`log_a_frac`] carries the coefficients along instead (`binom(n, k) = binom(n, k − 1) (n − k +
/// 1)/k`), where the second product here could overflow.
fn binom(n: f64, k: u64) -> f64 {
    let mut kx = k as f64;
    if n.fract() == 0.0 && kx > n / 2.0 && n > 0.0 {
        kx = n - kx;
    }
    if kx < 0.0 {
        return 0.0;
    }
    let mut num = 1.0;
    let mut den = 1.0;
    let mut i = 1.0;
    while i <= kx {
        num *= i + n - kx;
        den *= i;
        if num.abs() > 1e50 {
            num /= den;
            den = 1.0;
        }
        i += 1.0;
    }
    num / den
}

/// `ln A_α` for an integer order (Opacus's `_compute_log_a_for_int_alpha`; Mironov et al. 2019,
/// Section 3.3): `A_α = Σ_{i=0..α} binom(α, i) q^i (1−q)^(α−i) exp((i² − i)/(2σ²))`.
fn log_a_int(q: f64, sigma: f64, alpha: u64) -> f64 {
    let two_var = 2.0 * (sigma * sigma);
    let (ln_q, ln_1_q) = (q.ln(), (1.0 - q).ln());
    let mut log_a = f64::NEG_INFINITY;
    for i in 0..=alpha {
        let log_coef = binom(alpha as f64, i).ln() + i as f64 * ln_q + (alpha - i) as f64 * ln_1_q;
        let s = log_coef + (i.saturating_mul(i) - i) as f64 / two_var;
        log_a = log_add(log_a, s);
    }
    log_a
}

/// `ln A_α` for a fractional order (Opacus's `_compute_log_a_for_frac_alpha`): the integrals of
/// `A_α` over `(−∞, z₀]` and `[z₀, ∞)`, `z₀ = σ² ln(1/q − 1) + ½`, each a series in the generalized
/// binomial coefficients `binom(α, i)`, summed until both new terms fall below `e⁻³⁰`. The terms
/// shrink only like `i^−(α+1)`, so orders near 1 can take ~10⁴ terms.
fn log_a_frac(q: f64, sigma: f64, alpha: f64) -> f64 {
    let var = sigma * sigma;
    let (ln_q, ln_1_q) = (q.ln(), (1.0 - q).ln());
    let ln_half = 0.5_f64.ln();
    let sqrt2_sigma = std::f64::consts::SQRT_2 * sigma;
    let z0 = var * (1.0 / q - 1.0).ln() + 0.5;

    let (mut log_a0, mut log_a1) = (f64::NEG_INFINITY, f64::NEG_INFINITY);
    // binom(alpha, i) by the running product ∏_{m=1..i} (alpha − m + 1)/m, used from i = 20 on.
    let mut running = 1.0;
    for i in 0..MAX_FRACTIONAL_TERMS {
        if i > 0 {
            running *= (alpha - (i - 1) as f64) / i as f64;
        }
        let coef = if i < 20 { binom(alpha, i) } else { running };
        let log_coef = coef.abs().ln();
        let fi = i as f64;
        let j = alpha - fi;

        let log_t0 = log_coef + fi * ln_q + j * ln_1_q;
        let log_t1 = log_coef + j * ln_q + fi * ln_1_q;

        let log_e0 = ln_half + log_erfc((fi - z0) / sqrt2_sigma);
        let log_e1 = ln_half + log_erfc((z0 - j) / sqrt2_sigma);

        let log_s0 = log_t0 + (i * i - i) as f64 / (2.0 * var) + log_e0;
        let log_s1 = log_t1 + (j * j - j) / (2.0 * var) + log_e1;

        if coef > 0.0 {
            log_a0 = log_add(log_a0, log_s0);
            log_a1 = log_add(log_a1, log_s1);
        } else {
            log_a0 = log_sub(log_a0, log_s0);
            log_a1 = log_sub(log_a1, log_s1);
        }

        if log_s0.max(log_s1) < -30.0 {
            return log_add(log_a0, log_a1);
        }
    }
    f64::NAN
}

/// The Rényi-DP of ONE step of the sampled Gaussian mechanism at `order` (Opacus's
/// `_compute_rdp`), for inputs already checked: `0 <= q <= 1`, `0 <= sigma < ∞`, `order > 1`.
pub(crate) fn rdp_one_step(q: f64, sigma: f64, order: f64) -> f64 {
    if q == 0.0 {
        return 0.0;
    }
    if sigma == 0.0 {
        return f64::INFINITY;
    }
    if q == 1.0 {
        return order / (2.0 * (sigma * sigma));
    }
    if order.is_infinite() {
        return f64::INFINITY;
    }
    let log_a = if order.fract() == 0.0 && order <= u64::MAX as f64 {
        log_a_int(q, sigma, order as u64)
    } else {
        log_a_frac(q, sigma, order)
    };
    log_a / (order - 1.0)
}

/// Whether `q` and `sigma` are where [`rdp`] is defined: `0 <= q <= 1`, `0 <= sigma < ∞`.
pub(crate) fn in_domain(q: f64, sigma: f64) -> bool {
    (0.0..=1.0).contains(&q) && sigma >= 0.0 && sigma.is_finite()
}

/// The Rényi-DP at `order` of `steps` steps of the sampled Gaussian mechanism with sampling rate
/// `q` and noise multiplier `sigma` (noise standard deviation over the L2 clipping norm): Opacus's
/// `compute_rdp(q=q, noise_multiplier=sigma, steps=steps, orders=[order])`. RDP composes
/// additively, so this is `steps` times the RDP of one step.
///
/// As in Opacus: `q == 0` gives 0; `sigma == 0` gives `+∞` (no privacy); `q == 1` (no sampling,
/// the plain Gaussian mechanism) gives `steps · order / (2 sigma²)`; an infinite `order` gives
/// `+∞`. Integer orders sum the finite binomial series of Mironov et al. 2019 (Section 3.3),
/// fractional ones its two infinite series to convergence.
///
/// NaN when the inputs are outside that domain: `q` not in `[0, 1]`, `sigma` negative or not
/// finite, `order <= 1`, or any NaN. Also NaN (where Opacus raises an error) if rounding makes a
/// partial sum of a fractional order's series negative, and (where Opacus would loop on) if that
/// series has not converged after a million terms.
///
/// The cost of an integer order is linear in the order (past ~1000 its binomial coefficients
/// overflow, and the result is `+∞`, as in Opacus); a fractional order usually takes a few tens of
/// terms, up to ~10⁴ for orders near 1 with `q` not small.
pub fn rdp(q: f64, sigma: f64, steps: u64, order: f64) -> f64 {
    if !(in_domain(q, sigma) && order > 1.0) {
        return f64::NAN;
    }
    rdp_one_step(q, sigma, order) * steps as f64
}

/// Converts RDP guarantees at several orders to the best (ε, δ) guarantee (Opacus's
/// `get_privacy_spent`): `ε_α = rdp_α − (ln δ + ln α)/(α − 1) + ln((α − 1)/α)` (Balle et al. 2020,
/// Theorem 21), minimized over the orders, NaNs skipped, the first order winning ties. All NaN
/// (or no orders): `(+∞, NaN)`.
pub(crate) fn privacy_spent(orders: &[f64], rdp: impl IntoIterator<Item = f64>, delta: f64) -> (f64, f64) {
    let ln_delta = delta.ln();
    let mut best: Option<(f64, f64)> = None;
    for (&order, rdp) in orders.iter().zip(rdp) {
        let eps = rdp - (ln_delta + order.ln()) / (order - 1.0) + ((order - 1.0) / order).ln();
        if eps.is_nan() {
            continue;
        }
        match best {
            Some((best_eps, _)) if best_eps <= eps => {}
            _ => best = Some((eps, order)),
        }
    }
    best.unwrap_or((f64::INFINITY, f64::NAN))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_orders_are_opacus_alphas() {
        assert_eq!(DEFAULT_ORDERS.len(), 151);
        assert_eq!(DEFAULT_ORDERS[0], 1.1);
        assert_eq!(DEFAULT_ORDERS[9], 2.0);
        assert_eq!(DEFAULT_ORDERS[98], 10.9);
        assert_eq!(DEFAULT_ORDERS[99], 12.0);
        assert_eq!(DEFAULT_ORDERS[150], 63.0);
        assert!(DEFAULT_ORDERS.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(default_orders(), DEFAULT_ORDERS.to_vec());
    }

    #[test]
    fn binom_matches_exact_values() {
        assert_eq!(binom(5.0, 2), 10.0);
        // 916312070471295267 is not an f64; the products round a few times.
        assert!((binom(63.0, 31) / 916312070471295267.0 - 1.0).abs() < 1e-15);
        assert_eq!(binom(63.0, 0), 1.0);
        assert_eq!(binom(63.0, 63), 1.0);
        // binom(2.5, 3) = 2.5 · 1.5 · 0.5 / 6; binom(2.5, 4) = that · (−0.5)/4.
        assert!((binom(2.5, 3) - 0.3125).abs() < 1e-16);
        assert!((binom(2.5, 4) + 0.0390625).abs() < 1e-17);
    }

    #[test]
    fn full_batch_is_the_gaussian_mechanism() {
        for &(sigma, order, steps) in &[(1.0, 2.0, 1), (1.1, 10.5, 1000), (0.5, 63.0, 7), (4.0, 1.1, 100_000)] {
            let expected = order / (2.0 * sigma * sigma) * steps as f64;
            let got = rdp(1.0, sigma, steps, order);
            assert!((got - expected).abs() <= 1e-15 * expected, "{got} vs {expected}");
        }
    }

    #[test]
    fn opacus_edge_cases() {
        assert_eq!(rdp(0.0, 1.0, 10, 2.0), 0.0);
        assert_eq!(rdp(0.01, 0.0, 10, 2.0), f64::INFINITY);
        assert_eq!(rdp(0.01, 1.0, 10, f64::INFINITY), f64::INFINITY);
        assert_eq!(rdp(0.01, 1.0, 0, 2.5), 0.0);
        for bad in [rdp(-0.1, 1.0, 1, 2.0), rdp(1.1, 1.0, 1, 2.0), rdp(0.1, -1.0, 1, 2.0), rdp(0.1, 1.0, 1, 1.0)] {
            assert!(bad.is_nan());
        }
        assert!(rdp(f64::NAN, 1.0, 1, 2.0).is_nan());
        assert!(rdp(0.1, f64::INFINITY, 1, 2.0).is_nan());
        assert!(rdp(0.1, 1.0, 1, f64::NAN).is_nan());
    }

    #[test]
    fn integer_and_fractional_series_agree_near_an_integer() {
        // The two series describe one continuous function of the order.
        for &(q, sigma) in &[(0.01, 1.0), (0.1, 2.0), (0.5, 0.8)] {
            let at = rdp(q, sigma, 1, 3.0);
            let near = rdp(q, sigma, 1, 3.0 + 1e-9);
            assert!((at - near).abs() <= 1e-6 * at, "{q} {sigma}: {at} vs {near}");
        }
    }

    #[test]
    fn privacy_spent_skips_nans_and_takes_the_first_minimum() {
        let orders = [2.0, 3.0, 4.0];
        let (_, order) = privacy_spent(&orders, [f64::NAN, 0.0, 0.0], 1e-5);
        assert_eq!(order, 4.0);
        let (eps, order) = privacy_spent(&orders, [f64::NAN; 3], 1e-5);
        assert_eq!(eps, f64::INFINITY);
        assert!(order.is_nan());
        let (eps, order) = privacy_spent(&orders, [f64::INFINITY; 3], 1e-5);
        assert_eq!((eps, order), (f64::INFINITY, 2.0));
    }
}
