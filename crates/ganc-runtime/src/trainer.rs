//! The training step, a function of (networks, optimizers, batch index): one or more D updates
//! on separate real and fake batches, then G's update, then the EMA.

use crate::auxiliary;
use crate::equilibrium::{reconstruction_error, Equilibrium};
use crate::fused_adam::FusedAdam;
use crate::growth::Growth;
use crate::history;
use crate::inputs::{self, Stream};
use crate::joint;
use crate::layers::{Ctx, Decay};
use crate::losses::Loss;
use crate::network::{Net, AUGMENTATION_KL};
use crate::orthogonal;
use crate::paired;
use crate::param_grad::{self, Side};
use crate::params::{grad_norm, Clip, Collect, EmaUpdate, Initialize};
use crate::penalty;
use crate::plan::{Latent, Optimizer, Plan};
use crate::privacy::{self, ClippedSum, Privacy};
use crate::replay::Buffer;
use crate::semi_supervised;
use crate::stacked;
use crate::styles::STYLE_AVERAGE_DECAY;
use crate::unroll::{self, Rule};
use crate::value::Value;
use burn::module::Module;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{GradientsParams, ModuleOptimizer, RmsPropConfig, SgdConfig};
use burn::tensor::{Device, Distribution, Tensor, TensorData};
use ganc_data::Data;
use rand::rngs::StdRng;
use rand::RngExt;
use std::collections::HashMap;

/// What one step measured.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct StepMetrics {
    /// The step just finished (1-based).
    pub step: u64,
    /// D's loss (last D update).
    pub d_loss: f64,
    /// G's loss.
    pub g_loss: f64,
    /// Mean D output on real data (a probability for sigmoid losses).
    pub d_real: f64,
    /// Mean D output on fakes.
    pub d_fake: f64,
    /// Gradient norm of G (measured when the step is asked to: on logged steps, and on every
    /// step under `watch { grad_norm_above }`; else NaN).
    pub grad_norm_g: f64,
    /// Gradient norm of D (measured when the step is asked to: on logged steps, and on every
    /// step under `watch { grad_norm_above }`; else NaN).
    pub grad_norm_d: f64,
    /// The gradient penalties added to D's loss in this step (last D update; 0 when none).
    pub penalty: f64,
    /// Progressive growing: the step's image resolution and the newest stage's alpha.
    pub growth: Option<(usize, f64)>,
    /// BEGAN: `k_t` after the step, and the step's convergence measure `M_global`.
    pub equilibrium: Option<(f64, f64)>,
    /// AC-GAN: the share of D's last real batch that its classifier labels right.
    pub d_accuracy: Option<f64>,
    /// DP-SGD: the ε spent after this step (set by the run, which holds the accountant).
    pub epsilon: Option<f64>,
}

/// The labels an auxiliary-classifier loss reads, which `plan` makes sure exist.
fn labelled(labels: &Option<Value>) -> &Value {
    labels.as_ref().expect("`plan` refuses an auxiliary classifier without labels on both sides")
}

/// What a sampler asks for besides the stream of latents.
#[derive(Clone, Debug, Default)]
pub struct Draw {
    /// The class label of each sample, in place of G's drawn labels (`ganc sample --class`).
    pub classes: Option<Vec<i64>>,
    /// Truncation in w space toward the average style, `w_avg + psi (w - w_avg)`, for a
    /// generator with `adain` layers (`ganc sample --truncation`).
    pub psi: Option<f64>,
    /// How far a progressive generator has grown (every stage by default).
    pub growth: Growth,
    /// The inputs of a generator of paired data, one per sample (`crate::paired::held_out`).
    pub pairs: Option<Value>,
}

/// Builds an optimizer.
pub fn optimizer(spec: &Optimizer) -> ModuleOptimizer {
    let decay = |wd: f64| (wd > 0.0).then(|| WeightDecayConfig::new(wd as f32));
    match spec {
        Optimizer::Adam { betas, eps, weight_decay, .. } => {
            FusedAdam::init((betas.0 as f32, betas.1 as f32), *eps as f32, *weight_decay as f32)
        }
        Optimizer::Sgd { momentum, weight_decay, .. } => SgdConfig::new()
            .with_momentum(
                (*momentum > 0.0).then(|| MomentumConfig::new().with_momentum(*momentum).with_dampening(0.0)),
            )
            .with_weight_decay(decay(*weight_decay))
            .init(),
        Optimizer::RmsProp { alpha, eps, weight_decay, .. } => RmsPropConfig::new()
            .with_alpha(*alpha as f32)
            .with_momentum(0.0)
            .with_epsilon(*eps as f32)
            .with_weight_decay(decay(*weight_decay))
            .init(),
    }
}

/// A copy of `net` whose weights take no gradient, sharing its running statistics. Parameters
/// not yet initialized are initialized first: copies share a pending initialization, so making
/// the copy `no_grad` would otherwise leave the original's weights untracked too.
fn untracked_copy(net: &Net) -> Net {
    net.visit(&mut Initialize);
    net.clone().no_grad()
}

/// One optimizer step of `net` on `loss`; with `measure`, also the norm of its gradients.
fn update(net: &mut Net, opt: &mut ModuleOptimizer, lr: f64, loss: Tensor<1>, measure: bool) -> Option<f64> {
    let grads = GradientsParams::from_module(&mut loss.backward(), net);
    apply(net, opt, lr, grads, measure)
}

/// One optimizer step of `net` on its gradients `grads`; with `measure`, also their norm.
fn apply(net: &mut Net, opt: &mut ModuleOptimizer, lr: f64, grads: GradientsParams, measure: bool) -> Option<f64> {
    let norm = measure.then(|| grad_norm(net, &grads));
    *net = opt.step(lr, std::mem::take(net), grads);
    norm
}

/// What one D update's loss reads: real and fake samples, their labels and their targets.
struct DBatch {
    real: Value,
    fake: Value,
    real_labels: Option<Value>,
    fake_labels: Option<Value>,
    real_t: Tensor<2>,
    fake_t: Tensor<2>,
}

impl DBatch {
    /// The batch of sample `i` alone (the `i`-th real and the `i`-th fake), for DP-SGD's
    /// per-sample gradients.
    fn row(&self, i: usize) -> DBatch {
        let row = |v: &Value| v.row(i);
        DBatch {
            real: row(&self.real),
            fake: row(&self.fake),
            real_labels: self.real_labels.as_ref().map(row),
            fake_labels: self.fake_labels.as_ref().map(row),
            real_t: self.real_t.clone().narrow(0, i, 1),
            fake_t: self.fake_t.clone().narrow(0, i, 1),
        }
    }
}

/// D's loss on one batch, and what the step reports of it (detached).
struct DLoss {
    loss: Tensor<1>,
    d_real: Tensor<2>,
    d_fake: Tensor<2>,
    penalty: Tensor<1>,
    accuracy: Option<f64>,
}

/// Networks, optimizers and the data they train on.
pub struct Trainer {
    /// The plan.
    pub plan: Plan,
    /// The generator.
    pub g: Net,
    /// The discriminator.
    pub d: Net,
    /// The EMA of G's weights, when configured.
    pub ema: Option<Net>,
    /// The averages of G's and D's weights over their updates, under `historical_averaging`.
    pub averages: (Option<Net>, Option<Net>),
    /// Old fakes, under `replay`.
    pub replay: Option<Buffer>,
    /// BEGAN's control of `k_t`.
    pub equilibrium: Option<Equilibrium>,
    /// The labelled subset of a semi-supervised GAN (`labels: N`; every image's label without).
    pub labelled: Option<Data>,
    /// BiGAN's encoder and its optimizer, trained with G.
    pub encoder: Option<(Net, ModuleOptimizer)>,
    /// G's optimizer.
    pub opt_g: ModuleOptimizer,
    /// D's optimizer.
    pub opt_d: ModuleOptimizer,
    /// The autodiff device training runs on.
    pub device: Device,
    /// Steps done.
    pub step: u64,
}

fn mean(t: Tensor<1>) -> f64 {
    t.into_scalar::<f32>() as f64
}

impl Trainer {
    /// A trainer for fresh networks (already lowered on `device`, which must be autodiff).
    pub fn new(plan: Plan, g: Net, d: Net, device: Device) -> Self {
        let ema = plan.ema.map(|_| g.valid());
        let averages = (plan.historical.g.map(|_| g.valid()), plan.historical.d.map(|_| d.valid()));
        let (opt_g, opt_d) = (optimizer(&plan.opt_g), optimizer(&plan.opt_d));
        let size = plan.data_shape.iter().product();
        // The fakes' labels are kept when D's loss reads them: a D that takes labels, or AC-GAN's.
        let labelled =
            plan.g_classes().is_some() && (plan.d_takes_labels || matches!(plan.loss, Loss::Auxiliary { .. }));
        let replay = plan.replay.map(|(capacity, _)| Buffer::new(capacity, size, labelled));
        let equilibrium = match plan.loss {
            Loss::Began { gamma, lambda_k } => Some(Equilibrium::new(gamma, lambda_k)),
            _ => None,
        };
        Trainer {
            opt_g,
            opt_d,
            plan,
            g,
            d,
            ema,
            averages,
            replay,
            equilibrium,
            labelled: None,
            encoder: None,
            device,
            step: 0,
        }
    }

    /// The trainer with BiGAN's encoder `e`, trained with G by its own optimizer.
    pub fn with_encoder(mut self, e: Net) -> Self {
        self.encoder = Some((e, optimizer(&self.plan.opt_e)));
        self
    }

    /// G's inputs for `n` samples from `stream` at `index`, and what D reads beside G's samples:
    /// the labels among them, or (BiGAN) the latent the encoder infers.
    /// A paired G's inputs are `pairs`, the batch's own, and D reads them beside its outputs.
    fn g_inputs(
        &self,
        n: usize,
        stream: Stream,
        index: u64,
        device: &Device,
        pairs: Option<&Value>,
    ) -> (Vec<Value>, Option<Value>) {
        let mut rng = inputs::rng(self.plan.seed, stream, index);
        let values: Vec<Value> = self
            .plan
            .g_inputs
            .iter()
            .map(|(_, l)| match (l, pairs) {
                (Latent::Paired(_), Some(pairs)) => pairs.clone(),
                _ => inputs::draw(l, n, &mut rng, None, device),
            })
            .collect();
        let beside = match &self.plan.encoder {
            Some(code) => self.plan.g_inputs.iter().position(|(name, _)| name == code).map(|i| values[i].clone()),
            None => values
                .iter()
                .zip(&self.plan.g_inputs)
                .find(|(v, (_, l))| matches!(v, Value::Labels(_)) || matches!(l, Latent::Paired(_)))
                .map(|(v, _)| v.clone()),
        };
        (values, beside)
    }

    /// The encoder's codes of `x` by `e` (the encoder, or a copy whose weights take no gradient),
    /// with a stochastic encoder's noise drawn for `stream` at `index`.
    fn encode(&self, e: &Net, x: &Value, stream: Stream, index: u64, ctx: &Ctx) -> Value {
        let mut ins = vec![x.clone()];
        if let Some(noise) = &self.plan.encoder_noise {
            let draw = 2 * index + u64::from(matches!(stream, Stream::GLatent));
            let mut rng = inputs::rng(self.plan.seed, Stream::EncoderNoise, draw);
            ins.push(inputs::draw(noise, x.batch(), &mut rng, None, &self.device));
        }
        e.forward(ins, ctx)
    }

    /// AVB's loss for the encoder and the decoder G on the real batch `x`: D's logit on (x, z)
    /// for z = E(x, noise), the estimated `log q(z|x) - log p(z)`, plus `‖G(z) - x‖² / 2σ²`.
    fn avb_loss(&self, d: &Net, x: &Value, sigma: f64, index: u64, ctx: &Ctx) -> Tensor<1> {
        let (e, _) = self.encoder.as_ref().expect("the checker requires an encoder for `avb`");
        let code = self.encode(e, x, Stream::GLatent, index, ctx);
        let kl = self.d_forward_on(d, x.clone(), Some(code.clone()), ctx);
        let back = self.g.forward(vec![code], ctx).flat();
        let error = (back - x.clone().flat().detach()).powi_scalar(2).sum_dim(1).mean();
        kl.mean() + error.div_scalar(2.0 * sigma * sigma)
    }

    /// One update of G (and of the encoder, trained with it) on `loss`; with `measure`, the norm
    /// of G's gradients.
    fn update_generator(&mut self, loss: Tensor<1>, measure: bool) -> Option<f64> {
        let lr = self.plan.opt_g.lr();
        match self.encoder.as_mut() {
            Some((e, opt_e)) => {
                let mut grads = loss.backward();
                let (for_e, for_g) =
                    (GradientsParams::from_module(&mut grads, e), GradientsParams::from_module(&mut grads, &self.g));
                apply(e, opt_e, self.plan.opt_e.lr(), for_e, false);
                apply(&mut self.g, &mut self.opt_g, lr, for_g, measure)
            }
            None => update(&mut self.g, &mut self.opt_g, lr, loss, measure),
        }
    }

    /// The output of `g` (G, or a copy whose weights take no gradient) on `g_in`, drawn from
    /// `stream` at `index`, and its named values. Under
    /// `style_mixing: p`, a share `p` of the batches take the styles of second latents (with the
    /// same labels) from a random `adain` layer on (Karras et al. 2019).
    fn fakes(
        &self,
        g: &Net,
        g_in: Vec<Value>,
        stream: Stream,
        index: u64,
        ctx: &Ctx,
    ) -> (Value, HashMap<String, Value>) {
        let layers = g.adain_layers();
        if let Some(p) = self.plan.style_mixing.filter(|_| layers > 1) {
            let mut rng =
                inputs::rng(self.plan.seed, Stream::Mixing, 2 * index + u64::from(matches!(stream, Stream::GLatent)));
            if rng.random::<f64>() < p {
                let crossover = rng.random_range(1..layers);
                let n = g_in[0].batch();
                let device = self.device.clone();
                let second_in: Vec<Value> = self
                    .plan
                    .g_inputs
                    .iter()
                    .zip(&g_in)
                    .map(|((_, l), v)| match l {
                        Latent::Labels(_) => v.clone(),
                        _ => inputs::draw(l, n, &mut rng, None, &device),
                    })
                    .collect();
                let (_, second) = g.forward_with(second_in, ctx);
                return g.forward_mixed(g_in, ctx, &second, crossover);
            }
        }
        g.forward_with(g_in, ctx)
    }

    fn d_forward(&self, x: Value, labels: Option<Value>, ctx: &Ctx) -> Tensor<2> {
        self.d_forward_on(&self.d, x, labels, ctx)
    }

    /// D's output by `d` (D itself, or a copy whose weights take no gradient): a score per
    /// sample, which for an autoencoder D (BEGAN) is its reconstruction error.
    fn d_forward_on(&self, d: &Net, x: Value, labels: Option<Value>, ctx: &Ctx) -> Tensor<2> {
        let out = d.forward(self.d_inputs(x.clone(), labels), ctx);
        self.score(x, out)
    }

    /// D's score of each sample of `x` from its output `out`.
    fn score(&self, x: Value, out: Value) -> Tensor<2> {
        match self.equilibrium {
            Some(_) => reconstruction_error(x, out),
            None => out.flat(),
        }
    }

    /// [`Self::d_forward_on`], and the values D names (only feature matching reads them).
    fn d_forward_named(
        &self,
        d: &Net,
        x: Value,
        labels: Option<Value>,
        ctx: &Ctx,
    ) -> (Tensor<2>, HashMap<String, Value>) {
        if self.plan.feature_matching.is_none() {
            return (self.d_forward_on(d, x, labels, ctx), HashMap::new());
        }
        let (out, named) = d.forward_with(self.d_inputs(x.clone(), labels), ctx);
        (self.score(x, out), named)
    }

    /// D's inputs: the samples, and their labels when D reads labels.
    fn d_inputs(&self, x: Value, labels: Option<Value>) -> Vec<Value> {
        let mut ins = vec![x];
        if self.plan.d_takes_labels {
            ins.extend(labels);
        }
        ins
    }

    /// D's loss on `b` at D update `index`: the adversarial loss, AC-GAN's or the semi-supervised
    /// classes' cross-entropy, and the gradient penalties (drawing from `rng`); with `measure`, the
    /// classifier's accuracy (a device sync).
    fn d_loss(&self, b: &DBatch, data: &Data, index: u64, ctx: &Ctx, measure: bool, rng: &mut StdRng) -> DLoss {
        let plan = &self.plan;
        let n = b.real.batch();
        let (d_real, d_fake) = if plan.mixed_batches {
            let both = match (b.real.clone(), b.fake.clone()) {
                (Value::Image(a), Value::Image(b)) => Value::Image(Tensor::cat(vec![a, b], 0)),
                (a, b) => Value::Flat(Tensor::cat(vec![a.flat(), b.flat()], 0)),
            };
            let labels = match (b.real_labels.clone(), b.fake_labels.clone()) {
                (Some(Value::Labels(a)), Some(Value::Labels(b))) => Some(Value::Labels(Tensor::cat(vec![a, b], 0))),
                (Some(a), Some(b)) => Some(Value::Flat(Tensor::cat(vec![a.flat(), b.flat()], 0))),
                _ => None,
            };
            let out = self.d_forward(both, labels, ctx);
            (out.clone().narrow(0, 0, n), out.narrow(0, n, n))
        } else {
            (
                self.d_forward(b.real.clone(), b.real_labels.clone(), ctx),
                self.d_forward(b.fake.clone(), b.fake_labels.clone(), ctx),
            )
        };
        let mut accuracy = None;
        // AC-GAN: the score's loss, plus the class cross-entropy of reals and fakes.
        let (d_real, d_fake, classes) = match &plan.loss {
            Loss::Auxiliary { weight, .. } => {
                let ((real_score, real_classes), (fake_score, fake_classes)) =
                    (auxiliary::split(d_real), auxiliary::split(d_fake));
                let (real_y, fake_y) = (labelled(&b.real_labels), labelled(&b.fake_labels));
                accuracy = measure.then(|| auxiliary::accuracy(real_classes.clone().detach(), real_y));
                let ce =
                    auxiliary::cross_entropy(real_classes, real_y) + auxiliary::cross_entropy(fake_classes, fake_y);
                (real_score, fake_score, Some(ce.mul_scalar(*weight)))
            }
            // K+1 classes: the real/fake score of the class logits, and the cross-entropy of a
            // labelled batch (of the labelled subset, else of the data's own labels).
            Loss::SemiSupervised { .. } => {
                let seed = ganc_data::mix_seed(plan.seed, 11, 0);
                let labelled = self.labelled.as_ref().unwrap_or(data).batch(seed, index, plan.batch);
                let y = inputs::labels(labelled.labels.as_deref().unwrap_or_default(), &self.device);
                let x = inputs::samples(labelled.x, plan.batch, &plan.data_shape, &self.device);
                let logits = self.d_forward(x, None, ctx);
                accuracy = measure.then(|| auxiliary::accuracy(logits.clone().detach(), &y));
                let ce = auxiliary::cross_entropy(logits, &y);
                (semi_supervised::score(d_real), semi_supervised::score(d_fake), Some(ce))
            }
            _ => (d_real, d_fake, None),
        };
        let mut loss = plan.loss.discriminator(d_real.clone(), d_fake.clone(), b.real_t.clone(), b.fake_t.clone());
        if let Some(ce) = classes {
            loss = loss + ce;
        }
        // StackGAN++'s joint D: real images with another sample's condition are fakes to its
        // conditional head, at half the weight of the real and fake batches (the paper's D loss
        // averages the wrong pairs with the fakes). None in a batch of one (DP-SGD's rows).
        if let Some(wrong) = b.real_labels.as_ref().filter(|_| plan.joint).and_then(joint::mismatched) {
            let wrong = joint::conditional(self.d_forward(b.real.clone(), Some(wrong), ctx));
            if let Some(term) = plan.loss.fake_side(wrong, b.fake_t.clone()) {
                loss = loss + term.mul_scalar(0.5);
            }
        }
        let batch = penalty::Batch {
            real: &b.real,
            fake: &b.fake,
            real_labels: b.real_labels.as_ref(),
            fake_labels: b.fake_labels.as_ref(),
        };
        let mut penalty = Tensor::zeros([1], &self.device);
        for p in plan.penalties.iter().filter(|p| p.applies(index)) {
            let value = p.value(&self.d, &batch, rng, ctx);
            penalty = penalty + value.clone().detach();
            loss = loss + value;
        }
        DLoss { loss, d_real: d_real.detach(), d_fake: d_fake.detach(), penalty, accuracy }
    }

    /// DP-SGD's gradient of D's loss on `b`: each (real, fake) pair's gradient clipped, their
    /// sum noised and averaged, plus the unclipped gradient of `weights_only` (terms of D's
    /// weights that read no data). Fills `m` with the batch's mean loss, scores and penalty.
    #[allow(clippy::too_many_arguments)]
    fn private_gradients(
        &self,
        b: &DBatch,
        privacy: &Privacy,
        weights_only: Option<Tensor<1>>,
        data: &Data,
        index: u64,
        ctx: &Ctx,
        rng: &mut StdRng,
        m: &mut StepMetrics,
    ) -> GradientsParams {
        let n = b.real.batch();
        let mut sum = ClippedSum::new(privacy.clip);
        let zero = || Tensor::<1>::zeros([1], &self.device);
        let (mut loss, mut d_real, mut d_fake, mut penalty) = (zero(), zero(), zero(), zero());
        for i in 0..n {
            let l = self.d_loss(&b.row(i), data, index, ctx, false, rng);
            loss = loss + l.loss.clone().detach();
            d_real = d_real + self.plan.loss.report(l.d_real);
            d_fake = d_fake + self.plan.loss.report(l.d_fake);
            penalty = penalty + l.penalty;
            sum.add(&self.d, &GradientsParams::from_module(&mut l.loss.backward(), &self.d));
        }
        let mut grads = sum.finish(&self.d, privacy.sigma());
        let per_sample = |t: Tensor<1>| mean(t) / n as f64;
        (m.d_loss, m.d_real, m.d_fake, m.penalty) =
            (per_sample(loss), per_sample(d_real), per_sample(d_fake), per_sample(penalty));
        if let Some(w) = weights_only {
            let value = mean(w.clone().detach());
            (m.d_loss, m.penalty) = (m.d_loss + value, m.penalty + value);
            privacy::accumulate(&self.d, &GradientsParams::from_module(&mut w.backward(), &self.d), &mut grads, 1.0);
        }
        grads
    }

    /// Historical averaging's term for `net` at its update number `update`: the average moves to
    /// include the current weights, then `weight · ‖θ - θ̄‖²`.
    fn historical(average: &mut Option<Net>, net: &Net, weight: Option<f64>, update: u64) -> Option<Tensor<1>> {
        let (weight, avg) = (weight?, average.take()?);
        let avg = average.insert(history::advance(avg, net, update));
        Some(history::distance(net, avg).mul_scalar(weight))
    }

    /// Targets for D's loss: one-sided smoothing, noisy ranges and flips applied; for BEGAN, the
    /// fakes' weight `k_t`.
    fn targets(&self, n: usize, index: u64) -> (Tensor<2>, Tensor<2>) {
        let (mut real, mut fake) = self.plan.loss.targets();
        if let Some(eq) = &self.equilibrium {
            fake = eq.k;
        }
        if let Some(s) = self.plan.labels.smoothing {
            real = s;
        }
        let mut rng = inputs::rng(self.plan.seed, Stream::Labels, index);
        let mut r: Vec<f32> = vec![real as f32; n];
        let mut f: Vec<f32> = vec![fake as f32; n];
        if let Some(((rl, rh), (fl, fh))) = self.plan.labels.noisy {
            r.iter_mut().for_each(|v| *v = rng.random_range(rl as f32..=rh as f32));
            f.iter_mut().for_each(|v| *v = rng.random_range(fl as f32..=fh as f32));
        }
        if let Some(p) = self.plan.labels.flip {
            for i in 0..n {
                if rng.random::<f64>() < p {
                    std::mem::swap(&mut r[i], &mut f[i]);
                }
            }
        }
        let to = |v: Vec<f32>| Tensor::<2>::from_data(TensorData::new(v, [n, 1]), &self.device);
        (to(r), to(f))
    }

    fn with_instance_noise(&self, x: Value) -> Value {
        let Some((std, decay)) = &self.plan.instance_noise else { return x };
        let std = std * Decay::factor(decay.as_ref(), self.step);
        if std == 0.0 {
            return x;
        }
        x.map(
            |t| t.clone().random_like(Distribution::Normal(0.0, std)) + t,
            |t| t.clone().random_like(Distribution::Normal(0.0, std)) + t,
        )
    }

    /// Runs one step on `data`; `measure` adds gradient norms (they cost a device sync).
    pub fn step(&mut self, data: &Data, measure: bool) -> StepMetrics {
        let plan = self.plan.clone();
        let n = plan.batch;
        let device = self.device.clone();
        // Everything random on the device (dropout, noise) is seeded by the step.
        device.seed(ganc_data::mix_seed(plan.seed, 3, self.step));
        let growth = self.growth();
        let ctx = Ctx { step: self.step, training: true, growth };
        let mut m = StepMetrics {
            step: self.step + 1,
            grad_norm_g: f64::NAN,
            grad_norm_d: f64::NAN,
            growth: plan.progressive.as_ref().map(|s| (s.resolution(growth), growth.alpha)),
            ..Default::default()
        };
        // D's step only reads G's output: a copy of G whose weights are not tracked records no
        // backward pass for it (the copy shares G's running statistics, which still move).
        // Under `fakes: shared`, D's last update runs G itself and keeps the batch for G's step.
        let frozen_g = untracked_copy(&self.g);
        let frozen_e = self.encoder.as_ref().map(|(e, _)| untracked_copy(e));
        let (mut shared, mut last_real) = (None, None);
        for i in 0..plan.d_steps {
            let index = self.step * plan.d_steps as u64 + i as u64;
            let ganc_data::Batch { x, labels, pairs, .. } = data.batch(plan.seed, index, n);
            let pairs = pairs.zip(plan.pair_shape.as_ref()).map(|(p, dims)| inputs::samples(p, n, dims, &device));
            let mut real = inputs::samples(x, n, &plan.data_shape, &device);
            if let Some(schedule) = &plan.progressive {
                real = schedule.real(real, growth);
            }
            // Beside a real sample D reads its label, its pair's input, or (BiGAN) its code by the
            // encoder.
            let real_labels = match (&frozen_e, &pairs) {
                (Some(e), _) => Some(self.encode(e, &real, Stream::DLatent, index, &ctx)),
                (None, Some(pairs)) => Some(pairs.clone()),
                (None, None) => labels.as_deref().map(|l| inputs::labels(l, &device)),
            };
            let (g_in, mut g_labels) = self.g_inputs(n, Stream::DLatent, index, &device, pairs.as_ref());
            let share = plan.shared_fakes && i + 1 == plan.d_steps;
            // AVB's "fakes" are the real batch again, paired with prior draws of the code.
            let (fake, named) = match plan.loss {
                Loss::Avb { .. } => (real.clone(), HashMap::new()),
                _ => self.fakes(if share { &self.g } else { &frozen_g }, g_in, Stream::DLatent, index, &ctx),
            };
            if share {
                shared = Some((fake.clone(), named, g_labels.clone()));
            }
            let mut fake = fake.map(|t| t.detach(), |t| t.detach());
            if let (Some(buffer), Some((_, p))) = (self.replay.as_mut(), plan.replay) {
                (fake, g_labels) = buffer.mix(fake, g_labels, p, plan.seed, index);
            }
            let (real, fake) = (self.with_instance_noise(real), self.with_instance_noise(fake));
            last_real = Some((real.clone(), real_labels.clone()));
            let (real_t, fake_t) = self.targets(n, index);
            let b = DBatch { real, fake, real_labels, fake_labels: g_labels, real_t, fake_t };
            let mut rng = inputs::rng(plan.seed, Stream::Penalty, index);
            let measure_d = measure && i + 1 == plan.d_steps;
            // Terms of D's weights alone, not of the data (DP-SGD leaves them unclipped).
            let mut weights_only =
                plan.orthogonal.d.and_then(|beta| Some(orthogonal::penalty(&self.d)?.mul_scalar(beta)));
            if let Some(p) = Self::historical(&mut self.averages.1, &self.d, plan.historical.d, index) {
                weights_only = Some(match weights_only {
                    Some(w) => w + p,
                    None => p,
                });
            }
            let grads = match &plan.privacy {
                None => {
                    let l = self.d_loss(&b, data, index, &ctx, measure_d, &mut rng);
                    m.d_accuracy = l.accuracy;
                    let mut loss = l.loss;
                    let mut penalty = l.penalty;
                    if let Some(w) = weights_only {
                        penalty = penalty + w.clone().detach();
                        loss = loss + w;
                    }
                    m.penalty = mean(penalty);
                    m.d_real = mean(plan.loss.report(l.d_real));
                    m.d_fake = mean(plan.loss.report(l.d_fake));
                    m.d_loss = mean(loss.clone().detach());
                    GradientsParams::from_module(&mut loss.backward(), &self.d)
                }
                Some(privacy) => self.private_gradients(&b, privacy, weights_only, data, index, &ctx, &mut rng, &mut m),
            };
            let norm = apply(&mut self.d, &mut self.opt_d, plan.opt_d.lr(), grads, measure_d);
            m.grad_norm_d = norm.unwrap_or(m.grad_norm_d);
            if let Some(c) = plan.weight_clip {
                let d = std::mem::take(&mut self.d);
                self.d = d.map(&mut Clip::new(c as f32));
            }
        }
        // G's loss differentiates D with respect to its input only: a copy of D whose weights are
        // not tracked saves computing their gradients (the copy shares D's running statistics
        // and spectral-norm vectors, which the pass still moves).
        let frozen_d = untracked_copy(&self.d);
        // Unrolled GAN looks ahead from D's optimizer as it stands after D's updates.
        let rule = plan.unroll.map(|_| {
            Rule::of(&plan.opt_d, &self.opt_d, &frozen_d).expect("`plan` refuses unrolling through other optimizers")
        });
        // G's mean score of its fakes, without G's regularizers: BEGAN's L(G(z_G)).
        let mut fake_error = 0.0;
        for i in 0..plan.g_steps {
            let index = self.step * plan.g_steps as u64 + i as u64;
            if let (Loss::Avb { sigma }, Some((real, _))) = (&plan.loss, &last_real) {
                let loss = self.avb_loss(&frozen_d, real, *sigma, index, &ctx);
                m.g_loss = mean(loss.clone().detach());
                let norm = self.update_generator(loss, measure && i + 1 == plan.g_steps);
                m.grad_norm_g = norm.unwrap_or(m.grad_norm_g);
                continue;
            }
            let (fake, named, g_labels) = match shared.take() {
                Some(reused) => reused,
                None => {
                    // A paired G translates the inputs of D's last real batch.
                    let pairs = last_real.as_ref().and_then(|(_, p)| p.as_ref()).filter(|_| plan.g_reads_pairs());
                    let (g_in, g_labels) = self.g_inputs(n, Stream::GLatent, index, &device, pairs);
                    let (fake, named) = self.fakes(&self.g, g_in, Stream::GLatent, index, &ctx);
                    (fake, named, g_labels)
                }
            };
            self.g.track_styles(&named, STYLE_AVERAGE_DECAY);
            // StackGAN++: conditioning augmentation's KL term, and the colour consistency of
            // neighbouring stages.
            let kl = named.get(AUGMENTATION_KL).map(|kl| kl.clone().flat().reshape([1]));
            let colors = match (plan.color_consistency, &fake) {
                (Some((mean, covariance)), Value::Stacked(stages)) => {
                    Some(stacked::color_consistency(stages, mean, covariance))
                }
                _ => None,
            };
            let fake = self.with_instance_noise(fake);
            // D's loss on its last real batch and on G's fakes, still a graph of G, for what
            // differentiates D's parameter gradients (`unroll`, `nagarajan_kolter`).
            let sides = (plan.unroll.is_some() || plan.nagarajan_kolter.is_some())
                .then(|| last_real.clone())
                .flatten()
                .map(|(real, labels)| {
                    let (real_t, fake_t) = self.targets(n, index);
                    (
                        Side { inputs: self.d_inputs(real, labels), targets: real_t },
                        Side { inputs: self.d_inputs(fake.clone(), g_labels.clone()), targets: fake_t },
                    )
                });
            let looked_ahead = match (plan.unroll, &rule, &sides) {
                (Some(u), Some(rule), Some((real, fake))) => Some(
                    unroll::ahead(&frozen_d, rule.clone(), &plan.loss, real, fake, u, &ctx)
                        .unwrap_or_else(|e| panic!("`plan` refuses what has no parameter gradient: {e}")),
                ),
                _ => None,
            };
            let d_for_g = looked_ahead.as_ref().unwrap_or(&frozen_d);
            // pix2pixHD: D's features of G's output against those of the real pair.
            let matched = plan.paired_features.zip(last_real.as_ref()).map(|(weight, (real, pairs))| {
                let (real, fake) =
                    (self.d_inputs(real.clone(), pairs.clone()), self.d_inputs(fake.clone(), g_labels.clone()));
                paired::feature_matching(d_for_g, real, fake, &ctx).mul_scalar(weight)
            });
            let (d_fake, fake_named) = self.d_forward_named(d_for_g, fake, g_labels.clone(), &ctx);
            if self.equilibrium.is_some() {
                // Read back only for BEGAN: it costs a device sync.
                fake_error = mean(d_fake.clone().detach().mean());
            }
            // D on the real batch of its last update, when G's loss reads it.
            let on_real = (plan.loss.is_relativistic() || plan.feature_matching.is_some())
                .then(|| last_real.clone())
                .flatten()
                .map(|(real, labels)| self.d_forward_named(d_for_g, real, labels, &ctx));
            let (d_fake, classes) = match &plan.loss {
                Loss::Auxiliary { weight, .. } => {
                    let (score, logits) = auxiliary::split(d_fake);
                    (score, Some(auxiliary::cross_entropy(logits, labelled(&g_labels)).mul_scalar(*weight)))
                }
                Loss::SemiSupervised { .. } => (semi_supervised::score(d_fake), None),
                _ => (d_fake, None),
            };
            let bigan = self.encoder.as_ref().zip(last_real.as_ref());
            let mut loss = if let Some(((e, _), (real, _))) = bigan {
                // BiGAN: G and E train to make D take (G(z), z) for a real pair and (x, E(x)) for
                // a fake one, D's own loss with the pairs' roles swapped (Donahue et al. 2017).
                let code = self.encode(e, real, Stream::GLatent, index, &ctx);
                let real_pair = self.d_forward_on(d_for_g, real.clone(), Some(code), &ctx);
                let (real_t, fake_t) = plan.loss.targets();
                let full = |v: f64| Tensor::<2>::full([n, 1], v as f32, &device);
                plan.loss.discriminator(d_fake, real_pair, full(real_t), full(fake_t))
            } else if plan.loss.trains_g_adversarially() {
                plan.loss.generator(d_fake, on_real.as_ref().map(|(out, _)| out.clone().detach()))
            } else {
                // Feature matching alone (below): D's score of the fakes does not enter G's loss.
                Tensor::zeros([1], &device)
            };
            if let Some(ce) = classes {
                loss = loss + ce;
            }
            for term in [matched, kl, colors].into_iter().flatten() {
                loss = loss + term;
            }
            if let (Some(fm), Some((_, real_named))) = (&plan.feature_matching, &on_real) {
                let mean = |named: &HashMap<String, Value>| Some(named.get(&fm.name)?.clone().flat().mean_dim(0));
                if let (Some(real), Some(fake)) = (mean(real_named), mean(&fake_named)) {
                    loss = loss + (real.detach() - fake).powi_scalar(2).sum().mul_scalar(fm.weight);
                }
            }
            if let Some(p) = plan.orthogonal.g.and_then(|beta| Some(orthogonal::penalty(&self.g)?.mul_scalar(beta))) {
                loss = loss + p;
            }
            if let Some(p) = Self::historical(&mut self.averages.0, &self.g, plan.historical.g, index) {
                loss = loss + p;
            }
            if let (Some(eta), Some((real, fake))) = (plan.nagarajan_kolter, sides) {
                let (_, grads) = param_grad::loss_and_grads(&frozen_d, &plan.loss, real, fake, &ctx)
                    .unwrap_or_else(|e| panic!("`plan` refuses what has no parameter gradient: {e}"));
                if let Some(norm) = grads.squared_norm() {
                    loss = loss + norm.mul_scalar(eta);
                }
            }
            m.g_loss = mean(loss.clone().detach());
            let norm = self.update_generator(loss, measure && i + 1 == plan.g_steps);
            m.grad_norm_g = norm.unwrap_or(m.grad_norm_g);
        }
        if let Some(eq) = self.equilibrium.as_mut() {
            let m_global = eq.update(m.d_real, fake_error);
            m.equilibrium = Some((eq.k, m_global));
        }
        if let (Some(beta), Some(ema)) = (plan.ema, self.ema.take()) {
            let mut live = Collect::default();
            self.g.visit(&mut live);
            self.ema = Some(ema.map(&mut EmaUpdate::new(live.tensors, beta)));
        }
        self.step += 1;
        m
    }

    /// How far progressive stages have grown at the current step ([`Growth::FULL`] without).
    pub fn growth(&self) -> Growth {
        self.plan.progressive.as_ref().map_or(Growth::FULL, |s| s.at(self.step))
    }

    /// The generator used for sampling: the EMA copy when there is one.
    pub fn sampler(&self, use_ema: bool) -> Net {
        match (&self.ema, use_ema) {
            (Some(ema), true) => ema.clone(),
            _ => self.g.valid(),
        }
    }

    /// Generates from G's inputs drawn from `stream` (no autodiff, no dropout unless kept),
    /// with every progressive stage.
    pub fn generate(net: &Net, plan: &Plan, n: usize, stream: Stream, index: u64, device: &Device) -> Value {
        Self::generate_with(net, plan, n, stream, index, device, &Draw::default())
    }

    /// [`Trainer::generate`] with the classes, the style truncation and the growth of `draw`.
    pub fn generate_with(
        net: &Net,
        plan: &Plan,
        n: usize,
        stream: Stream,
        index: u64,
        device: &Device,
        draw: &Draw,
    ) -> Value {
        let device = device.clone().without_autodiff();
        let mut rng = inputs::rng(plan.seed, stream, index);
        let ins: Vec<Value> = plan
            .g_inputs
            .iter()
            .map(|(_, l)| match (l, &draw.classes, &draw.pairs) {
                // The latents are drawn all the same, so that a class changes nothing else.
                (Latent::Labels(_), Some(classes), _) => {
                    inputs::draw(l, n, &mut rng, None, &device);
                    Value::Labels(Tensor::from_data(TensorData::new(classes.clone(), [n]), &device))
                }
                (Latent::Paired(_), _, Some(pairs)) => pairs.clone(),
                _ => inputs::draw(l, n, &mut rng, plan.truncation, &device),
            })
            .collect();
        let ctx = Ctx { step: u64::MAX, training: false, growth: draw.growth };
        match draw.psi {
            Some(psi) if net.has_styles() => net.forward_truncated(ins, &ctx, psi),
            _ => net.forward(ins, &ctx),
        }
    }
}
