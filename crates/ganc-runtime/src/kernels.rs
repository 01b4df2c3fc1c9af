//! Fused CPU kernels for burn's flex backend: convolution and transposed convolution (forward
//! and both gradients as whole-batch GEMMs), linear layers, batch norm in training mode, and ReLU,
//! LeakyReLU and tanh, each one pass forward and one backward.
//!
//! burn lets a crate add operations to its backends ([`backend_extension`]): [`Kernels`] is
//! ganc's, implemented for [`Flex`] (plain forward passes) and for `Autodiff<Flex>` (the same,
//! recording a backward pass written with the same kernels, in `kernels/autodiff.rs`). The layers call
//! the functions below, which take the fused path for f32 tensors on the flex device and burn's
//! generic operations everywhere else (ndarray, cuda), so every device computes the same
//! function. `GANC_KERNELS=burn` in the environment forces burn's operations on flex too, for
//! side-by-side timing and for checking one against the other.

mod activation;
mod adam;
mod autodiff;
mod batchnorm;
mod buffer;
mod conv;
mod gemm;
mod linear;
#[cfg(feature = "onednn")]
mod onednn;
mod windows;

pub use activation::Pointwise;
pub use adam::AdamStep;
use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{backend_extension, Backend, DType, Dispatch, DispatchDevice, Flex, TensorMetadata};
use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};
use burn::tensor::{Tensor, TensorData};
use conv::{Conv, Deconv, Kept};
use linear::Linear;
use std::sync::LazyLock;
use windows::Windows;

/// ganc's operations on burn's backends.
#[backend_extension(Flex, Autodiff)]
pub trait Kernels: Backend {
    /// burn's `conv2d` (a layer without a bias passes zeros).
    fn fused_conv2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        options: ConvOptions<2>,
    ) -> FloatTensor<Self>;

    /// burn's `conv_transpose2d` (a layer without a bias passes zeros).
    fn fused_conv_transpose2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        options: ConvTransposeOptions<2>,
    ) -> FloatTensor<Self>;

    /// burn's `linear` on `[B, in]` (a layer without a bias passes zeros).
    fn fused_linear(x: FloatTensor<Self>, weight: FloatTensor<Self>, bias: FloatTensor<Self>) -> FloatTensor<Self>;

    /// The activation `f` (burn's `relu`, `leaky_relu` or `tanh`).
    fn fused_activation(x: FloatTensor<Self>, f: Pointwise) -> FloatTensor<Self>;

    /// One Adam step of the parameter `p` with gradient `g` and moments `m`, `v` (placeholders on
    /// the first step): the new parameter and moments, none of them tracked.
    fn fused_adam(
        p: FloatTensor<Self>,
        g: FloatTensor<Self>,
        m: FloatTensor<Self>,
        v: FloatTensor<Self>,
        s: AdamStep,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>);

    /// burn's `batch_norm_train`: the output, the batch mean and the biased batch variance.
    fn fused_batch_norm(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        epsilon: f64,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>);
}

/// Whether `GANC_KERNELS=burn` asked for burn's generic operations.
static GENERIC: LazyLock<bool> = LazyLock::new(|| std::env::var("GANC_KERNELS").is_ok_and(|v| v == "burn"));

/// Whether `x` takes the fused path: f32 on the flex device (with or without autodiff).
fn fused<const D: usize>(x: &Tensor<D>) -> bool {
    !*GENERIC && x.dtype() == DType::F32 && matches!(x.device().inner().as_dispatch(), DispatchDevice::Flex(_))
}

/// A 2-D convolution of `[B, C_in, H, W]` by `[C_out, C_in/groups, kh, kw]` (burn's `conv2d`).
pub fn conv2d(x: Tensor<4>, weight: Tensor<4>, bias: Option<Tensor<1>>, options: ConvOptions<2>) -> Tensor<4> {
    if !fused(&x) {
        return burn::tensor::module::conv2d(x, weight, bias, options);
    }
    let bias = bias.unwrap_or_else(|| Tensor::zeros([weight.dims()[0]], &x.device()));
    Tensor::from_dispatch(<Dispatch as Kernels>::fused_conv2d(
        x.into_dispatch(),
        weight.into_dispatch(),
        bias.into_dispatch(),
        options,
    ))
}

/// A transposed 2-D convolution of `[B, C_in, H, W]` by `[C_in, C_out/groups, kh, kw]` (burn's
/// `conv_transpose2d`).
pub fn conv_transpose2d(
    x: Tensor<4>,
    weight: Tensor<4>,
    bias: Option<Tensor<1>>,
    options: ConvTransposeOptions<2>,
) -> Tensor<4> {
    if !fused(&x) {
        return burn::tensor::module::conv_transpose2d(x, weight, bias, options);
    }
    let bias = bias.unwrap_or_else(|| Tensor::zeros([weight.dims()[1] * options.groups], &x.device()));
    Tensor::from_dispatch(<Dispatch as Kernels>::fused_conv_transpose2d(
        x.into_dispatch(),
        weight.into_dispatch(),
        bias.into_dispatch(),
        options,
    ))
}

/// `x · weight + bias` for `x` `[B, in]` and `weight` `[in, out]` (burn's `linear`).
pub fn linear(x: Tensor<2>, weight: Tensor<2>, bias: Option<Tensor<1>>) -> Tensor<2> {
    if !fused(&x) {
        return burn::tensor::module::linear(x, weight, bias);
    }
    let bias = bias.unwrap_or_else(|| Tensor::zeros([weight.dims()[1]], &x.device()));
    Tensor::from_dispatch(<Dispatch as Kernels>::fused_linear(
        x.into_dispatch(),
        weight.into_dispatch(),
        bias.into_dispatch(),
    ))
}

/// The activation `f` at every element of `x`.
pub fn activation<const D: usize>(x: Tensor<D>, f: Pointwise) -> Tensor<D> {
    if !fused(&x) {
        return match f {
            Pointwise::Relu => burn::tensor::activation::relu(x),
            Pointwise::LeakyRelu(slope) => burn::tensor::activation::leaky_relu(x, slope),
            Pointwise::Tanh => burn::tensor::activation::tanh(x),
        };
    }
    Tensor::from_dispatch(<Dispatch as Kernels>::fused_activation(x.into_dispatch(), f))
}

/// Batch norm of `[B, C, ...]` with the batch's statistics: the output, the per-channel mean and
/// the biased variance (burn's `batch_norm_train`).
pub fn batch_norm_train<const D: usize>(
    x: Tensor<D>,
    gamma: Tensor<1>,
    beta: Tensor<1>,
    epsilon: f64,
) -> (Tensor<D>, Tensor<1>, Tensor<1>) {
    if !fused(&x) {
        let r = burn::tensor::module::batch_norm_train(x, gamma, beta, epsilon);
        return (r.output, r.mean, r.variance);
    }
    let (y, mean, var) = <Dispatch as Kernels>::fused_batch_norm(
        x.into_dispatch(),
        gamma.into_dispatch(),
        beta.into_dispatch(),
        epsilon,
    );
    (Tensor::from_dispatch(y), Tensor::from_dispatch(mean), Tensor::from_dispatch(var))
}

/// One Adam step of the parameter `p` with gradient `g` and moments `(m, v)` (none on the first
/// step): the new parameter and moments, or `None` off the fused path (the caller runs burn's).
pub fn adam<const D: usize>(
    p: Tensor<D>,
    g: Tensor<D>,
    moments: Option<(Tensor<D>, Tensor<D>)>,
    s: AdamStep,
) -> Option<(Tensor<D>, Tensor<D>, Tensor<D>)> {
    if !fused(&p) || s.first != moments.is_none() {
        return None;
    }
    let (m, v) = moments.unwrap_or_else(|| (g.clone(), g.clone()));
    let [p, g, m, v] = [p, g, m, v].map(Tensor::into_dispatch);
    let (p, m, v) = <Dispatch as Kernels>::fused_adam(p, g, m, v, s);
    Some((Tensor::from_dispatch(p), Tensor::from_dispatch(m), Tensor::from_dispatch(v)))
}

/// A flex tensor's values, contiguous.
fn values(t: &FlexTensor) -> std::borrow::Cow<'_, [f32]> {
    match t.as_slice::<f32>() {
        Some(v) => v.into(),
        None => t.to_contiguous().into_data().try_into_vec::<f32>().expect("an f32 tensor").into(),
    }
}

/// A flex tensor of `values` with `shape`.
fn tensor(values: Vec<f32>, shape: &[usize]) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape.to_vec()))
}

/// The convolution of input `x` `[B, C, H, W]` by `weight` `[C_out, C/groups, kh, kw]`.
fn conv_of(x: &[usize], weight: &[usize], o: &ConvOptions<2>) -> Conv {
    let out = |axis: usize| {
        let (begin, end) = o.padding[axis];
        (x[2 + axis] + begin + end - o.dilation[axis] * (weight[2 + axis] - 1) - 1) / o.stride[axis] + 1
    };
    Conv {
        windows: Windows {
            batch: x[0],
            channels: x[1],
            size: [x[2], x[3]],
            kernel: [weight[2], weight[3]],
            stride: o.stride,
            padding: [o.padding[0].0, o.padding[1].0],
            dilation: o.dilation,
            out: [out(0), out(1)],
        },
        out_channels: weight[0],
        groups: o.groups,
    }
}

/// The transposed convolution of input `x` `[B, C_in, H, W]` by `weight` `[C_in, C_out/groups,
/// kh, kw]`: windows over its output `[B, C_out, OH, OW]`.
fn deconv_of(x: &[usize], weight: &[usize], o: &ConvTransposeOptions<2>) -> Deconv {
    let size = |axis: usize| {
        (x[2 + axis] - 1) * o.stride[axis] + o.dilation[axis] * (weight[2 + axis] - 1) + o.padding_out[axis] + 1
            - 2 * o.padding[axis]
    };
    Deconv {
        windows: Windows {
            batch: x[0],
            channels: weight[1] * o.groups,
            size: [size(0), size(1)],
            kernel: [weight[2], weight[3]],
            stride: o.stride,
            padding: o.padding,
            dilation: o.dilation,
            out: [x[2], x[3]],
        },
        in_channels: x[1],
        groups: o.groups,
    }
}

/// The output shape `[B, C, H, W]` of an image seen through `w`.
fn image_shape(w: &Windows) -> [usize; 4] {
    [w.batch, w.channels, w.size[0], w.size[1]]
}

/// The layout of a batch-norm input.
fn planes_of(x: &[usize]) -> batchnorm::Planes {
    batchnorm::Planes { batch: x[0], channels: x[1], positions: x[2..].iter().product() }
}

/// The convolution's output, its geometry and what its weight gradient needs.
fn conv_forward(
    x: &FlexTensor,
    weight: &FlexTensor,
    bias: &FlexTensor,
    options: &ConvOptions<2>,
) -> (FlexTensor, Conv, Kept) {
    let conv = conv_of(&x.shape(), &weight.shape(), options);
    let (y, kept) = conv.forward(&values(x), &values(weight), &values(bias));
    let w = &conv.windows;
    (tensor(y, &[w.batch, conv.out_channels, w.out[0], w.out[1]]), conv, kept)
}

/// The transposed convolution's output, its geometry and what its weight gradient needs.
fn deconv_forward(
    x: &FlexTensor,
    weight: &FlexTensor,
    bias: &FlexTensor,
    options: &ConvTransposeOptions<2>,
) -> (FlexTensor, Deconv, Kept) {
    let deconv = deconv_of(&x.shape(), &weight.shape(), options);
    let (y, kept) = deconv.forward(&values(x), &values(weight), &values(bias));
    (tensor(y, &image_shape(&deconv.windows)), deconv, kept)
}

/// The linear layer's output and its sizes.
fn linear_forward(x: &FlexTensor, weight: &FlexTensor, bias: &FlexTensor) -> (FlexTensor, Linear) {
    let (xs, ws) = (x.shape(), weight.shape());
    let layer = Linear { batch: xs[0], inputs: xs[1], outputs: ws[1] };
    (tensor(layer.forward(&values(x), &values(weight), &values(bias)), &[layer.batch, layer.outputs]), layer)
}

impl Kernels for Flex {
    fn fused_conv2d(x: FlexTensor, weight: FlexTensor, bias: FlexTensor, options: ConvOptions<2>) -> FlexTensor {
        conv_forward(&x, &weight, &bias, &options).0
    }

    fn fused_conv_transpose2d(
        x: FlexTensor,
        weight: FlexTensor,
        bias: FlexTensor,
        options: ConvTransposeOptions<2>,
    ) -> FlexTensor {
        deconv_forward(&x, &weight, &bias, &options).0
    }

    fn fused_linear(x: FlexTensor, weight: FlexTensor, bias: FlexTensor) -> FlexTensor {
        linear_forward(&x, &weight, &bias).0
    }

    fn fused_activation(x: FlexTensor, f: Pointwise) -> FlexTensor {
        tensor(activation::forward(&values(&x), f), &x.shape())
    }

    fn fused_adam(
        p: FlexTensor,
        g: FlexTensor,
        m: FlexTensor,
        v: FlexTensor,
        s: AdamStep,
    ) -> (FlexTensor, FlexTensor, FlexTensor) {
        let shape = p.shape();
        let (m, v) = (values(&m), values(&v));
        let [p, m, v] = adam::step(&values(&p), &values(&g), (&m, &v), s).map(|t| tensor(t, &shape));
        (p, m, v)
    }

    fn fused_batch_norm(
        x: FlexTensor,
        gamma: FlexTensor,
        beta: FlexTensor,
        epsilon: f64,
    ) -> (FlexTensor, FlexTensor, FlexTensor) {
        let (shape, planes, xs) = (x.shape(), planes_of(&x.shape()), values(&x));
        let (mean, var) = batchnorm::statistics(&xs, &planes);
        let y = batchnorm::normalize(&xs, &planes, (&mean, &var), &values(&gamma), &values(&beta), epsilon);
        let c = planes.channels;
        (tensor(y, &shape), tensor(mean, &[c]), tensor(var, &[c]))
    }
}
