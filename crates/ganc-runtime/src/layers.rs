//! One burn module per lowered registry layer, and their forward passes.

use crate::value::Value;
use burn::module::Module;
use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::nn::{BatchNorm, Embedding, GroupNorm, InstanceNorm, LayerNorm, Linear};
use burn::tensor::activation;
use burn::tensor::module::{avg_pool2d, interpolate};
use burn::tensor::ops::{AvgPoolOptions, InterpolateMode, InterpolateOptions};
use burn::tensor::{Distribution, Tensor};

/// What a forward pass needs besides its input: the step (for decaying noise) and whether the
/// network trains (dropout, noise, batch statistics).
#[derive(Clone, Copy, Debug)]
pub struct Ctx {
    /// The training step.
    pub step: u64,
    /// Whether this is a training pass.
    pub training: bool,
}

/// A noise level that decays to zero.
#[derive(Clone, Debug, PartialEq)]
pub struct Decay {
    /// `linear`, `cosine` or `exponential`.
    pub kind: String,
    /// Steps to reach (about) zero.
    pub steps: u64,
}

impl Decay {
    /// The factor in [0, 1] at `step`.
    pub fn factor(decay: Option<&Decay>, step: u64) -> f64 {
        let Some(d) = decay else { return 1.0 };
        let t = (step as f64 / d.steps.max(1) as f64).min(1.0);
        match d.kind.as_str() {
            "cosine" => 0.5 * (1.0 + (std::f64::consts::PI * t).cos()),
            "exponential" => (-5.0 * t).exp() * (1.0 - t),
            _ => 1.0 - t,
        }
    }
}

/// Layers without weights, kept as plain data.
#[derive(Clone, Debug)]
pub enum OpKind {
    /// `relu`.
    Relu,
    /// `leaky_relu(slope)`.
    LeakyRelu(f64),
    /// `tanh`.
    Tanh,
    /// `sigmoid`.
    Sigmoid,
    /// `gelu`.
    Gelu,
    /// `silu`.
    Silu,
    /// `upsample(scale, mode)`.
    Upsample {
        /// Factor per side.
        scale: usize,
        /// Bilinear instead of nearest.
        bilinear: bool,
    },
    /// `avgpool(kernel)` / `downsample(kernel)`.
    AvgPool(usize),
    /// `flatten`.
    Flatten,
    /// `reshape(dims)`.
    Reshape(Vec<usize>),
    /// `dropout(p, keep_at_sample)`.
    Dropout {
        /// Drop probability.
        p: f64,
        /// Also active when sampling.
        keep_at_sample: bool,
    },
    /// `gaussian_noise(std, decay)`.
    GaussianNoise {
        /// Initial standard deviation.
        std: f64,
        /// Decay schedule.
        decay: Option<Decay>,
    },
    /// `concat(value)`.
    Concat(String),
    /// `add(value)`.
    Add(String),
}

/// A weightless layer.
#[derive(Module, Debug)]
pub struct Op {
    /// What it does.
    #[module(skip)]
    pub kind: OpKind,
}

/// Layer norm over every feature of a sample (burn's normalizes the last axis only).
#[derive(Module, Debug)]
pub struct SampleNorm {
    /// Normalizes the flattened sample.
    pub norm: LayerNorm,
    /// Its epsilon (burn keeps LayerNorm's private; the input gradient needs it).
    #[module(skip)]
    pub eps: f64,
}

/// A lowered layer.
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
    /// Weightless layers.
    Op(Op),
}

impl Layer {
    /// Applies the layer; `second` is the value a two-input layer reads.
    pub fn forward(&self, x: Value, second: Option<Value>, ctx: &Ctx) -> Value {
        match self {
            Layer::Linear(m) => Value::Flat(m.forward(x.flat())),
            Layer::Conv(m) => Value::Image(m.forward(x.image())),
            Layer::Deconv(m) => Value::Image(m.forward(x.image())),
            Layer::BatchNorm(m) => x.map(|t| m.forward(t), |t| m.forward(t)),
            Layer::LayerNorm(m) => {
                let dims = x.per_sample();
                Value::Flat(m.norm.forward(x.flat())).reshape(&dims)
            }
            Layer::InstanceNorm(m) => Value::Image(m.forward(x.image())),
            Layer::GroupNorm(m) => x.map(|t| m.forward(t), |t| m.forward(t)),
            Layer::Embedding(m) => match x {
                Value::Labels(y) => {
                    let b = y.dims()[0];
                    let e = m.forward(y.unsqueeze_dim::<2>(1));
                    let d = e.dims()[2];
                    Value::Flat(e.reshape([b, d]))
                }
                other => other,
            },
            Layer::Op(op) => op.forward(x, second, ctx),
        }
    }
}

/// A batch of vectors repeated over the height and width of `like`.
fn tile(v: Value, like: &Tensor<4>) -> Tensor<4> {
    let [b, _, h, w] = like.dims();
    let v = v.flat();
    let k = v.dims()[1];
    v.reshape([b, k, 1, 1]).expand([b, k, h, w])
}

impl Op {
    fn forward(&self, x: Value, second: Option<Value>, ctx: &Ctx) -> Value {
        match &self.kind {
            OpKind::Relu => x.map(activation::relu, activation::relu),
            OpKind::LeakyRelu(s) => x.map(|t| activation::leaky_relu(t, *s), |t| activation::leaky_relu(t, *s)),
            OpKind::Tanh => x.map(activation::tanh, activation::tanh),
            OpKind::Sigmoid => x.map(activation::sigmoid, activation::sigmoid),
            OpKind::Gelu => x.map(activation::gelu, activation::gelu),
            OpKind::Silu => x.map(activation::silu, activation::silu),
            OpKind::Upsample { scale, bilinear } => {
                let mode = if *bilinear { InterpolateMode::Bilinear } else { InterpolateMode::Nearest };
                let s = *scale as f32;
                let opts = InterpolateOptions::new(mode).with_scale_factor([s, s]).with_align_corners(false);
                Value::Image(interpolate(x.image(), opts))
            }
            OpKind::AvgPool(k) => {
                Value::Image(avg_pool2d(x.image(), AvgPoolOptions::new([*k, *k]).with_stride([*k, *k])))
            }
            OpKind::Flatten => Value::Flat(x.flat()),
            OpKind::Reshape(dims) => x.reshape(dims),
            OpKind::Dropout { p, keep_at_sample } => {
                if !(ctx.training || *keep_at_sample) || *p == 0.0 {
                    return x;
                }
                let keep = 1.0 - *p;
                x.map(
                    |t| t.clone().random_like(Distribution::Bernoulli(keep)) * t / keep,
                    |t| t.clone().random_like(Distribution::Bernoulli(keep)) * t / keep,
                )
            }
            OpKind::GaussianNoise { std, decay } => {
                let std = std * Decay::factor(decay.as_ref(), ctx.step);
                if !ctx.training || std == 0.0 {
                    return x;
                }
                x.map(
                    |t| t.clone().random_like(Distribution::Normal(0.0, std)) + t,
                    |t| t.clone().random_like(Distribution::Normal(0.0, std)) + t,
                )
            }
            OpKind::Concat(_) => match (x, second.expect("concat reads a second value")) {
                (Value::Image(a), Value::Image(b)) => Value::Image(Tensor::cat(vec![a, b], 1)),
                (Value::Image(a), v) => {
                    let tiled = tile(v, &a);
                    Value::Image(Tensor::cat(vec![a, tiled], 1))
                }
                (v, Value::Image(a)) => Value::Image(Tensor::cat(vec![tile(v, &a), a], 1)),
                (a, b) => Value::Flat(Tensor::cat(vec![a.flat(), b.flat()], 1)),
            },
            OpKind::Add(_) => match (x, second.expect("add reads a second value")) {
                (Value::Image(a), Value::Image(b)) => Value::Image(a + b),
                (a, b) => Value::Flat(a.flat() + b.flat()),
            },
        }
    }
}
