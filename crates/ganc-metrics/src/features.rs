//! A set of feature vectors: one row per image.

use nalgebra::DMatrix;

/// `n` feature vectors of `dim` numbers each, row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct Features {
    /// The rows, `n * dim` numbers.
    pub values: Vec<f32>,
    /// The length of one row.
    pub dim: usize,
}

impl Features {
    /// Rows of `dim` numbers from `values` (its length a multiple of `dim`).
    pub fn new(values: Vec<f32>, dim: usize) -> Features {
        assert!(dim > 0 && values.len().is_multiple_of(dim), "{} values in rows of {dim}", values.len());
        Features { values, dim }
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.values.len() / self.dim
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Row `i`.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.values[i * self.dim..(i + 1) * self.dim]
    }

    /// The rows `idx` as an `idx.len() x dim` matrix.
    pub(crate) fn matrix_of(&self, idx: impl ExactSizeIterator<Item = usize>) -> DMatrix<f64> {
        let rows = idx.len();
        let mut m = DMatrix::zeros(rows, self.dim);
        for (r, i) in idx.enumerate() {
            for (c, &v) in self.row(i).iter().enumerate() {
                m[(r, c)] = v as f64;
            }
        }
        m
    }

    /// All rows as a matrix.
    pub(crate) fn matrix(&self) -> DMatrix<f64> {
        self.matrix_of(0..self.len())
    }
}
