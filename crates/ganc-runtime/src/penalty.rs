//! Gradient penalties on D: WGAN-GP's 1-GP and the 0-GP on interpolates, R1 at real data, R2 at
//! fakes, DRAGAN around perturbed reals, each optionally lazy. The penalty is a function of
//! D's input gradient built by [`crate::input_grad`], so D's loss plus the penalty trains with
//! one ordinary `backward()` and exact parameter gradients.

use crate::input_grad::output_and_input_grad;
use crate::layers::Ctx;
use crate::network::Net;
use crate::value::Value;
use burn::tensor::{Device, Tensor, TensorData};
use rand::rngs::StdRng;
use rand::RngExt;

/// Where the gradient is taken.
#[derive(Clone, Debug, PartialEq)]
pub enum At {
    /// Random points on the lines between real and fake samples (Gulrajani et al. 2017).
    Interpolates,
    /// Real samples (R1).
    Real,
    /// Fake samples (R2).
    Fake,
    /// Real and fake samples, averaged.
    RealAndFake,
    /// Real samples pushed by `c` times the batch's standard deviation times U(0, 1), then
    /// interpolated with the originals (DRAGAN, Kodali et al. 2017).
    Perturbed(f64),
}

/// One penalty term: `weight * mean((||grad_x D(x)|| - center)^2)` at `at`.
#[derive(Clone, Debug, PartialEq)]
pub struct Penalty {
    /// Its weight (lambda; gamma / 2 for R1 and R2).
    pub weight: f64,
    /// The target norm: 1 for WGAN-GP and DRAGAN, 0 for 0-GP, R1 and R2.
    pub center: f64,
    /// Where it is evaluated.
    pub at: At,
    /// Applied on every `every`-th D update, with its weight times `every`.
    pub every: u64,
}

/// Per-sample uniform numbers in `[0, 1)` shaped to broadcast over `like`'s samples.
fn per_sample_uniform(rng: &mut StdRng, like: &Value, device: &Device) -> Value {
    let n = like.batch();
    let u: Vec<f32> = (0..n).map(|_| rng.random::<f32>()).collect();
    let t = Tensor::<2>::from_data(TensorData::new(u, [n, 1]), device);
    match like {
        Value::Image(_) => Value::Image(t.reshape([n, 1, 1, 1])),
        _ => Value::Flat(t),
    }
}

/// `a + t * (b - a)` per sample.
fn lerp(a: Value, b: Value, t: Value) -> Value {
    match (a, b, t) {
        (Value::Image(a), Value::Image(b), Value::Image(t)) => Value::Image(a.clone() + (b - a) * t),
        (a, b, t) => {
            let a = a.flat();
            Value::Flat(a.clone() + (b.flat() - a) * t.flat())
        }
    }
}

fn cat(a: Value, b: Value) -> Value {
    match (a, b) {
        (Value::Image(a), Value::Image(b)) => Value::Image(Tensor::cat(vec![a, b], 0)),
        (Value::Labels(a), Value::Labels(b)) => Value::Labels(Tensor::cat(vec![a, b], 0)),
        (a, b) => Value::Flat(Tensor::cat(vec![a.flat(), b.flat()], 0)),
    }
}

/// What a penalty reads: the batch D just saw, its labels when D takes them, and where to draw
/// random numbers from.
pub struct Batch<'a> {
    /// Real samples.
    pub real: &'a Value,
    /// Fake samples (detached from G).
    pub fake: &'a Value,
    /// Labels of the real samples, for a conditional D.
    pub real_labels: Option<&'a Value>,
    /// Labels the fakes were generated for.
    pub fake_labels: Option<&'a Value>,
}

impl Penalty {
    /// Whether the penalty applies at D update `index`.
    pub fn applies(&self, index: u64) -> bool {
        index.is_multiple_of(self.every.max(1))
    }

    /// The penalty's value, differentiable with respect to D's parameters.
    pub fn value(&self, d: &Net, batch: &Batch<'_>, rng: &mut StdRng, ctx: &Ctx) -> Tensor<1> {
        let device = match batch.real {
            Value::Image(t) => t.device(),
            Value::Flat(t) => t.device(),
            Value::Labels(t) => t.device(),
            Value::Stacked(s) => s[0].device(),
        };
        let (x, labels) = match &self.at {
            At::Real => (batch.real.clone(), batch.real_labels.cloned()),
            At::Fake => (batch.fake.clone(), batch.fake_labels.cloned()),
            At::RealAndFake => (
                cat(batch.real.clone(), batch.fake.clone()),
                batch.real_labels.cloned().zip(batch.fake_labels.cloned()).map(|(a, b)| cat(a, b)),
            ),
            At::Interpolates => {
                let t = per_sample_uniform(rng, batch.real, &device);
                (lerp(batch.real.clone(), batch.fake.clone(), t), batch.real_labels.cloned())
            }
            At::Perturbed(c) => {
                let real = batch.real.clone().flat();
                let [n, k] = real.dims();
                let std = real.clone().var(0).sqrt().mean().into_scalar::<f32>() as f64;
                let noise: Vec<f32> = (0..n * k).map(|_| rng.random::<f32>()).collect();
                let noise = Tensor::<2>::from_data(TensorData::new(noise, [n, k]), &device) * (c * std);
                let pushed = match batch.real.clone() {
                    Value::Image(t) => {
                        let dims = t.dims();
                        Value::Image(t + noise.reshape(dims))
                    }
                    other => Value::Flat(other.flat() + noise),
                };
                let t = per_sample_uniform(rng, batch.real, &device);
                (lerp(batch.real.clone(), pushed, t), batch.real_labels.cloned())
            }
        };
        let mut inputs = vec![x];
        if d.inputs.len() > 1 {
            inputs.extend(labels);
        }
        let (_, grad) = output_and_input_grad(d, inputs, ctx);
        let squared = grad.flat().powi_scalar(2).sum_dim(1);
        let per_sample = if self.center == 0.0 {
            // No square root: its derivative is infinite at a zero gradient.
            squared
        } else {
            ((squared + 1e-12).sqrt() - self.center).powi_scalar(2)
        };
        per_sample.mean() * (self.weight * self.every.max(1) as f64)
    }
}
