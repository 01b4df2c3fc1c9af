//! Convolution and transposed convolution, forward and both gradients, each as whole-batch GEMMs
//! over one window matrix (see [`super::windows`]). Grouped convolutions run one GEMM per group
//! on that group's rows.

use super::buffer::{assume_written, uninit};
use super::gemm::{matmul, View};
#[cfg(feature = "onednn")]
use super::onednn::OneDnnConv;
use super::windows::{batch_major, channel_major, channel_sums, col2im, im2col, Windows};
#[cfg(feature = "onednn")]
use rayon::prelude::*;
use std::borrow::Cow;
use std::cell::OnceCell;
use std::mem::MaybeUninit;

/// The transpose of the row-major `[rows, cols]` matrix `m`, row-major: gemm runs faster on a
/// row-major left operand, and weights are small next to the window matrices.
fn transposed(m: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut t = uninit(rows * cols);
    for (r, row) in m[..rows * cols].chunks(cols.max(1)).enumerate() {
        for (c, &v) in row.iter().enumerate() {
            t[c * rows + r].write(v);
        }
    }
    // SAFETY: each of the `rows * cols` positions was written once.
    unsafe { assume_written(t) }
}

/// A matrix of `groups` blocks of `block` values, block `g` written by `product(g, block)`
/// (a [`matmul`], which writes every element).
fn grouped(groups: usize, block: usize, mut product: impl FnMut(usize, &mut [MaybeUninit<f32>])) -> Vec<f32> {
    let mut out = uninit(groups * block);
    for (g, dst) in out.chunks_mut(block.max(1)).enumerate() {
        product(g, dst);
    }
    // SAFETY: `matmul` writes every element of each block.
    unsafe { assume_written(out) }
}

/// Per group, `a_g · b_gᵀ` `[m, k]` for row-major `a` `[groups·m, n]` and `b` `[groups·k, n]`
/// (a weight gradient, `n` the long batch·positions side). gemm runs this as `(b_g · a_gᵀ)ᵀ`,
/// whose right operand it packs over two times faster, and the small product is transposed back.
fn outer_products(groups: usize, (m, k, n): (usize, usize, usize), a: &[f32], b: &[f32]) -> Vec<f32> {
    let flipped = grouped(groups, k * m, |g, dst| {
        matmul(dst, View::new(&b[g * k * n..], k, n), View::new(&a[g * m * n..], m, n).t());
    });
    let mut out = Vec::with_capacity(groups * m * k);
    for block in flipped.chunks((k * m).max(1)) {
        out.extend(transposed(block, k, m));
    }
    out
}

/// What a weight gradient needs from its forward pass.
#[derive(Clone, Debug)]
pub(super) enum Kept {
    /// What ganc's GEMM multiplies the output gradient by: a convolution's window matrix, a
    /// transposed convolution's input channel-major.
    Operand(Vec<f32>),
    /// Nothing beyond the input, which oneDNN's weight gradient reads as it came.
    #[cfg(feature = "onednn")]
    Input,
}

/// An output gradient, and the form of it ganc's GEMMs multiply (a convolution's channel-major,
/// a transposed convolution's window matrix), made once, when first asked for.
pub(super) struct OutputGrad<'a> {
    values: &'a [f32],
    operand: OnceCell<Vec<f32>>,
}

impl<'a> OutputGrad<'a> {
    /// The gradient `[B, C, H, W]` of an output.
    pub(super) fn new(values: &'a [f32]) -> Self {
        OutputGrad { values, operand: OnceCell::new() }
    }
}

/// A convolution: the windows over its input, its output channels and groups.
#[derive(Clone, Copy, Debug)]
pub(super) struct Conv {
    /// The windows over the input `[B, C_in, H, W]`; `out` is the output's height and width.
    pub windows: Windows,
    /// Output channels.
    pub out_channels: usize,
    /// Channel groups.
    pub groups: usize,
}

impl Conv {
    /// Rows of one group's window matrix (`C_in / groups · taps`).
    fn group_rows(&self) -> usize {
        self.windows.rows() / self.groups
    }

    /// Output channels per group.
    fn group_out(&self) -> usize {
        self.out_channels / self.groups
    }

    /// oneDNN's convolution of the same geometry.
    #[cfg(feature = "onednn")]
    fn onednn(&self) -> OneDnnConv {
        OneDnnConv::new(&self.windows, self.out_channels, self.groups)
    }

    /// `y[C_out, N] = W_g · cols_g` for each group, channel-major.
    fn product(&self, weight: &[f32], cols: &[f32]) -> Vec<f32> {
        let (n, k, m) = (self.windows.columns(), self.group_rows(), self.group_out());
        let y = grouped(self.groups, m * n, |g, dst| {
            matmul(dst, View::new(&weight[g * m * k..], m, k), View::new(&cols[g * k * n..], k, n));
        });
        y
    }

    /// The output `[B, C_out, OH, OW]` of `x` (plus `bias`), and what the weight gradient needs.
    pub(super) fn forward(&self, x: &[f32], weight: &[f32], bias: &[f32]) -> (Vec<f32>, Kept) {
        #[cfg(feature = "onednn")]
        if let Some(y) = self.onednn().forward(x, weight, Some(bias)) {
            return (y, Kept::Input);
        }
        let cols = im2col(x, &self.windows);
        let y = self.product(weight, &cols);
        let w = &self.windows;
        (batch_major(&y, w.batch, self.out_channels, w.positions(), Some(bias)), Kept::Operand(cols))
    }

    /// The output gradient channel-major `[C_out, N]`, as both GEMM gradients multiply it.
    fn channel_major_grad<'g>(&self, grad: &'g OutputGrad) -> &'g [f32] {
        let w = &self.windows;
        grad.operand.get_or_init(|| channel_major(grad.values, w.batch, self.out_channels, w.positions()))
    }

    /// The input gradient: `W_gᵀ · dy_g` per group, its windows added back into the image.
    pub(super) fn input_grad(&self, weight: &[f32], grad: &OutputGrad) -> Vec<f32> {
        #[cfg(feature = "onednn")]
        if let Some(dx) = self.onednn().backward_data(grad.values, weight) {
            return dx;
        }
        let dy = self.channel_major_grad(grad);
        let (n, k, m) = (self.windows.columns(), self.group_rows(), self.group_out());
        let dcols = grouped(self.groups, k * n, |g, dst| {
            let wt = transposed(&weight[g * m * k..], m, k);
            matmul(dst, View::new(&wt, k, m), View::new(&dy[g * m * n..], m, n));
        });
        col2im(&dcols, &self.windows, None)
    }

    /// The weight gradient `[C_out, C_in/groups, kh, kw]`: `dy_g · cols_gᵀ` per group.
    /// `x` is the input, which only oneDNN's pass reads.
    #[cfg_attr(not(feature = "onednn"), allow(unused_variables))]
    pub(super) fn weight_grad(&self, kept: &Kept, x: &[f32], grad: &OutputGrad) -> Vec<f32> {
        let cols = match kept {
            Kept::Operand(cols) => Cow::Borrowed(cols),
            #[cfg(feature = "onednn")]
            Kept::Input => match self.onednn().backward_weights(x, grad.values) {
                Some(dw) => return dw,
                None => Cow::Owned(im2col(x, &self.windows)),
            },
        };
        let (n, k, m) = (self.windows.columns(), self.group_rows(), self.group_out());
        outer_products(self.groups, (m, k, n), self.channel_major_grad(grad), &cols)
    }
}

/// A transposed convolution: the adjoint of the convolution whose windows run over its *output*
/// `[B, C_out, OH, OW]` and whose positions are its input's `H x W`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Deconv {
    /// The windows over the output; `out` is the input's height and width.
    pub windows: Windows,
    /// Input channels.
    pub in_channels: usize,
    /// Channel groups.
    pub groups: usize,
}

impl Deconv {
    /// Input channels per group.
    fn group_in(&self) -> usize {
        self.in_channels / self.groups
    }

    /// Rows of one group's window matrix (`C_out / groups · taps`).
    fn group_rows(&self) -> usize {
        self.windows.rows() / self.groups
    }

    /// oneDNN's convolution this is the adjoint of: from the output image into the input's
    /// channels, with the same weight layout.
    #[cfg(feature = "onednn")]
    fn onednn(&self) -> OneDnnConv {
        OneDnnConv::new(&self.windows, self.in_channels, self.groups)
    }

    /// The input `[B, C_in, H, W]` channel-major `[C_in, N]`, as the GEMMs multiply it.
    fn channel_major_input(&self, x: &[f32]) -> Vec<f32> {
        channel_major(x, self.windows.batch, self.in_channels, self.windows.positions())
    }

    /// The output `[B, C_out, OH, OW]` of `x` (plus `bias`): `W_gᵀ · x_g` per group, its windows
    /// added into the output image; and what the weight gradient needs.
    pub(super) fn forward(&self, x: &[f32], weight: &[f32], bias: &[f32]) -> (Vec<f32>, Kept) {
        #[cfg(feature = "onednn")]
        if let Some(mut y) = self.onednn().backward_data(x, weight) {
            add_channel_bias(&mut y, bias, self.windows.size[0] * self.windows.size[1]);
            return (y, Kept::Input);
        }
        let xc = self.channel_major_input(x);
        let (n, k, m) = (self.windows.columns(), self.group_rows(), self.group_in());
        let cols = grouped(self.groups, k * n, |g, dst| {
            let wt = transposed(&weight[g * m * k..], m, k);
            matmul(dst, View::new(&wt, k, m), View::new(&xc[g * m * n..], m, n));
        });
        (col2im(&cols, &self.windows, Some(bias)), Kept::Operand(xc))
    }

    /// The window matrix of the output gradient, as both GEMM gradients multiply it.
    fn grad_windows<'g>(&self, grad: &'g OutputGrad) -> &'g [f32] {
        grad.operand.get_or_init(|| im2col(grad.values, &self.windows))
    }

    /// The input gradient `[B, C_in, H, W]`: `W_g · dcols_g` per group.
    pub(super) fn input_grad(&self, weight: &[f32], grad: &OutputGrad) -> Vec<f32> {
        #[cfg(feature = "onednn")]
        if let Some(dx) = self.onednn().forward(grad.values, weight, None) {
            return dx;
        }
        let dcols = self.grad_windows(grad);
        let (n, k, m) = (self.windows.columns(), self.group_rows(), self.group_in());
        let dx = grouped(self.groups, m * n, |g, dst| {
            matmul(dst, View::new(&weight[g * m * k..], m, k), View::new(&dcols[g * k * n..], k, n));
        });
        batch_major(&dx, self.windows.batch, self.in_channels, self.windows.positions(), None)
    }

    /// The weight gradient `[C_in, C_out/groups, kh, kw]`: `x_g · dcols_gᵀ` per group.
    /// `x` is the input, which only oneDNN's pass reads.
    #[cfg_attr(not(feature = "onednn"), allow(unused_variables))]
    pub(super) fn weight_grad(&self, kept: &Kept, x: &[f32], grad: &OutputGrad) -> Vec<f32> {
        let xc = match kept {
            Kept::Operand(xc) => Cow::Borrowed(xc),
            #[cfg(feature = "onednn")]
            Kept::Input => match self.onednn().backward_weights(grad.values, x) {
                Some(dw) => return dw,
                None => Cow::Owned(self.channel_major_input(x)),
            },
        };
        let (n, k, m) = (self.windows.columns(), self.group_rows(), self.group_in());
        outer_products(self.groups, (m, k, n), &xc, self.grad_windows(grad))
    }
}

/// Adds `bias[c]` to every value of channel `c` of the image `[B, C, positions]` (nothing to do
/// for the zeros a layer without a bias passes).
#[cfg(feature = "onednn")]
fn add_channel_bias(image: &mut [f32], bias: &[f32], positions: usize) {
    if positions > 0 && bias.iter().any(|&b| b != 0.0) {
        image.par_chunks_mut(positions).enumerate().for_each(|(plane, values)| {
            let shift = bias[plane % bias.len()];
            values.iter_mut().for_each(|v| *v += shift);
        });
    }
}

/// The bias gradient of either: the output gradient `[B, C, ...]` summed per channel.
pub(super) fn bias_grad(grad: &[f32], batch: usize, channels: usize) -> Vec<f32> {
    let planes = batch * channels;
    channel_sums(grad, channels, grad.len().checked_div(planes).unwrap_or(0))
}
