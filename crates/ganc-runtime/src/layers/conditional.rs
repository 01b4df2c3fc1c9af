//! Class-conditional layers: `conditional_batchnorm(y)` (batch statistics, then a scale and
//! shift per class; no per-sample input gradient) and the projection discriminator's head
//! `projection(y)` (Miyato & Koyama 2018: `linear(h) + <embed(y), h>`, per sample).

use super::norms::normalize_batch;
use super::{Ctx, Differentiable, InputGrads, NoInputGradient};
use crate::value::Value;
use burn::module::{Module, Param, RunningState};
use burn::nn::{Embedding, EmbeddingConfig, Linear, LinearConfig};
use burn::tensor::{Device, Int, Tensor};

/// The class labels a conditional layer reads (the checker passes only labels there).
fn labels(second: Option<&Value>) -> Tensor<1, Int> {
    match second {
        Some(Value::Labels(y)) => y.clone(),
        _ => panic!("a conditional layer reads class labels: the checker passed something else"),
    }
}

/// Rows `y` of a per-class table `[classes, C]`, shaped to broadcast over `x`'s sample axes.
fn per_class(table: Tensor<2>, y: Tensor<1, Int>, x: &Value) -> Value {
    let rows = table.select(0, y);
    let [b, c] = rows.dims();
    match x {
        Value::Image(_) => Value::Image(rows.reshape([b, c, 1, 1])),
        _ => Value::Flat(rows),
    }
}

/// `conditional_batchnorm(y)`: batch normalization without its own affine map, then the scale
/// and shift of each sample's class (de Vries et al. 2017), scales starting at 1.
#[derive(Module, Debug)]
pub struct ConditionalBatchNorm {
    /// Per-class scale `[classes, C]`, initialised to 1.
    pub gamma: Param<Tensor<2>>,
    /// Per-class shift `[classes, C]`, initialised to 0.
    pub beta: Param<Tensor<2>>,
    /// Running mean, used when not training.
    pub running_mean: RunningState<Tensor<1>>,
    /// Running variance, used when not training.
    pub running_var: RunningState<Tensor<1>>,
    /// Weight of the current batch in the running statistics.
    #[module(skip)]
    pub momentum: f64,
    /// Added to the variance.
    #[module(skip)]
    pub eps: f64,
    /// The value holding the labels.
    #[module(skip)]
    pub labels: String,
}

impl ConditionalBatchNorm {
    /// A layer over `channels` features for `classes` classes, reading the labels `labels`.
    pub fn new(channels: usize, classes: usize, momentum: f64, eps: f64, labels: String, device: &Device) -> Self {
        ConditionalBatchNorm {
            gamma: Param::from_tensor(Tensor::ones([classes, channels], device)),
            beta: Param::from_tensor(Tensor::zeros([classes, channels], device)),
            running_mean: RunningState::new(Tensor::zeros([channels], device)),
            running_var: RunningState::new(Tensor::ones([channels], device)),
            momentum,
            eps,
            labels,
        }
    }

    /// Normalizes `x` `[B, C, ...]` with the batch's statistics (training, updating the running
    /// ones) or the running statistics.
    fn normalize<const D: usize>(&self, x: Tensor<D>, training: bool) -> Tensor<D> {
        let device = x.device();
        let c = x.dims()[1];
        let (ones, zeros) = (Tensor::<1>::ones([c], &device), Tensor::<1>::zeros([c], &device));
        if !training {
            let mean = self.running_mean.value().to_device(&device);
            let var = self.running_var.value().to_device(&device);
            return burn::tensor::module::batch_norm(x, ones, zeros, mean, var, self.eps);
        }
        normalize_batch(x, (ones, zeros), (&self.running_mean, &self.running_var), self.momentum, self.eps)
    }
}

impl Differentiable for ConditionalBatchNorm {
    fn forward(&self, x: Value, second: Option<Value>, ctx: &Ctx) -> Value {
        let y = labels(second.as_ref());
        let scale = per_class(self.gamma.val(), y.clone(), &x);
        let shift = per_class(self.beta.val(), y, &x);
        let normalized = x.map(|t| self.normalize(t, ctx.training), |t| self.normalize(t, ctx.training));
        match (normalized, scale, shift) {
            (Value::Image(t), Value::Image(s), Value::Image(b)) => Value::Image(t * s + b),
            (t, s, b) => Value::Flat(t.flat() * s.flat() + b.flat()),
        }
    }

    /// None per sample: each output depends on the whole batch.
    fn vjp(&self, _: &Value, _: Option<&Value>, _: Value) -> Result<InputGrads, NoInputGradient> {
        Err(NoInputGradient::BatchStatistics)
    }
}

/// `projection(y)`: one logit, `linear(h) + <embed(y), h>` (Miyato & Koyama 2018).
#[derive(Module, Debug)]
pub struct Projection {
    /// The unconditional logit `linear(h)`.
    pub linear: Linear,
    /// The class embedding, one row of `C` per class.
    pub embed: Embedding,
    /// The value holding the labels.
    #[module(skip)]
    pub labels: String,
}

impl Projection {
    /// A head over `features` features for `classes` classes, reading the labels `labels`.
    pub fn new(features: usize, classes: usize, labels: String, device: &Device) -> Self {
        Projection {
            linear: LinearConfig::new(features, 1).init(device),
            embed: EmbeddingConfig::new(classes, features).init(device),
            labels,
        }
    }

    /// `embed(y)`, `[B, C]`.
    fn embedded(&self, second: Option<&Value>) -> Tensor<2> {
        self.embed.weight.val().select(0, labels(second))
    }
}

impl Differentiable for Projection {
    fn forward(&self, x: Value, second: Option<Value>, _: &Ctx) -> Value {
        let h = x.flat();
        let inner = (self.embedded(second.as_ref()) * h.clone()).sum_dim(1);
        Value::Flat(self.linear.forward(h) + inner)
    }

    /// `g * (w + embed(y))` per sample; the labels have no gradient.
    fn vjp(&self, x: &Value, second: Option<&Value>, g: Value) -> Result<InputGrads, NoInputGradient> {
        let [n, _] = self.linear.weight.dims();
        let w = self.linear.weight.val().reshape([1, n]);
        let gx = g.flat() * (self.embedded(second) + w);
        Ok(InputGrads { input: Some(Value::Flat(gx).reshape(&x.per_sample())), second: None })
    }
}
