//! The Fréchet Inception Distance (Heusel et al. 2017): fit a Gaussian to each feature set and
//! take the Fréchet (2-Wasserstein) distance between them,
//! `‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2 (Σ₁ Σ₂)^½)`.
//!
//! `tr (Σ₁ Σ₂)^½` is computed as `tr (A Σ₂ A)^½` with `A = Σ₁^½`: both square roots of symmetric
//! positive semi-definite matrices, by eigendecomposition (pytorch-fid uses scipy's general
//! `sqrtm`; the two agree on PSD matrices up to rounding).

use crate::Features;
use nalgebra::{DMatrix, DVector, SymmetricEigen};

/// The FID between two feature sets of the same width (each of at least 2 rows).
pub fn fid(a: &Features, b: &Features) -> f64 {
    assert_eq!(a.dim, b.dim, "features of different widths");
    let (mu_a, cov_a) = gaussian(a);
    let (mu_b, cov_b) = gaussian(b);
    let root_a = sqrt_psd(&cov_a);
    let middle = &root_a * &cov_b * &root_a;
    let cross: f64 = eigenvalues(&middle).iter().map(|l| l.max(0.0).sqrt()).sum();
    let fid = (mu_a - mu_b).norm_squared() + cov_a.trace() + cov_b.trace() - 2.0 * cross;
    // Rounding can leave a tiny negative number for two identical sets.
    fid.max(0.0)
}

/// The mean and the unbiased covariance (`n - 1`, as numpy's `np.cov`) of the rows.
fn gaussian(f: &Features) -> (DVector<f64>, DMatrix<f64>) {
    let x = f.matrix();
    let n = x.nrows() as f64;
    let mean = x.row_mean().transpose();
    let centered = DMatrix::from_fn(x.nrows(), x.ncols(), |r, c| x[(r, c)] - mean[c]);
    let cov = centered.transpose() * &centered / (n - 1.0).max(1.0);
    (mean, cov)
}

/// The eigenvalues of a symmetric matrix (symmetrized first against rounding).
fn eigenvalues(m: &DMatrix<f64>) -> DVector<f64> {
    SymmetricEigen::new((m + m.transpose()) * 0.5).eigenvalues
}

/// The square root of a symmetric positive semi-definite matrix (negative eigenvalues from
/// rounding are taken as 0).
fn sqrt_psd(m: &DMatrix<f64>) -> DMatrix<f64> {
    let eig = SymmetricEigen::new((m + m.transpose()) * 0.5);
    let roots = eig.eigenvalues.map(|l| l.max(0.0).sqrt());
    &eig.eigenvectors * DMatrix::from_diagonal(&roots) * eig.eigenvectors.transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` rows of independent N(mean_j, std_j²) numbers, from a fixed stream.
    fn gaussian_rows(n: usize, mean: &[f64], std: &[f64], seed: u64) -> Features {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let mut values = Vec::new();
        for _ in 0..n {
            for (m, s) in mean.iter().zip(std) {
                // Box-Muller.
                let (u, v): (f64, f64) = (rng.random_range(1e-12..1.0), rng.random());
                values.push((m + s * (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()) as f32);
            }
        }
        Features::new(values, mean.len())
    }

    #[test]
    fn identical_sets_are_at_distance_zero() {
        let a = gaussian_rows(200, &[0.0, 1.0, -2.0], &[1.0, 0.5, 2.0], 1);
        assert!(fid(&a, &a) < 1e-8, "{}", fid(&a, &a));
    }

    #[test]
    fn independent_gaussians_give_the_closed_form() {
        // For diagonal covariances the FID is Σ (μ₁ − μ₂)² + Σ (σ₁ − σ₂)².
        let (ma, sa) = ([0.0, 1.0, 0.0, 0.0], [1.0, 2.0, 0.5, 1.0]);
        let (mb, sb) = ([1.0, 1.0, -1.0, 0.0], [1.0, 1.0, 1.0, 3.0]);
        let a = gaussian_rows(40_000, &ma, &sa, 2);
        let b = gaussian_rows(40_000, &mb, &sb, 3);
        let exact: f64 = ma.iter().zip(&mb).map(|(x, y)| (x - y).powi(2)).sum::<f64>()
            + sa.iter().zip(&sb).map(|(x, y)| (x - y).powi(2)).sum::<f64>();
        let measured = fid(&a, &b);
        assert!((measured - exact).abs() < 0.05 * exact, "{measured} vs {exact}");
    }

    #[test]
    fn a_shift_adds_its_squared_length() {
        let a = gaussian_rows(500, &[0.0, 0.0], &[1.0, 1.0], 4);
        let shifted = Features::new(a.values.iter().enumerate().map(|(i, v)| v + [3.0, 4.0][i % 2]).collect(), 2);
        assert!((fid(&a, &shifted) - 25.0).abs() < 1e-3, "{}", fid(&a, &shifted));
    }
}
