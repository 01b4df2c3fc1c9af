//! Weight layers whose weight is transformed at run time, in the forward pass and in the
//! input-gradient product alike: spectral normalization (Miyato et al. 2018), the equalized
//! learning rate (Karras et al. 2017) and weight normalization (Salimans & Kingma 2016). The
//! `spectral`, `equalized` and `weight_norm` wrappers make one; the
//! `spectral_norm` and `equalized_lr` regularizers wrap every weight layer of a network
//! ([`wrap_all`]).
//!
//! Every weight is seen as a matrix whose rows are its output units ([`Weighted::matrix`]):
//! `[out, in]` for `linear`, `[out, in·k·k]` for `conv` as in the paper, `[classes, dim]` for
//! `embedding`, and `[in, out·k·k]` for `deconv`: the matrix that maps one input pixel to the
//! output patch it paints, whose largest singular value is the transposed convolution's norm
//! exactly when the stride equals the kernel, and the conv reshape of the adjoint convolution
//! (PyTorch's `param.view(shape[0], -1)` in BigGAN's code reads the same matrix).

use super::weights;
use super::{Ctx, Differentiable, Flatten, InputGrads, Layer, NoInputGradient, Op, OpKind};
use crate::network::{for_each_layer_mut, Net};
use crate::value::Value;
use burn::module::{Module, Param, RunningState};
use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::nn::{Embedding, Linear};
use burn::tensor::{Distribution, Tensor};

/// A weight layer a reparametrization can wrap.
#[derive(Module, Debug)]
pub enum Weighted {
    /// `linear`.
    Linear(Linear),
    /// `conv`.
    Conv(Conv2d),
    /// `deconv`.
    Deconv(ConvTranspose2d),
    /// `embedding`.
    Embedding(Embedding),
}

impl Weighted {
    /// The weight layer of `layer`, or `layer` back when it has no weight to transform.
    // The layer comes back by value, once per layer at lowering: boxing it buys nothing.
    #[allow(clippy::result_large_err)]
    pub fn of(layer: Layer) -> Result<Weighted, Layer> {
        match layer {
            Layer::Linear(m) => Ok(Weighted::Linear(m)),
            Layer::Conv(m) => Ok(Weighted::Conv(m)),
            Layer::Deconv(m) => Ok(Weighted::Deconv(m)),
            Layer::Embedding(m) => Ok(Weighted::Embedding(m)),
            other => Err(other),
        }
    }

    /// The stored weight as a matrix, one row per output unit (see the module's notes).
    pub fn matrix(&self) -> Tensor<2> {
        fn rows(w: Tensor<4>) -> Tensor<2> {
            let [a, b, c, d] = w.dims();
            w.reshape([a, b * c * d])
        }
        match self {
            Weighted::Linear(m) => m.weight.val().transpose(),
            Weighted::Conv(m) => rows(m.weight.val()),
            Weighted::Deconv(m) => rows(m.weight.val()),
            Weighted::Embedding(m) => m.weight.val(),
        }
    }

    /// The inputs each output sums, for He's constant: `in` for `linear`, `in·k·k` for `conv`,
    /// `in·k·k / stride²` for `deconv` (each output pixel is painted by that many taps), 1 for
    /// `embedding` (a lookup).
    fn fan_in(&self) -> f64 {
        match self {
            Weighted::Linear(m) => m.weight.dims()[0] as f64,
            Weighted::Conv(m) => {
                let [_, i, kh, kw] = m.weight.dims();
                (i * kh * kw) as f64
            }
            Weighted::Deconv(m) => {
                let [i, _, kh, kw] = m.weight.dims();
                ((i * kh * kw) as f64 / (m.stride[0] * m.stride[1]) as f64).max(1.0)
            }
            Weighted::Embedding(_) => 1.0,
        }
    }

    /// Re-initialises for the equalized learning rate: weights N(0, 1), biases 0.
    fn standard_init(self) -> Weighted {
        fn normal<const D: usize>(p: Param<Tensor<D>>) -> Param<Tensor<D>> {
            let w = p.val();
            Param::from_tensor(Tensor::random(w.shape(), Distribution::Normal(0.0, 1.0), &w.device()))
        }
        fn zero(b: Option<Param<Tensor<1>>>) -> Option<Param<Tensor<1>>> {
            b.map(|b| Param::from_tensor(b.val().zeros_like()))
        }
        match self {
            Weighted::Linear(m) => Weighted::Linear(Linear { weight: normal(m.weight), bias: zero(m.bias) }),
            Weighted::Conv(m) => Weighted::Conv(Conv2d { weight: normal(m.weight), bias: zero(m.bias), ..m }),
            Weighted::Deconv(m) => {
                Weighted::Deconv(ConvTranspose2d { weight: normal(m.weight), bias: zero(m.bias), ..m })
            }
            Weighted::Embedding(m) => Weighted::Embedding(Embedding { weight: normal(m.weight) }),
        }
    }
}

/// The power-iteration state of spectral normalization: estimates of the first left (`u`) and
/// right (`v`) singular vectors of the weight matrix, kept between steps and in checkpoints,
/// and updated only by training passes. Named `running_*` like batchnorm's statistics, so that
/// weight clipping leaves them alone and the EMA generator copies them.
#[derive(Module, Debug)]
pub struct Spectral {
    /// `u`, `[rows, 1]`.
    pub running_u: RunningState<Tensor<2>>,
    /// `v`, `[cols, 1]`.
    pub running_v: RunningState<Tensor<2>>,
    /// Power iterations per training pass.
    #[module(skip)]
    pub iterations: usize,
}

/// `x / ‖x‖`.
fn unit(x: Tensor<2>) -> Tensor<2> {
    let norm = x.clone().powi_scalar(2).sum().sqrt().add_scalar(1e-12).reshape([1, 1]);
    x / norm
}

impl Spectral {
    /// A fresh state for the matrix `m`: `u` drawn at random, then one iteration (so that a
    /// network never trained still divides by an estimate of sigma).
    pub fn new(m: Tensor<2>, iterations: usize) -> Spectral {
        let m = m.detach();
        let u = unit(Tensor::random([m.dims()[0], 1], Distribution::Normal(0.0, 1.0), &m.device()));
        let (u, v) = Spectral::power(m, u, 1);
        Spectral { running_u: RunningState::new(u), running_v: RunningState::new(v), iterations: iterations.max(1) }
    }

    /// `n` power iterations on `m` from `u`.
    fn power(m: Tensor<2>, mut u: Tensor<2>, n: usize) -> (Tensor<2>, Tensor<2>) {
        let mut v = unit(m.clone().transpose().matmul(u.clone()));
        for i in 0..n {
            if i > 0 {
                v = unit(m.clone().transpose().matmul(u));
            }
            u = unit(m.clone().matmul(v.clone()));
        }
        (u, v)
    }

    /// The estimate `uᵀ m v` of the largest singular value of `m`, with `u` and `v` constants;
    /// a training pass first runs the power iterations and keeps the new `u` and `v`.
    pub fn sigma(&self, m: Tensor<2>, training: bool) -> Tensor<2> {
        let (u, v) = if training {
            let (u, v) = Spectral::power(m.clone().detach(), self.running_u.value_sync(), self.iterations);
            self.running_u.update(u.clone());
            self.running_v.update(v.clone());
            (u, v)
        } else {
            (self.running_u.value_sync(), self.running_v.value_sync())
        };
        u.transpose().matmul(m.matmul(v))
    }
}

/// How a weight layer's weight is transformed: which of the wrappers apply.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Wrappers {
    /// Spectral normalization with this many power iterations per training pass.
    pub spectral: Option<usize>,
    /// The equalized learning rate.
    pub equalized: bool,
    /// Weight normalization.
    pub weight_norm: bool,
}

/// A weight layer with its weight transformed at run time: multiplied by He's constant
/// (`equalized`), each row rescaled to its learned length (`weight_norm`), then divided by its
/// largest singular value (`spectral`).
#[derive(Module, Debug)]
pub struct Reparametrized {
    /// The layer whose stored weight is transformed.
    pub layer: Weighted,
    /// Spectral normalization's state, when normalized.
    pub spectral: Option<Spectral>,
    /// Weight normalization's lengths `g`, one per output unit (row), when normalized.
    pub lengths: Option<Param<Tensor<1>>>,
    /// He's constant `sqrt(2 / fan_in)` of the equalized learning rate, or 1.
    #[module(skip)]
    pub gain: f64,
}

impl Reparametrized {
    /// Wraps `layer` as `how` says: spectral normalization with its power iterations per
    /// training pass; the equalized learning rate (weights re-initialised N(0, 1), biases 0, and
    /// He's constant applied at run time); weight normalization (lengths starting at the rows'
    /// norms, so the layer starts unchanged).
    pub fn new(layer: Weighted, how: Wrappers) -> Reparametrized {
        let (layer, gain) = if how.equalized {
            let gain = (2.0 / layer.fan_in()).sqrt();
            (layer.standard_init(), gain)
        } else {
            (layer, 1.0)
        };
        let lengths = how.weight_norm.then(|| Param::from_tensor(row_norms(layer.matrix().mul_scalar(gain)).detach()));
        let spectral = how.spectral.map(|n| Spectral::new(layer.matrix().mul_scalar(gain), n));
        Reparametrized { layer, spectral, lengths, gain }
    }

    /// The weight the layer computes with, as a matrix (see [`Weighted::matrix`]).
    pub fn matrix(&self, training: bool) -> Tensor<2> {
        let mut m = self.layer.matrix();
        if self.gain != 1.0 {
            m = m.mul_scalar(self.gain);
        }
        if let Some(g) = &self.lengths {
            let scale = g.val() / row_norms(m.clone()).clamp_min(1e-12);
            m = m * scale.unsqueeze_dim(1);
        }
        if let Some(s) = &self.spectral {
            let sigma = s.sigma(m.clone(), training);
            m = m / sigma;
        }
        m
    }
}

/// The Euclidean norm of each row of `m`.
fn row_norms(m: Tensor<2>) -> Tensor<1> {
    m.powi_scalar(2).sum_dim(1).sqrt().squeeze_dim(1)
}

/// A matrix back in the shape of a 4D weight.
fn as_kernel(m: Tensor<2>, like: &Param<Tensor<4>>) -> Tensor<4> {
    m.reshape(like.dims())
}

impl Differentiable for Reparametrized {
    fn forward(&self, x: Value, _: Option<Value>, ctx: &Ctx) -> Value {
        let m = self.matrix(ctx.training);
        match &self.layer {
            Weighted::Linear(l) => weights::linear(x, m.transpose(), l.bias.as_ref().map(|b| b.val())),
            Weighted::Conv(c) => weights::conv(c, x, as_kernel(m, &c.weight)),
            Weighted::Deconv(c) => weights::deconv(c, x, as_kernel(m, &c.weight)),
            Weighted::Embedding(_) => weights::embed(x, m),
        }
    }

    /// The weight layer's product, with the weight of the last pass (sigma from the kept `u`
    /// and `v`, which that pass set), so a penalty differentiates through the transform.
    fn vjp(&self, x: &Value, _: Option<&Value>, g: Value) -> Result<InputGrads, NoInputGradient> {
        let m = self.matrix(false);
        Ok(match &self.layer {
            Weighted::Linear(_) => weights::linear_vjp(x, m.transpose(), g),
            Weighted::Conv(c) => weights::conv_vjp(c, x, as_kernel(m, &c.weight), g),
            Weighted::Deconv(c) => weights::deconv_vjp(c, as_kernel(m, &c.weight), g),
            Weighted::Embedding(_) => weights::embed_vjp(x, g),
        })
    }
}

/// A regularizer that wraps every weight layer of a network.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum WrapAll {
    /// `spectral_norm(power_iterations)`.
    Spectral(usize),
    /// `equalized_lr`.
    Equalized,
}

/// `net` with every weight layer not wrapped yet wrapped as `how` says.
pub fn wrap_all(mut net: Net, how: WrapAll) -> Net {
    net.coarser = std::mem::take(&mut net.coarser).into_iter().map(|scale| wrap_all(scale, how)).collect();
    for_each_layer_mut(&mut net.body, &mut |layer| {
        let placeholder = Layer::Op(Op { kind: OpKind::Flatten(Flatten) });
        *layer = match Weighted::of(std::mem::replace(layer, placeholder)) {
            Ok(w) => Layer::Reparametrized(match how {
                WrapAll::Spectral(n) => Reparametrized::new(w, Wrappers { spectral: Some(n), ..Wrappers::default() }),
                WrapAll::Equalized => Reparametrized::new(w, Wrappers { equalized: true, ..Wrappers::default() }),
            }),
            Err(other) => other,
        };
    });
    net
}
