//! 2D Gaussian mixtures: the 8-mode ring (Metz et al. 2016; VEEGAN) and the 25-mode grid
//! (the 0-GP paper), generated, never read from files.

use crate::{mix_seed, Batch};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, StandardNormal};

/// A mixture of equal-weight isotropic Gaussians.
#[derive(Clone, Debug, PartialEq)]
pub struct Mixture {
    /// Centres of the modes.
    pub centers: Vec<[f32; 2]>,
    /// Standard deviation of each mode.
    pub std: f32,
}

impl Mixture {
    /// `modes` Gaussians evenly on a circle of `radius`.
    pub fn ring(modes: usize, radius: f32, std: f32) -> Self {
        let centers = (0..modes)
            .map(|i| {
                let a = 2.0 * std::f32::consts::PI * i as f32 / modes as f32;
                [radius * a.cos(), radius * a.sin()]
            })
            .collect();
        Mixture { centers, std }
    }

    /// `modes` Gaussians on a square grid with `spacing`, centred on the origin (25 modes with
    /// spacing 2 gives {-4, -2, 0, 2, 4}^2). The checker asks for a square number; any other
    /// count (at least one) fills rows of a `ceil(sqrt(modes))`-wide grid, the last one partly,
    /// so the mixture always has exactly `modes` modes.
    pub fn grid(modes: usize, spacing: f32, std: f32) -> Self {
        let modes = modes.max(1);
        let mut side = (modes as f64).sqrt() as usize;
        while side * side < modes {
            side += 1;
        }
        while side > 1 && (side - 1) * (side - 1) >= modes {
            side -= 1;
        }
        let rows = modes.div_ceil(side);
        let (row_offset, col_offset) = ((rows as f32 - 1.0) / 2.0, (side as f32 - 1.0) / 2.0);
        let centers = (0..modes)
            .map(|i| [((i / side) as f32 - row_offset) * spacing, ((i % side) as f32 - col_offset) * spacing])
            .collect();
        Mixture { centers, std }
    }

    /// The `k`-th batch of `n` points for `seed`.
    pub fn batch(&self, seed: u64, k: u64, n: usize) -> Batch {
        let mut rng = StdRng::seed_from_u64(mix_seed(seed, 2, k));
        let mut x = Vec::with_capacity(2 * n);
        for _ in 0..n {
            let c = self.centers[rng.random_range(0..self.centers.len())];
            let dx: f32 = StandardNormal.sample(&mut rng);
            let dy: f32 = StandardNormal.sample(&mut rng);
            x.push(c[0] + self.std * dx);
            x.push(c[1] + self.std * dy);
        }
        Batch { x, labels: None, pairs: None, n }
    }

    /// For each point of `xy` (pairs), the index of the nearest mode and its distance.
    pub fn nearest(&self, xy: &[f32]) -> Vec<(usize, f32)> {
        xy.chunks_exact(2)
            .map(|p| {
                self.centers
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (i, ((p[0] - c[0]).powi(2) + (p[1] - c[1]).powi(2)).sqrt()))
                    .fold((0, f32::INFINITY), |best, cur| if cur.1 < best.1 { cur } else { best })
            })
            .collect()
    }
}

/// How well generated points cover a mixture (the measure of VEEGAN's and the 0-GP paper's
/// tables).
#[derive(Clone, Debug, PartialEq)]
pub struct Coverage {
    /// Modes with enough high-quality samples.
    pub modes: usize,
    /// Modes in the mixture.
    pub total: usize,
    /// Share of points within three standard deviations of their nearest mode.
    pub high_quality: f64,
}

impl Mixture {
    /// The coverage of `xy` (pairs): a point is of high quality when it lies within three
    /// standard deviations of its nearest mode; a mode is covered when at least 20 in 2,500 of
    /// the points (0.8%, at least one) are high-quality points of that mode (PacGAN's rule,
    /// Lin et al. 2018, on VEEGAN's setup).
    pub fn coverage(&self, xy: &[f32]) -> Coverage {
        let nearest = self.nearest(xy);
        let mut per_mode = vec![0usize; self.centers.len()];
        let mut good = 0usize;
        for (mode, dist) in &nearest {
            if *dist <= 3.0 * self.std {
                per_mode[*mode] += 1;
                good += 1;
            }
        }
        let needed = ((nearest.len() as f64 * 20.0 / 2500.0).round() as usize).max(1);
        Coverage {
            modes: per_mode.iter().filter(|&&c| c >= needed).count(),
            total: self.centers.len(),
            high_quality: good as f64 / nearest.len().max(1) as f64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Mixture;

    #[test]
    fn coverage_counts_modes_and_high_quality_points() {
        let ring = Mixture::ring(8, 2.0, 0.02);
        let real = ring.batch(1, 0, 2500).x;
        let c = ring.coverage(&real);
        assert_eq!((c.modes, c.total), (8, 8));
        assert!(c.high_quality > 0.98, "{c:?}");
        // Everything on one mode, slightly off: one mode covered; far off: none good.
        let one: Vec<f32> = (0..2500).flat_map(|_| [2.01, 0.0]).collect();
        assert_eq!(ring.coverage(&one).modes, 1);
        let off: Vec<f32> = (0..2500).flat_map(|_| [1.0, 1.0]).collect();
        let c = ring.coverage(&off);
        assert_eq!((c.modes, c.high_quality), (0, 0.0));
    }

    #[test]
    fn layouts_match_the_papers() {
        let ring = Mixture::ring(8, 2.0, 0.02);
        assert!((ring.centers[2][1] - 2.0).abs() < 1e-5 && ring.centers[2][0].abs() < 1e-5);
        let grid = Mixture::grid(25, 2.0, 0.05);
        assert_eq!(grid.centers.len(), 25);
        assert_eq!(grid.centers[0], [-4.0, -4.0]);
        assert_eq!(grid.centers[24], [4.0, 4.0]);
    }

    #[test]
    fn a_grid_never_drops_modes() {
        for modes in [1, 2, 9, 10, 24, 26] {
            let grid = Mixture::grid(modes, 2.0, 0.05);
            assert_eq!(grid.centers.len(), modes);
            let distinct: std::collections::BTreeSet<(i32, i32)> =
                grid.centers.iter().map(|c| ((c[0] * 2.0) as i32, (c[1] * 2.0) as i32)).collect();
            assert_eq!(distinct.len(), modes, "{:?}", grid.centers);
        }
    }

    #[test]
    fn samples_lie_near_their_modes_and_are_reproducible() {
        let ring = Mixture::ring(8, 2.0, 0.02);
        let b = ring.batch(1, 0, 500);
        assert_eq!(b.x.len(), 1000);
        assert!(ring.nearest(&b.x).iter().all(|(_, d)| *d < 0.15));
        let modes: std::collections::BTreeSet<usize> = ring.nearest(&b.x).iter().map(|(m, _)| *m).collect();
        assert_eq!(modes.len(), 8);
        assert_eq!(ring.batch(1, 0, 500), b);
        assert_ne!(ring.batch(1, 1, 500), b);
    }
}
