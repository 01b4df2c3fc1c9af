//! Row-major matrix products on the `gemm` crate (burn-flex's own GEMM), on every core when the
//! product is large enough to pay for the threads.

use gemm::Parallelism;
use std::mem::MaybeUninit;

/// Products of at least this many multiply-adds run on rayon's pool.
const PARALLEL_FROM: usize = 1 << 18;

/// A read-only matrix over a slice: its size and the strides of a row and a column step.
#[derive(Clone, Copy)]
pub(super) struct View<'a> {
    data: &'a [f32],
    rows: usize,
    cols: usize,
    row_stride: isize,
    col_stride: isize,
}

impl<'a> View<'a> {
    /// The first `rows * cols` values of `data` as a row-major matrix.
    pub(super) fn new(data: &'a [f32], rows: usize, cols: usize) -> Self {
        assert!(data.len() >= rows * cols, "a {rows}x{cols} view over {} values", data.len());
        View { data, rows, cols, row_stride: cols as isize, col_stride: 1 }
    }

    /// The transpose, without copying.
    pub(super) fn t(self) -> Self {
        View { rows: self.cols, cols: self.rows, row_stride: self.col_stride, col_stride: self.row_stride, ..self }
    }
}

/// Writes `a · b` to every element of `dst`, row-major `[a.rows, b.cols]`.
pub(super) fn matmul(dst: &mut [MaybeUninit<f32>], a: View, b: View) {
    // SAFETY: with `read_dst` false, gemm writes every element of `dst` without reading it.
    unsafe { product(dst.as_mut_ptr().cast::<f32>(), dst.len(), a, b, false) }
}

/// Adds `a · b` to `dst`, row-major `[a.rows, b.cols]`.
pub(super) fn matmul_add(dst: &mut [f32], a: View, b: View) {
    // SAFETY: `dst` is initialized, so gemm may read it.
    unsafe { product(dst.as_mut_ptr(), dst.len(), a, b, true) }
}

/// `dst = a · b`, or `dst += a · b` with `read_dst`.
///
/// # Safety
/// `dst` must be valid for writes of `len` values, and for reads of them with `read_dst`.
unsafe fn product(dst: *mut f32, len: usize, a: View, b: View, read_dst: bool) {
    assert_eq!(a.cols, b.rows, "inner dimensions of a matrix product");
    let (m, n, k) = (a.rows, b.cols, a.cols);
    assert_eq!(len, m * n, "the product's size");
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !read_dst {
            // SAFETY: the caller gave `len` writable values.
            unsafe { std::slice::from_raw_parts_mut(dst, len).fill(0.0) };
        }
        return;
    }
    let parallelism = if m * n * k >= PARALLEL_FROM { Parallelism::Rayon(0) } else { Parallelism::None };
    // SAFETY: the views were checked to hold their `rows * cols` values at their strides, `dst`
    // to hold `m * n`; gemm reads and writes only within those bounds, and reads `dst` only
    // with `read_dst`.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst,
            1,
            n as isize,
            read_dst,
            a.data.as_ptr(),
            a.col_stride,
            a.row_stride,
            b.data.as_ptr(),
            b.col_stride,
            b.row_stride,
            1.0,
            1.0,
            false,
            false,
            false,
            parallelism,
        );
    }
}
