//! Improved precision and recall (Kynkäänniemi et al. 2019). Each set's manifold is the union of
//! balls around its feature vectors, each ball's radius the distance to its k-th nearest
//! neighbour in the same set (k = 3 in the paper). Precision is the share of generated samples
//! inside the real manifold (how many fakes look real); recall the share of real samples inside
//! the generated manifold (how much of the data G covers).

use crate::Features;
use nalgebra::DMatrix;

/// The paper's neighbourhood size.
pub const K: usize = 3;

/// Precision and recall, each in [0, 1].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PrecisionRecall {
    /// Share of generated samples within the real manifold.
    pub precision: f64,
    /// Share of real samples within the generated manifold.
    pub recall: f64,
}

/// Precision and recall of `fake` against `real` with `k`-NN radii (each set of more than `k` rows).
pub fn precision_recall(real: &Features, fake: &Features, k: usize) -> PrecisionRecall {
    assert_eq!(real.dim, fake.dim, "features of different widths");
    let (r, f) = (real.matrix(), fake.matrix());
    let real_radii = radii(&r, k);
    let fake_radii = radii(&f, k);
    PrecisionRecall { precision: inside(&f, &r, &real_radii), recall: inside(&r, &f, &fake_radii) }
}

/// Rows per block of the distance matrix (bounds the memory at `BLOCK x n` numbers).
const BLOCK: usize = 512;

/// The squared distances between the rows `start..start + len` of `a` and every row of `b`.
fn distances(a: &DMatrix<f64>, start: usize, len: usize, b: &DMatrix<f64>, b_norms: &[f64]) -> DMatrix<f64> {
    let block = a.rows(start, len);
    let mut d = block * b.transpose() * -2.0;
    for i in 0..len {
        let ni = block.row(i).norm_squared();
        for (j, nj) in b_norms.iter().enumerate() {
            d[(i, j)] = (d[(i, j)] + ni + nj).max(0.0);
        }
    }
    d
}

fn squared_norms(m: &DMatrix<f64>) -> Vec<f64> {
    m.row_iter().map(|r| r.norm_squared()).collect()
}

/// Each row's squared distance to its `k`-th nearest other row.
fn radii(m: &DMatrix<f64>, k: usize) -> Vec<f64> {
    let n = m.nrows();
    assert!(n > k, "precision and recall need more than {k} samples per set");
    let norms = squared_norms(m);
    let mut out = Vec::with_capacity(n);
    for start in (0..n).step_by(BLOCK) {
        let len = BLOCK.min(n - start);
        let d = distances(m, start, len, m, &norms);
        for i in 0..len {
            let mut row: Vec<f64> = d.row(i).iter().copied().collect();
            // The row's own distance (0) is the smallest: the k-th neighbour is at index k.
            row.select_nth_unstable_by(k, f64::total_cmp);
            out.push(row[k]);
        }
    }
    out
}

/// The share of rows of `queries` within the radius of some row of `set`.
fn inside(queries: &DMatrix<f64>, set: &DMatrix<f64>, set_radii: &[f64]) -> f64 {
    let norms = squared_norms(set);
    let n = queries.nrows();
    let mut hits = 0usize;
    for start in (0..n).step_by(BLOCK) {
        let len = BLOCK.min(n - start);
        let d = distances(queries, start, len, set, &norms);
        hits += (0..len).filter(|&i| d.row(i).iter().zip(set_radii).any(|(dist, r)| dist <= r)).count();
    }
    hits as f64 / n.max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(xy: &[(f32, f32)]) -> Features {
        Features::new(xy.iter().flat_map(|&(x, y)| [x, y]).collect(), 2)
    }

    #[test]
    fn radii_are_the_kth_neighbour_distances() {
        let m = points(&[(0.0, 0.0), (1.0, 0.0), (3.0, 0.0), (6.0, 0.0)]).matrix();
        // k = 2: (0,0) -> 3, (1,0) -> 2, (3,0) -> 3, (6,0) -> 5; squared.
        assert_eq!(radii(&m, 2), vec![9.0, 4.0, 9.0, 25.0]);
    }

    #[test]
    fn fakes_on_the_data_have_full_precision_and_a_collapsed_g_has_low_recall() {
        // Real: 4 clusters of 5 points; fakes: all on one cluster.
        let real: Vec<(f32, f32)> = (0..20).map(|i| ((i / 5) as f32 * 10.0 + (i % 5) as f32 * 0.1, 0.0)).collect();
        let fake: Vec<(f32, f32)> = (0..20).map(|i| (i as f32 * 0.02 + 0.01, 0.0)).collect();
        let pr = precision_recall(&points(&real), &points(&fake), K);
        assert_eq!(pr.precision, 1.0);
        assert_eq!(pr.recall, 0.25);
        // Far away fakes: nothing is inside either manifold.
        let far: Vec<(f32, f32)> = (0..20).map(|i| (100.0 + i as f32 * 0.1, 50.0)).collect();
        assert_eq!(precision_recall(&points(&real), &points(&far), K), PrecisionRecall { precision: 0.0, recall: 0.0 });
    }
}
