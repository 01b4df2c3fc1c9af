//! One burn module per lowered registry layer, each with its forward pass and its input-gradient
//! product (VJP) written side by side, in one [`Differentiable`] impl per layer kind.
//!
//! [`Layer::differentiable`] maps every variant to its impl in one exhaustive match, and
//! [`Differentiable::vjp`] has no default: a new layer without an input-gradient product does not
//! compile. A layer that has none (batch statistics, a random mask, bilinear upsampling) says so
//! in its impl with a typed [`NoInputGradient`]; the registry's `InputGradient` flag, which
//! `E0410` reads, is tested to agree with these answers (`tests/input_gradient_table.rs`).

mod activations;
mod attention;
mod augment;
mod conditional;
mod joins;
mod minibatch;
mod noise;
mod norms;
mod pggan;
mod pooling;
pub mod reparam;
mod resampling;
mod reshaping;
mod shuffle;
mod style;
mod virtual_norm;
mod weights;

pub use activations::Activation;
pub use attention::SelfAttention;
pub use augment::Augment;
pub use conditional::{ConditionalBatchNorm, Projection};
pub use joins::{Add, Concat};
pub use minibatch::MinibatchDiscrimination;
pub use noise::{Decay, Dropout, GaussianNoise};
pub use norms::{sample_norm_param_grads, SampleNorm};
pub use pggan::{MinibatchStddev, PixelNorm};
pub use pooling::{GlobalPool, MaxPool};
pub use reparam::Reparametrized;
pub use resampling::{AvgPool, Upsample};
pub use reshaping::{Flatten, Reshape};
pub use shuffle::PixelShuffle;
pub use style::{Adain, Constant, NoiseInjection};
pub use virtual_norm::VirtualBatchNorm;
pub use weights::{conv_param_grads, deconv_param_grads, linear_param_grads, ParamGrad};

use crate::growth::Growth;
use crate::value::Value;
use burn::module::Module;
use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::nn::{BatchNorm, Embedding, GroupNorm, InstanceNorm, Linear};

/// What a forward pass needs besides its input: the step (for decaying noise), whether the
/// network trains (dropout, noise, batch statistics) and how far progressive stages have grown.
#[derive(Clone, Copy, Debug)]
pub struct Ctx {
    /// The training step.
    pub step: u64,
    /// Whether this is a training pass.
    pub training: bool,
    /// Which progressive stages run, and the newest one's alpha ([`Growth::FULL`] without stages).
    pub growth: Growth,
}

/// Why a layer has no per-sample input gradient that a penalty could differentiate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoInputGradient {
    /// Batch statistics make each output depend on the whole batch (`batchnorm`).
    BatchStatistics,
    /// A random mask (`dropout`).
    RandomMask,
    /// Bilinear upsampling, whose product is not written.
    Bilinear,
}

impl std::fmt::Display for NoInputGradient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NoInputGradient::BatchStatistics => "batch statistics couple the samples",
            NoInputGradient::RandomMask => "a random mask has no input gradient",
            NoInputGradient::Bilinear => "bilinear upsampling's input gradient is not written",
        })
    }
}

impl std::error::Error for NoInputGradient {}

/// The gradients a layer's input-gradient product gives back.
pub struct InputGrads {
    /// With respect to its input; `None` when the input has no gradient (class labels).
    pub input: Option<Value>,
    /// With respect to the second value a two-input layer reads.
    pub second: Option<Value>,
}

impl InputGrads {
    /// The gradient of a one-input layer.
    pub fn of(input: Value) -> Self {
        InputGrads { input: Some(input), second: None }
    }
}

/// A layer's forward pass and its input-gradient product, side by side.
pub trait Differentiable {
    /// Applies the layer to `x`; `second` is the value a two-input layer reads.
    fn forward(&self, x: Value, second: Option<Value>, ctx: &Ctx) -> Value;

    /// Given the gradient `g` of the layer's output, the gradients with respect to its input `x`
    /// (and `second`), as differentiable tensor operations on the layer's parameters; or why
    /// the layer has none.
    fn vjp(&self, x: &Value, second: Option<&Value>, g: Value) -> Result<InputGrads, NoInputGradient>;
}

/// The layers without weights, kept as plain data.
#[derive(Clone, Debug)]
pub enum OpKind {
    /// `relu`, `leaky_relu`, `tanh`, `sigmoid`, `gelu`, `silu`.
    Activation(Activation),
    /// `upsample(scale, mode)`.
    Upsample(Upsample),
    /// `avgpool(kernel)` / `downsample(kernel)`.
    AvgPool(AvgPool),
    /// `flatten`.
    Flatten(Flatten),
    /// `reshape(dims)`.
    Reshape(Reshape),
    /// `dropout(p, keep_at_sample)`.
    Dropout(Dropout),
    /// `gaussian_noise(std, decay)`.
    GaussianNoise(GaussianNoise),
    /// `concat(value)`.
    Concat(Concat),
    /// `add(value)`.
    Add(Add),
    /// `pixelnorm(eps)`.
    PixelNorm(PixelNorm),
    /// `minibatch_stddev(group)`.
    MinibatchStddev(MinibatchStddev),
    /// `pixel_shuffle(factor)`.
    PixelShuffle(PixelShuffle),
    /// `maxpool(kernel)`.
    MaxPool(MaxPool),
    /// `global_sum_pool` / `global_avg_pool`.
    GlobalPool(GlobalPool),
}

/// A weightless layer.
#[derive(Module, Debug)]
pub struct Op {
    /// What it does.
    #[module(skip)]
    pub kind: OpKind,
}

/// A lowered layer.
// Layers are built once per run; boxing the large `SelfAttention` would only add an indirection
// to every forward pass (and `Module` is not derived through `Box`).
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Layer {
    /// `linear`.
    Linear(Linear),
    /// `conv`.
    Conv(Conv2d),
    /// `deconv`.
    Deconv(ConvTranspose2d),
    /// `batchnorm`.
    BatchNorm(BatchNorm),
    /// `layernorm`.
    LayerNorm(SampleNorm),
    /// `instancenorm`.
    InstanceNorm(InstanceNorm),
    /// `groupnorm`.
    GroupNorm(GroupNorm),
    /// `embedding`.
    Embedding(Embedding),
    /// `conditional_batchnorm(y)`.
    ConditionalBatchNorm(ConditionalBatchNorm),
    /// `projection(y)`.
    Projection(Projection),
    /// `conditioning_augmentation(dim, kl)`.
    Augment(Augment),
    /// `constant(channels, height, width)`.
    Constant(Constant),
    /// `noise_injection`.
    NoiseInjection(NoiseInjection),
    /// `adain(w)`.
    Adain(Adain),
    /// `self_attention`.
    SelfAttention(SelfAttention),
    /// `minibatch_discrimination`.
    MinibatchDiscrimination(MinibatchDiscrimination),
    /// `virtual_batchnorm`.
    VirtualBatchNorm(VirtualBatchNorm),
    /// A weight layer under `spectral`, `equalized`, `spectral_norm` or `equalized_lr`.
    Reparametrized(Reparametrized),
    /// Weightless layers.
    Op(Op),
}

impl Layer {
    /// The layer's forward pass and input-gradient product: one arm per kind of layer.
    pub fn differentiable(&self) -> &dyn Differentiable {
        match self {
            Layer::Linear(m) => m,
            Layer::Conv(m) => m,
            Layer::Deconv(m) => m,
            Layer::BatchNorm(m) => m,
            Layer::LayerNorm(m) => m,
            Layer::InstanceNorm(m) => m,
            Layer::GroupNorm(m) => m,
            Layer::Embedding(m) => m,
            Layer::ConditionalBatchNorm(m) => m,
            Layer::Projection(m) => m,
            Layer::Augment(m) => m,
            Layer::Constant(m) => m,
            Layer::NoiseInjection(m) => m,
            Layer::Adain(m) => m,
            Layer::SelfAttention(m) => m,
            Layer::MinibatchDiscrimination(m) => m,
            Layer::VirtualBatchNorm(m) => m,
            Layer::Reparametrized(m) => m,
            Layer::Op(op) => match &op.kind {
                OpKind::Activation(a) => a,
                OpKind::Upsample(u) => u,
                OpKind::AvgPool(p) => p,
                OpKind::Flatten(f) => f,
                OpKind::Reshape(r) => r,
                OpKind::Dropout(d) => d,
                OpKind::GaussianNoise(n) => n,
                OpKind::Concat(c) => c,
                OpKind::Add(a) => a,
                OpKind::PixelNorm(p) => p,
                OpKind::MinibatchStddev(m) => m,
                OpKind::PixelShuffle(p) => p,
                OpKind::MaxPool(p) => p,
                OpKind::GlobalPool(p) => p,
            },
        }
    }

    /// Applies the layer; `second` is the value a two-input layer reads.
    pub fn forward(&self, x: Value, second: Option<Value>, ctx: &Ctx) -> Value {
        self.differentiable().forward(x, second, ctx)
    }

    /// The name of the second value the layer reads (`concat(h)`, `add(h)`).
    pub fn reads(&self) -> Option<&str> {
        match self {
            Layer::Op(op) => match &op.kind {
                OpKind::Concat(Concat { value }) | OpKind::Add(Add { value }) => Some(value),
                OpKind::Activation(_)
                | OpKind::Upsample(_)
                | OpKind::AvgPool(_)
                | OpKind::Flatten(_)
                | OpKind::Reshape(_)
                | OpKind::Dropout(_)
                | OpKind::GaussianNoise(_)
                | OpKind::PixelNorm(_)
                | OpKind::MinibatchStddev(_) => None,
                OpKind::PixelShuffle(_) | OpKind::MaxPool(_) | OpKind::GlobalPool(_) => None,
            },
            Layer::ConditionalBatchNorm(ConditionalBatchNorm { labels, .. })
            | Layer::Projection(Projection { labels, .. }) => Some(labels),
            Layer::Adain(Adain { style, .. }) => Some(style),
            Layer::Linear(_)
            | Layer::Augment(_)
            | Layer::Constant(_)
            | Layer::NoiseInjection(_)
            | Layer::Conv(_)
            | Layer::Deconv(_)
            | Layer::BatchNorm(_)
            | Layer::LayerNorm(_)
            | Layer::InstanceNorm(_)
            | Layer::GroupNorm(_)
            | Layer::Embedding(_)
            | Layer::SelfAttention(_)
            | Layer::MinibatchDiscrimination(_)
            | Layer::VirtualBatchNorm(_) => None,
            Layer::Reparametrized(_) => None,
        }
    }
}
