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

/// The window matrix `[channels·taps, batch·positions]` of `image` (zeros where a window hangs
/// over the padding).
pub(super) fn im2col(image: &[f32], w: &Windows) -> Vec<f32> {
    assert_eq!(image.len(), w.image_len(), "image size for {w:?}");
    let (cols, positions, [h, wd], [_, kw], [sy, sx]) = (w.columns(), w.positions(), w.size, w.kernel, w.stride);
    let mut out = uninit(w.rows() * cols);
    if cols > 0 {
        out.par_chunks_mut(cols).enumerate().for_each(|(row, dst)| {
            let (c, tap) = (row / w.taps(), row % w.taps());
            let ((y0, y1, dy), (x0, x1, dx)) = (w.span(0, tap / kw), w.span(1, tap % kw));
            // The strided read below must reach every window inside, or some would go unwritten.
            assert!(x1 == x0 || dx + (x1 - x0 - 1) * sx < wd, "window span {x0}..{x1} from {dx} in {wd}");
            for (b, dst) in dst.chunks_mut(positions).enumerate() {
                let plane = &image[(b * w.channels + c) * h * wd..][..h * wd];
                for (oy, line) in dst.chunks_mut(w.out[1]).enumerate() {
                    if !(y0..y1).contains(&oy) {
                        fill(line, 0.0);
                        continue;
                    }
                    let src = &plane[((oy - y0) * sy + dy) * wd..][..wd];
                    let (head, rest) = line.split_at_mut(x0);
                    let (inside, tail) = rest.split_at_mut(x1 - x0);
                    fill(head, 0.0);
                    fill(tail, 0.0);
                    if sx == 1 {
                        let src = &src[dx..][..x1 - x0];
                        write(inside, |k| src[k]);
                    } else {
                        inside.iter_mut().zip(src[dx..].iter().step_by(sx)).for_each(|(d, &v)| {
                            d.write(v);
                        });
                    }
                }
            }
        });
    }
    // SAFETY: every line of every row was written: zeros outside the image, values inside.
    unsafe { assume_written(out) }
}

/// The adjoint of [`im2col`]: every window value added back where it was read. Each channel's
/// planes start from `init[c]` (a bias) or zero.
pub(super) fn col2im(matrix: &[f32], w: &Windows, init: Option<&[f32]>) -> Vec<f32> {
    assert_eq!(matrix.len(), w.rows() * w.columns(), "window matrix size for {w:?}");
    let ([h, wd], [kh, kw], positions, cols, [sy, sx]) = (w.size, w.kernel, w.positions(), w.columns(), w.stride);
    let mut image = uninit(w.image_len());
    let (ys, xs): (Vec<_>, Vec<_>) = ((0..kh).map(|i| w.span(0, i)).collect(), (0..kw).map(|j| w.span(1, j)).collect());
    if h * wd > 0 {
        image.par_chunks_mut(h * wd).enumerate().for_each(|(bc, plane)| {
            let (b, c) = (bc / w.channels, bc % w.channels);
            let plane = fill(plane, init.map_or(0.0, |init| init[c]));
            for (i, &(y0, y1, dy)) in ys.iter().enumerate() {
                for (j, &(x0, x1, dx)) in xs.iter().enumerate() {
                    let row = &matrix[((c * kh + i) * kw + j) * cols + b * positions..][..positions];
                    for oy in y0..y1 {
                        let dst = &mut plane[((oy - y0) * sy + dy) * wd..][..wd];
                        let line = &row[oy * w.out[1]..][x0..x1];
                        if sx == 1 {
                            dst[dx..][..x1 - x0].iter_mut().zip(line).for_each(|(d, v)| *d += v);
                        } else {
                            dst[dx..].iter_mut().step_by(sx).zip(line).for_each(|(d, v)| *d += v);
                        }
                    }
                }
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
    if positions == 0 {
        return sums;
    }
    for (i, plane) in x.chunks(positions).enumerate() {
        sums[i % channels] += plane.iter().sum::<f32>();
    }
    sums
}
