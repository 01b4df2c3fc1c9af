//! The windows a 2-D convolution reads, as one matrix for the whole batch (im2col), its adjoint
//! (col2im), and the transposes between batch-major `[B, C, P]` and channel-major `[C, B·P]`.
//!
//! A column of the window matrix is one output position of one sample (`b·P + p`), a row one
//! input channel and kernel tap (`(c·kh + i)·kw + j`), so a convolution is a single GEMM of the
//! weight `[C_out, C_in·kh·kw]` with it.

use super::buffer::{assume_written, fill, uninit, write};
use rayon::prelude::*;

/// An image batch `[batch, channels, height, width]` seen through a kernel: where each window
/// starts and how many there are.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Windows {
    /// Samples.
    pub batch: usize,
    /// Channels of the image.
    pub channels: usize,
    /// The image's height and width.
    pub size: [usize; 2],
    /// Kernel height and width.
    pub kernel: [usize; 2],
    /// Step between windows.
    pub stride: [usize; 2],
    /// Zeros before the first row and column (the end padding only shows in `out`).
    pub padding: [usize; 2],
    /// Step between kernel taps.
    pub dilation: [usize; 2],
    /// Windows down and across.
    pub out: [usize; 2],
}

impl Windows {
    /// Window positions per sample.
    pub(super) fn positions(&self) -> usize {
        self.out[0] * self.out[1]
    }

    /// Kernel taps per channel.
    pub(super) fn taps(&self) -> usize {
        self.kernel[0] * self.kernel[1]
    }

    /// Rows of the window matrix: channels times taps.
    pub(super) fn rows(&self) -> usize {
        self.channels * self.taps()
    }

    /// Columns of the window matrix: samples times positions.
    pub(super) fn columns(&self) -> usize {
        self.batch * self.positions()
    }

    /// Values of the image.
    pub(super) fn image_len(&self) -> usize {
        self.batch * self.channels * self.size[0] * self.size[1]
    }

    /// The windows along `axis` whose tap `tap` lands inside the image, `lo..hi`, and the
    /// coordinate `base` window `lo` reads (window `o` reads `(o - lo) · stride + base`).
    fn span(&self, axis: usize, tap: usize) -> (usize, usize, usize) {
        let (s, reach, pad, n) = (self.stride[axis], tap * self.dilation[axis], self.padding[axis], self.size[axis]);
        let lo = pad.saturating_sub(reach).div_ceil(s);
        // The last window reading inside: o · s + reach - pad <= n - 1.
        let hi = match (n + pad).checked_sub(reach + 1) {
            Some(last) => (last / s + 1).min(self.out[axis]),
            None => 0,
        };
        let lo = lo.min(hi);
        (lo, hi, (lo * s + reach).saturating_sub(pad))
    }
}

/// For each kernel tap, the `(image offset in a plane, window position)` pairs where the tap
/// lands inside the image: the same for every plane, so computed once per call, and the loops
/// over a plane are one indexed pass per tap instead of a short strided run per window row.
fn taps_inside(w: &Windows) -> Vec<Vec<(usize, usize)>> {
    let ([_, wd], [kh, kw], [_, ow]) = (w.size, w.kernel, w.out);
    let (ys, xs): (Vec<_>, Vec<_>) = ((0..kh).map(|i| w.span(0, i)).collect(), (0..kw).map(|j| w.span(1, j)).collect());
    let mut taps = Vec::with_capacity(kh * kw);
    for &(y0, y1, dy) in &ys {
        for &(x0, x1, dx) in &xs {
            let pairs = (y0..y1).flat_map(|oy| {
                let row = ((oy - y0) * w.stride[0] + dy) * wd;
                (x0..x1).map(move |ox| (row + (ox - x0) * w.stride[1] + dx, oy * ow + ox))
            });
            taps.push(pairs.collect());
        }
    }
    taps
}

/// The window matrix `[channels·taps, batch·positions]` of `image` (zeros where a window hangs
/// over the padding).
pub(super) fn im2col(image: &[f32], w: &Windows) -> Vec<f32> {
    assert_eq!(image.len(), w.image_len(), "image size for {w:?}");
    let (cols, positions, plane_len) = (w.columns(), w.positions(), w.size[0] * w.size[1]);
    let taps = taps_inside(w);
    let mut out = uninit(w.rows() * cols);
    if cols > 0 {
        out.par_chunks_mut(cols).enumerate().for_each(|(row, dst)| {
            let (c, pairs) = (row / w.taps(), &taps[row % w.taps()]);
            for (b, dst) in dst.chunks_mut(positions).enumerate() {
                let plane = &image[(b * w.channels + c) * plane_len..][..plane_len];
                let dst = fill(dst, 0.0);
                pairs.iter().for_each(|&(at, pos)| dst[pos] = plane[at]);
            }
        });
    }
    // SAFETY: every sample's positions were filled with zeros before the windows were copied in.
    unsafe { assume_written(out) }
}

/// The adjoint of [`im2col`]: every window value added back where it was read. Each channel's
/// planes start from `init[c]` (a bias) or zero.
pub(super) fn col2im(matrix: &[f32], w: &Windows, init: Option<&[f32]>) -> Vec<f32> {
    assert_eq!(matrix.len(), w.rows() * w.columns(), "window matrix size for {w:?}");
    let (positions, cols, plane_len) = (w.positions(), w.columns(), w.size[0] * w.size[1]);
    let taps = taps_inside(w);
    let mut image = uninit(w.image_len());
    if plane_len > 0 {
        image.par_chunks_mut(plane_len).enumerate().for_each(|(bc, plane)| {
            let (b, c) = (bc / w.channels, bc % w.channels);
            let plane = fill(plane, init.map_or(0.0, |init| init[c]));
            for (t, pairs) in taps.iter().enumerate() {
                let row = &matrix[(c * w.taps() + t) * cols + b * positions..][..positions];
                pairs.iter().for_each(|&(at, pos)| plane[at] += row[pos]);
            }
        });
    }
    // SAFETY: every plane was filled before the windows were added in.
    unsafe { assume_written(image) }
}

/// `[batch, channels, positions]` to `[channels, batch·positions]`.
pub(super) fn channel_major(x: &[f32], batch: usize, channels: usize, positions: usize) -> Vec<f32> {
    assert_eq!(x.len(), batch * channels * positions);
    let mut out = uninit(x.len());
    if positions > 0 {
        out.par_chunks_mut(batch * positions).enumerate().for_each(|(c, row)| {
            for (b, dst) in row.chunks_mut(positions).enumerate() {
                let src = &x[(b * channels + c) * positions..][..positions];
                write(dst, |k| src[k]);
            }
        });
    }
    // SAFETY: every channel's row was written, one sample's positions at a time.
    unsafe { assume_written(out) }
}

/// `[channels, batch·positions]` to `[batch, channels, positions]`, adding `bias[c]` when given.
pub(super) fn batch_major(
    x: &[f32],
    batch: usize,
    channels: usize,
    positions: usize,
    bias: Option<&[f32]>,
) -> Vec<f32> {
    assert_eq!(x.len(), batch * channels * positions);
    let mut out = uninit(x.len());
    if positions > 0 {
        out.par_chunks_mut(channels * positions).enumerate().for_each(|(b, sample)| {
            for (c, dst) in sample.chunks_mut(positions).enumerate() {
                let src = &x[(c * batch + b) * positions..][..positions];
                let shift = bias.map_or(0.0, |bias| bias[c]);
                write(dst, |k| src[k] + shift);
            }
        });
    }
    // SAFETY: every sample's channels were written.
    unsafe { assume_written(out) }
}

/// The sum over samples and positions of each channel of `[batch, channels, positions]`.
pub(super) fn channel_sums(x: &[f32], channels: usize, positions: usize) -> Vec<f32> {
    let mut sums = vec![0.0f32; channels];
    if positions == 0 || channels == 0 {
        return sums;
    }
    for sample in x.chunks(channels * positions) {
        if positions == 1 {
            sums.iter_mut().zip(sample).for_each(|(s, v)| *s += v);
        } else {
            sums.iter_mut().zip(sample.chunks(positions)).for_each(|(s, plane)| *s += plane.iter().sum::<f32>());
        }
    }
    sums
}
