//! Arithmetic in log space, and the complementary error function it needs.
//!
//! The sampled Gaussian mechanism's moments are sums of terms far outside f64's range, so the
//! accountant keeps every quantity as its logarithm: [`log_add`] and [`log_sub`] add and subtract
//! two numbers given by their logs, and [`log_erfc`] is `ln erfc(x)` accurate out to arguments
//! where `erfc` itself underflows.
//!
//! Rust's standard library has no `erfc`, so [`erfc`] and [`erfcx`] (the scaled
//! `exp(x²) erfc(x)`) are W. J. Cody's rational Chebyshev approximations ("Rational Chebyshev
//! Approximations for the Error Function", Math. Comp. 23 (1969) 631–638; the coefficients of
//! Netlib SPECFUN's `CALERF`), good to a few ulps over the whole real line. [`ln_ndtr`] is
//! `ln Φ(x)` built from them the way SciPy's `special.log_ndtr` is, and [`log_erfc`] is
//! Opacus's `_log_erfc(x) = ln 2 + log_ndtr(−x√2)`, operation for operation.

// Cody's coefficients are kept at their published precision (more digits than f64 holds).
#![allow(clippy::excessive_precision)]

use std::f64::consts::{FRAC_1_SQRT_2, LN_2, SQRT_2};

/// `1/√π`.
const FRAC_1_SQRT_PI: f64 = 5.6418958354775628695e-1;

/// erf on `[0, 0.46875]`: `x · A(x²)/B(x²)`.
const A: [f64; 5] = [
    3.16112374387056560e0,
    1.13864154151050156e2,
    3.77485237685302021e2,
    3.20937758913846947e3,
    1.85777706184603153e-1,
];
const B: [f64; 4] = [2.36012909523441209e1, 2.44024637934444173e2, 1.28261652607737228e3, 2.84423683343917062e3];

/// `exp(x²) erfc(x)` on `(0.46875, 4]`: `C(x)/D(x)`.
const C: [f64; 9] = [
    5.64188496988670089e-1,
    8.88314979438837594e0,
    6.61191906371416295e1,
    2.98635138197400131e2,
    8.81952221241769090e2,
    1.71204761263407058e3,
    2.05107837782607147e3,
    1.23033935479799725e3,
    2.15311535474403846e-8,
];
const D: [f64; 8] = [
    1.57449261107098347e1,
    1.17693950891312499e2,
    5.37181101862009858e2,
    1.62138957456669019e3,
    3.29079923573345963e3,
    4.36261909014324716e3,
    3.43936767414372164e3,
    1.23033935480374942e3,
];

/// `x exp(x²) erfc(x)` on `(4, ∞)`: `1/√π − z P(z)/Q(z)` with `z = 1/x²`.
const P: [f64; 6] = [
    3.05326634961232344e-1,
    3.60344899949804439e-1,
    1.25781726111229246e-1,
    1.60837851487422766e-2,
    6.58749161529837803e-4,
    1.63153871373020978e-2,
];
const Q: [f64; 5] = [
    2.56852019228982242e0,
    1.87295284992346047e0,
    5.27905102951428412e-1,
    6.05183413124413191e-2,
    2.33520497626869185e-3,
];

/// Below this `|x|`, `x²` is dropped from the erf series (Cody's `XSMALL`).
const X_SMALL: f64 = 1.11e-16;
/// Above this, `erfcx(x) = 1/(x√π)` to f64 precision (Cody's `XHUGE`).
const X_HUGE: f64 = 6.71e7;

/// `erf(y)` for `0 <= y <= 0.46875`.
fn erf_small(y: f64) -> f64 {
    let ysq = if y > X_SMALL { y * y } else { 0.0 };
    let mut num = A[4] * ysq;
    let mut den = ysq;
    for i in 0..3 {
        num = (num + A[i]) * ysq;
        den = (den + B[i]) * ysq;
    }
    y * (num + A[3]) / (den + B[3])
}

/// `exp(y²) erfc(y)` for `y > 0.46875`.
fn erfcx_large(y: f64) -> f64 {
    if y <= 4.0 {
        let mut num = C[8] * y;
        let mut den = y;
        for i in 0..7 {
            num = (num + C[i]) * y;
            den = (den + D[i]) * y;
        }
        (num + C[7]) / (den + D[7])
    } else if y >= X_HUGE {
        FRAC_1_SQRT_PI / y
    } else {
        let z = 1.0 / (y * y);
        let mut num = P[5] * z;
        let mut den = z;
        for i in 0..4 {
            num = (num + P[i]) * z;
            den = (den + Q[i]) * z;
        }
        let r = z * (num + P[4]) / (den + Q[4]);
        (FRAC_1_SQRT_PI - r) / y
    }
}

/// `exp(−y²)` for `y >= 0`, without the rounding error of squaring `y` in f64: `y` is split into
/// `ysq = ⌊16y⌋/16`, whose square is exact, and a small remainder (Cody's device).
fn exp_neg_square(y: f64) -> f64 {
    let ysq = (16.0 * y).trunc() / 16.0;
    let del = (y - ysq) * (y + ysq);
    (-ysq * ysq).exp() * (-del).exp()
}

/// The complementary error function `erfc(x) = 1 − erf(x)`, to a few ulps of relative error
/// (it underflows to 0 past `x ≈ 26.6`; use [`log_erfc`] there).
pub(crate) fn erfc(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    let y = x.abs();
    if y <= 0.46875 {
        return 1.0 - if x < 0.0 { -erf_small(y) } else { erf_small(y) };
    }
    let upper = if y >= 27.5 { 0.0 } else { exp_neg_square(y) * erfcx_large(y) };
    if x < 0.0 {
        2.0 - upper
    } else {
        upper
    }
}

/// The scaled complementary error function `erfcx(x) = exp(x²) erfc(x)`, finite for every
/// `x > −26.6` (it overflows to `+∞` below).
pub(crate) fn erfcx(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    let y = x.abs();
    let upper = if y <= 0.46875 { (y * y).exp() * (1.0 - erf_small(y)) } else { erfcx_large(y) };
    if x < 0.0 {
        // erfc(−y) = 2 − erfc(y), so erfcx(−y) = 2 exp(y²) − erfcx(y).
        if y > 26.7 {
            return f64::INFINITY;
        }
        let ysq = (16.0 * y).trunc() / 16.0;
        let del = (y - ysq) * (y + ysq);
        let exp_square = (ysq * ysq).exp() * del.exp();
        (exp_square + exp_square) - upper
    } else {
        upper
    }
}

/// `ln Φ(a)`, the log of the standard normal CDF, computed as SciPy's `special.log_ndtr` does:
/// with `t = a/√2`, `ln(erfcx(−t)/2) − t²` for `a < −1` (no underflow however far out), else
/// `ln1p(−erfc(t)/2)`.
pub(crate) fn ln_ndtr(a: f64) -> f64 {
    let t = a * FRAC_1_SQRT_2;
    if a < -1.0 {
        (erfcx(-t) / 2.0).ln() - t * t
    } else {
        (-erfc(t) / 2.0).ln_1p()
    }
}

/// `ln erfc(x)`, finite for every finite `x`: Opacus's `_log_erfc`,
/// `ln 2 + log_ndtr(−x·√2)`.
pub(crate) fn log_erfc(x: f64) -> f64 {
    LN_2 + ln_ndtr(-x * SQRT_2)
}

/// `ln(eˣ + eʸ)` given `x` and `y` (Opacus's `_log_add`); `−∞` stands for 0.
pub(crate) fn log_add(logx: f64, logy: f64) -> f64 {
    let (a, b) = if logx < logy { (logx, logy) } else { (logy, logx) };
    if a == f64::NEG_INFINITY {
        return b;
    }
    (a - b).exp().ln_1p() + b
}

/// `ln(eˣ − eʸ)` given `x >= y` (Opacus's `_log_sub`); `−∞` stands for 0.
///
/// Opacus raises an error when `x < y` (a negative difference); this returns NaN instead. When
/// `eˣ⁻ʸ` overflows the difference is `eˣ` to f64 precision, and `x` is returned, as in Opacus.
pub(crate) fn log_sub(logx: f64, logy: f64) -> f64 {
    if logx < logy {
        return f64::NAN;
    }
    if logy == f64::NEG_INFINITY {
        return logx;
    }
    if logx == logy {
        return f64::NEG_INFINITY;
    }
    let diff = (logx - logy).exp_m1();
    if diff.is_infinite() {
        return logx;
    }
    diff.ln() + logy
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(actual: f64, expected: f64, rel: f64) -> bool {
        (actual - expected).abs() <= rel * expected.abs()
    }

    #[test]
    fn erfc_known_values() {
        assert_eq!(erfc(0.0), 1.0);
        assert!(close(erfc(1.0), 0.157299207050285130658, 1e-15), "{}", erfc(1.0));
        assert!(close(erfc(5.0), 1.5374597944280348502e-12, 1e-14), "{}", erfc(5.0));
        assert!(close(erfc(0.3), 0.6713732405408725838104, 1e-15), "{}", erfc(0.3));
        assert!(close(erfc(2.5), 4.069520174449589395642e-4, 1e-14), "{}", erfc(2.5));
        assert!(close(erfc(-1.0), 1.842700792949714869341, 1e-15), "{}", erfc(-1.0));
        assert!(close(erfc(10.0), 2.088487583762544757001e-45, 1e-14), "{}", erfc(10.0));
        assert_eq!(erfc(f64::INFINITY), 0.0);
        assert_eq!(erfc(f64::NEG_INFINITY), 2.0);
        assert!(erfc(f64::NAN).is_nan());
    }

    #[test]
    fn erfcx_known_values() {
        // exp(x²) erfc(x), from mpmath at 50 digits.
        assert!(close(erfcx(0.2), 0.809019519901580732826, 1e-15), "{}", erfcx(0.2));
        assert!(close(erfcx(1.0), 0.4275835761558070044108, 1e-15), "{}", erfcx(1.0));
        assert!(close(erfcx(30.0), 0.01879588886141675149713, 1e-15), "{}", erfcx(30.0));
        assert!(close(erfcx(-1.0), 5.00898008076228346631, 1e-15), "{}", erfcx(-1.0));
        assert!(close(erfcx(1e9), 5.64189583547756286666e-10, 1e-15), "{}", erfcx(1e9));
    }

    #[test]
    fn log_erfc_far_out() {
        // ln erfc(x), from mpmath at 50 digits: erfc itself underflows past x ≈ 26.6.
        assert!(close(log_erfc(30.0), -903.9741171106438780796, 1e-15), "{}", log_erfc(30.0));
        assert!(close(log_erfc(100.0), -10005.1775851226643325705, 1e-15), "{}", log_erfc(100.0));
        assert!(close(log_erfc(1.0), -1.84960550993324824857602, 1e-14), "{}", log_erfc(1.0));
        assert!(close(log_erfc(5.0), -27.200889545537434422442, 1e-14), "{}", log_erfc(5.0));
        assert!(close(log_erfc(-3.0), 0.693136135250446810322973, 1e-14), "{}", log_erfc(-3.0));
        assert!(close(log_erfc(0.0), 0.0, 0.0) || log_erfc(0.0).abs() < 1e-16);
    }

    #[test]
    fn log_add_and_sub() {
        let (x, y) = (3.0_f64.ln(), 2.0_f64.ln());
        assert!(close(log_add(x, y), 5.0_f64.ln(), 1e-15));
        assert!(close(log_sub(x, y), 0.0, 0.0) || log_sub(x, y).abs() < 1e-15);
        assert_eq!(log_add(f64::NEG_INFINITY, x), x);
        assert_eq!(log_sub(x, f64::NEG_INFINITY), x);
        assert_eq!(log_sub(x, x), f64::NEG_INFINITY);
        assert!(log_sub(y, x).is_nan());
        assert_eq!(log_sub(1000.0, 0.0), 1000.0);
    }
}
