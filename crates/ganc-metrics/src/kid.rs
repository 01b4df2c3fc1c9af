//! The Kernel Inception Distance (Bińkowski et al. 2018): the unbiased estimate of the squared
//! maximum mean discrepancy between the two feature sets, with the cubic polynomial kernel
//! `k(x, y) = (xᵀy / d + 1)³`, averaged over random subsets of both (torch-fidelity's defaults:
//! 100 subsets of 1,000 rows, fewer rows when a set is smaller). Unlike FID it is unbiased: two
//! samples of one distribution score 0 on average, whatever their size.

use crate::{Features, Spread};
use nalgebra::DMatrix;
use rand::seq::SliceRandom;
use rand::SeedableRng;

/// Subsets drawn.
pub const SUBSETS: usize = 100;
/// Rows per subset, at most.
pub const SUBSET_SIZE: usize = 1_000;

/// The KID between two feature sets of the same width (each of at least 2 rows): mean and
/// spread over [`SUBSETS`] subsets, drawn from `seed`.
pub fn kid(a: &Features, b: &Features, seed: u64) -> Spread {
    assert_eq!(a.dim, b.dim, "features of different widths");
    let m = SUBSET_SIZE.min(a.len()).min(b.len());
    assert!(m >= 2, "KID needs at least 2 rows in each set");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let (mut ia, mut ib): (Vec<usize>, Vec<usize>) = ((0..a.len()).collect(), (0..b.len()).collect());
    let mut values = Vec::with_capacity(SUBSETS);
    for _ in 0..SUBSETS {
        ia.shuffle(&mut rng);
        ib.shuffle(&mut rng);
        let x = a.matrix_of(ia[..m].iter().copied());
        let y = b.matrix_of(ib[..m].iter().copied());
        values.push(mmd2(&x, &y));
    }
    Spread::of(&values)
}

/// The unbiased squared MMD of two `m x d` samples under the cubic polynomial kernel.
fn mmd2(x: &DMatrix<f64>, y: &DMatrix<f64>) -> f64 {
    let (m, d) = (x.nrows() as f64, x.ncols() as f64);
    let kernel = |g: DMatrix<f64>| g.map(|v| (v / d + 1.0).powi(3));
    let kxx = kernel(x * x.transpose());
    let kyy = kernel(y * y.transpose());
    let kxy = kernel(x * y.transpose());
    let off_diagonal = |k: &DMatrix<f64>| k.sum() - k.trace();
    (off_diagonal(&kxx) + off_diagonal(&kyy)) / (m * (m - 1.0)) - 2.0 * kxy.sum() / (m * m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(n: usize, d: usize, shift: f32, seed: u64) -> Features {
        use rand::RngExt;
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        Features::new((0..n * d).map(|_| rng.random_range(-1.0f32..1.0) + shift).collect(), d)
    }

    #[test]
    fn the_estimate_is_the_unbiased_mmd_written_out() {
        // Two rows each: every term by hand.
        let x = DMatrix::from_row_slice(2, 2, &[1.0, 0.0, 0.0, 2.0]);
        let y = DMatrix::from_row_slice(2, 2, &[1.0, 1.0, -1.0, 0.0]);
        let k = |a: &[f64], b: &[f64]| ((a[0] * b[0] + a[1] * b[1]) / 2.0 + 1.0f64).powi(3);
        let (x0, x1, y0, y1) = ([1.0, 0.0], [0.0, 2.0], [1.0, 1.0], [-1.0, 0.0]);
        let expected = (2.0 * k(&x0, &x1)) / 2.0 + (2.0 * k(&y0, &y1)) / 2.0
            - 2.0 * (k(&x0, &y0) + k(&x0, &y1) + k(&x1, &y0) + k(&x1, &y1)) / 4.0;
        assert!((mmd2(&x, &y) - expected).abs() < 1e-12);
    }

    #[test]
    fn one_distribution_scores_near_zero_and_a_shift_does_not() {
        // 1,500 rows: subsets of 1,000 differ, so the spread is that of the estimator.
        let same = kid(&rows(1_500, 8, 0.0, 1), &rows(1_500, 8, 0.0, 2), 7);
        let shifted = kid(&rows(1_500, 8, 0.0, 1), &rows(1_500, 8, 0.5, 3), 7);
        assert!(same.mean.abs() < 3.0 * same.std, "{same:?}");
        assert!(shifted.mean > 100.0 * same.mean.abs(), "{shifted:?} vs {same:?}");
    }
}
