//! oneDNN's convolutions, behind the `onednn` cargo feature (Debian's `libdnnl-dev`): the three
//! passes of a convolution, in `onednn.cpp`; a transposed convolution runs them as its adjoint.
//!
//! A pass returns `None` where oneDNN declines the geometry or fails, and where it would produce
//! an image of fewer than [`NARROW`] channels: oneDNN's AVX-512 kernels work on 16 channels at a
//! time, and at the DCGAN's one-channel images ganc's GEMMs were faster (the input gradient of
//! its first convolution: 6.0 ms in oneDNN against 2.8). The caller then runs ganc's own
//! kernels. `GANC_KERNELS=gemm` turns oneDNN off, for side-by-side timing in one build.

use super::buffer::{assume_written, uninit};
use super::windows::Windows;
use std::mem::MaybeUninit;
use std::sync::LazyLock;

/// Produced images with fewer channels than this stay with ganc's GEMMs.
const NARROW: usize = 4;

/// Whether `GANC_KERNELS=gemm` turned oneDNN off.
static OFF: LazyLock<bool> = LazyLock::new(|| std::env::var("GANC_KERNELS").is_ok_and(|v| v == "gemm"));

/// `struct ganc_conv_geometry` of `onednn.cpp`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
struct Geometry {
    batch: i64,
    in_channels: i64,
    in_size: [i64; 2],
    out_channels: i64,
    out_size: [i64; 2],
    kernel: [i64; 2],
    stride: [i64; 2],
    dilation: [i64; 2],
    padding: [i64; 2],
    groups: i64,
}

unsafe extern "C" {
    fn ganc_dnnl_conv_forward(
        g: *const Geometry,
        src: *const f32,
        weights: *const f32,
        bias: *const f32,
        dst: *mut f32,
    ) -> i32;
    fn ganc_dnnl_conv_backward_data(
        g: *const Geometry,
        diff_dst: *const f32,
        weights: *const f32,
        diff_src: *mut f32,
    ) -> i32;
    fn ganc_dnnl_conv_backward_weights(
        g: *const Geometry,
        src: *const f32,
        diff_dst: *const f32,
        diff_weights: *mut f32,
    ) -> i32;
}

/// A convolution of the image `[B, C, H, W]` a [`Windows`] describes into `out_channels`
/// channels at the windows' positions.
#[derive(Clone, Copy, Debug)]
pub(super) struct OneDnnConv {
    geometry: Geometry,
    /// Values of the input image, the output, the weight.
    lens: [usize; 3],
    /// The input's and the output's channels.
    channels: [usize; 2],
}

impl OneDnnConv {
    /// The convolution over `w` into `out_channels` channels in `groups` groups.
    pub(super) fn new(w: &Windows, out_channels: usize, groups: usize) -> Self {
        let i = |v: usize| v as i64;
        let pair = |v: [usize; 2]| v.map(i);
        let geometry = Geometry {
            batch: i(w.batch),
            in_channels: i(w.channels),
            in_size: pair(w.size),
            out_channels: i(out_channels),
            out_size: pair(w.out),
            kernel: pair(w.kernel),
            stride: pair(w.stride),
            dilation: pair(w.dilation),
            padding: pair(w.padding),
            groups: i(groups),
        };
        let lens = [w.image_len(), w.batch * out_channels * w.positions(), out_channels * w.rows() / groups.max(1)];
        OneDnnConv { geometry, lens, channels: [w.channels, out_channels] }
    }

    /// Whether oneDNN is on and the tensors are not empty.
    fn on(&self) -> bool {
        !*OFF && !self.lens.contains(&0)
    }

    /// Whether the pass producing an image of `channels` channels goes to oneDNN.
    fn takes(&self, channels: usize) -> bool {
        self.on() && channels >= NARROW
    }

    /// The output `[B, C_out, OH, OW]` of input `x` (plus `bias`).
    pub(super) fn forward(&self, x: &[f32], weight: &[f32], bias: Option<&[f32]>) -> Option<Vec<f32>> {
        let [image, out, weights] = self.lens;
        if !self.takes(self.channels[1]) {
            return None;
        }
        assert!(x.len() == image && weight.len() == weights && bias.is_none_or(|b| b.len() == self.channels[1]));
        let bias = bias.map_or(std::ptr::null(), <[f32]>::as_ptr);
        // SAFETY: the buffers hold the sizes the geometry gives; oneDNN reads the inputs and
        // writes every element of the output, or reports failure.
        run(out, |dst| unsafe { ganc_dnnl_conv_forward(&self.geometry, x.as_ptr(), weight.as_ptr(), bias, dst) })
    }

    /// The input gradient `[B, C_in, H, W]` of the output gradient `dy`.
    pub(super) fn backward_data(&self, dy: &[f32], weight: &[f32]) -> Option<Vec<f32>> {
        let [image, out, weights] = self.lens;
        if !self.takes(self.channels[0]) {
            return None;
        }
        assert!(dy.len() == out && weight.len() == weights);
        // SAFETY: as in `forward`.
        run(image, |dx| unsafe { ganc_dnnl_conv_backward_data(&self.geometry, dy.as_ptr(), weight.as_ptr(), dx) })
    }

    /// The weight gradient `[C_out, C_in/groups, kh, kw]` of input `x` and output gradient `dy`.
    pub(super) fn backward_weights(&self, x: &[f32], dy: &[f32]) -> Option<Vec<f32>> {
        let [image, out, weights] = self.lens;
        if !self.on() {
            return None;
        }
        assert!(x.len() == image && dy.len() == out);
        // SAFETY: as in `forward`.
        run(weights, |dw| unsafe { ganc_dnnl_conv_backward_weights(&self.geometry, x.as_ptr(), dy.as_ptr(), dw) })
    }
}

/// A buffer of `len` values written by `pass`, when it succeeds (returns 0).
fn run(len: usize, pass: impl FnOnce(*mut f32) -> i32) -> Option<Vec<f32>> {
    let mut out: Vec<MaybeUninit<f32>> = uninit(len);
    (pass(out.as_mut_ptr().cast()) == 0).then(|| {
        // SAFETY: the pass succeeded, so it wrote every element.
        unsafe { assume_written(out) }
    })
}
