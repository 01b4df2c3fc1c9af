//! The training step, a function of (networks, optimizers, batch index): one or more D updates
//! on separate real and fake batches, then G's update, then the EMA.

use crate::auxiliary;
use crate::equilibrium::{reconstruction_error, Equilibrium};
use crate::fused_adam::FusedAdam;
use crate::growth::Growth;
use crate::history;
use crate::inputs::{self, Stream};
use crate::layers::{Ctx, Decay};
use crate::losses::Loss;
use crate::network::Net;
use crate::orthogonal;
use crate::param_grad::{self, Side};
use crate::params::{grad_norm, Clip, Collect, EmaUpdate, Initialize};
use crate::penalty;
use crate::plan::{Latent, Optimizer, Plan};
use crate::replay::Buffer;
use crate::semi_supervised;
use crate::styles::STYLE_AVERAGE_DECAY;
use crate::unroll::{self, Rule};
use crate::value::Value;
use burn::module::Module;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{GradientsParams, ModuleOptimizer, RmsPropConfig, SgdConfig};
use burn::tensor::{Device, Distribution, Tensor, TensorData};
use ganc_data::Data;
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
}

/// The labels an auxiliary-classifier loss reads, which `plan` makes sure exist.
fn labelled(labels: &Option<Value>) -> &Value {
    labels.as_ref().expect("`plan` refuses an auxiliary classifier without labels on both sides")
}

/// What a sampler asks for besides the stream of latents.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Draw {
    /// The class label of each sample, in place of G's drawn labels (`ganc sample --class`).
    pub classes: Option<Vec<i64>>,
    /// Truncation in w space toward the average style, `w_avg + psi (w - w_avg)`, for a
    /// generator with `adain` layers (`ganc sample --truncation`).
    pub psi: Option<f64>,
    /// How far a progressive generator has grown (every stage by default).
    pub growth: Growth,
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
    let mut grads = loss.backward();
    let grads = GradientsParams::from_module(&mut grads, net);
    let norm = measure.then(|| grad_norm(net, &grads));
    *net = opt.step(lr, std::mem::take(net), grads);
    norm
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
        Trainer { opt_g, opt_d, plan, g, d, ema, averages, replay, equilibrium, labelled: None, device, step: 0 }
    }

    /// G's inputs for `n` samples from `stream` at `index`, and the labels among them.
    fn g_inputs(&self, n: usize, stream: Stream, index: u64, device: &Device) -> (Vec<Value>, Option<Value>) {
        let mut rng = inputs::rng(self.plan.seed, stream, index);
        let values: Vec<Value> =
            self.plan.g_inputs.iter().map(|(_, l)| inputs::draw(l, n, &mut rng, None, device)).collect();
        let labels = values.iter().find(|v| matches!(v, Value::Labels(_))).cloned();
        (values, labels)
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
        let (mut shared, mut last_real) = (None, None);
        for i in 0..plan.d_steps {
            let index = self.step * plan.d_steps as u64 + i as u64;
            let batch = data.batch(plan.seed, index, n);
            let mut real = inputs::samples(batch.x, n, &plan.data_shape, &device);
            if let Some(schedule) = &plan.progressive {
                real = schedule.real(real, growth);
            }
            let real_labels = batch.labels.as_deref().map(|l| inputs::labels(l, &device));
            let (g_in, mut g_labels) = self.g_inputs(n, Stream::DLatent, index, &device);
            let share = plan.shared_fakes && i + 1 == plan.d_steps;
            let (fake, named) = self.fakes(if share { &self.g } else { &frozen_g }, g_in, Stream::DLatent, index, &ctx);
            if share {
                shared = Some((fake.clone(), named, g_labels.clone()));
            }
            let mut fake = fake.map(|t| t.detach(), |t| t.detach());
            if let (Some(buffer), Some((_, p))) = (self.replay.as_mut(), plan.replay) {
                (fake, g_labels) = buffer.mix(fake, g_labels, p, plan.seed, index);
            }
            let (real, fake) = (self.with_instance_noise(real), self.with_instance_noise(fake));
            // What the penalties read (tensors are shared, so the copies cost nothing).
            let (real_v, fake_v) = (real.clone(), fake.clone());
            let (real_labels_v, g_labels_v) = (real_labels.clone(), g_labels.clone());
            last_real = Some((real.clone(), real_labels.clone()));
            let (d_real, d_fake) = if plan.mixed_batches {
                let both = match (real, fake) {
                    (Value::Image(a), Value::Image(b)) => Value::Image(Tensor::cat(vec![a, b], 0)),
                    (a, b) => Value::Flat(Tensor::cat(vec![a.flat(), b.flat()], 0)),
                };
                let labels = match (real_labels, g_labels) {
                    (Some(Value::Labels(a)), Some(Value::Labels(b))) => Some(Value::Labels(Tensor::cat(vec![a, b], 0))),
                    _ => None,
                };
                let out = self.d_forward(both, labels, &ctx);
                (out.clone().narrow(0, 0, n), out.narrow(0, n, n))
            } else {
                (self.d_forward(real, real_labels, &ctx), self.d_forward(fake, g_labels, &ctx))
            };
            let (real_t, fake_t) = self.targets(n, index);
            // AC-GAN: the score's loss, plus the class cross-entropy of reals and fakes.
            let (d_real, d_fake, classes) = match &plan.loss {
                Loss::Auxiliary { weight, .. } => {
                    let ((real_score, real_classes), (fake_score, fake_classes)) =
                        (auxiliary::split(d_real), auxiliary::split(d_fake));
                    let (real_y, fake_y) = (labelled(&real_labels_v), labelled(&g_labels_v));
                    // Measured with the gradient norms (a device sync): on logged steps.
                    m.d_accuracy = measure.then(|| auxiliary::accuracy(real_classes.clone().detach(), real_y));
                    let ce =
                        auxiliary::cross_entropy(real_classes, real_y) + auxiliary::cross_entropy(fake_classes, fake_y);
                    (real_score, fake_score, Some(ce.mul_scalar(*weight)))
                }
                // K+1 classes: the real/fake score of the class logits, and the cross-entropy of a
                // labelled batch (of the labelled subset, else of the data's own labels).
                Loss::SemiSupervised { .. } => {
                    let seed = ganc_data::mix_seed(plan.seed, 11, 0);
                    let labelled = self.labelled.as_ref().unwrap_or(data).batch(seed, index, n);
                    let y = inputs::labels(labelled.labels.as_deref().unwrap_or_default(), &device);
                    let x = inputs::samples(labelled.x, n, &plan.data_shape, &device);
                    let logits = self.d_forward(x, None, &ctx);
                    m.d_accuracy = measure.then(|| auxiliary::accuracy(logits.clone().detach(), &y));
                    let ce = auxiliary::cross_entropy(logits, &y);
                    (semi_supervised::score(d_real), semi_supervised::score(d_fake), Some(ce))
                }
                _ => (d_real, d_fake, None),
            };
            let mut loss = plan.loss.discriminator(d_real.clone(), d_fake.clone(), real_t, fake_t);
            if let Some(ce) = classes {
                loss = loss + ce;
            }
            let batch = penalty::Batch {
                real: &real_v,
                fake: &fake_v,
                real_labels: real_labels_v.as_ref(),
                fake_labels: g_labels_v.as_ref(),
            };
            let mut rng = inputs::rng(plan.seed, Stream::Penalty, index);
            m.penalty = 0.0;
            for p in plan.penalties.iter().filter(|p| p.applies(index)) {
                let value = p.value(&self.d, &batch, &mut rng, &ctx);
                m.penalty += mean(value.clone().detach());
                loss = loss + value;
            }
            if let Some(p) = plan.orthogonal.d.and_then(|beta| Some(orthogonal::penalty(&self.d)?.mul_scalar(beta))) {
                loss = loss + p;
            }
            if let Some(p) = Self::historical(&mut self.averages.1, &self.d, plan.historical.d, index) {
                m.penalty += mean(p.clone().detach());
                loss = loss + p;
            }
            m.d_real = mean(plan.loss.report(d_real.detach()));
            m.d_fake = mean(plan.loss.report(d_fake.detach()));
            m.d_loss = mean(loss.clone().detach());
            let norm = update(&mut self.d, &mut self.opt_d, plan.opt_d.lr(), loss, measure && i + 1 == plan.d_steps);
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
            let (fake, named, g_labels) = match shared.take() {
                Some(reused) => reused,
                None => {
                    let (g_in, g_labels) = self.g_inputs(n, Stream::GLatent, index, &device);
                    let (fake, named) = self.fakes(&self.g, g_in, Stream::GLatent, index, &ctx);
                    (fake, named, g_labels)
                }
            };
            self.g.track_styles(&named, STYLE_AVERAGE_DECAY);
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
            let mut loss = if plan.loss.trains_g_adversarially() {
                plan.loss.generator(d_fake, on_real.as_ref().map(|(out, _)| out.clone().detach()))
            } else {
                // Feature matching alone (below): D's score of the fakes does not enter G's loss.
                Tensor::zeros([1], &device)
            };
            if let Some(ce) = classes {
                loss = loss + ce;
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
            let norm = update(&mut self.g, &mut self.opt_g, plan.opt_g.lr(), loss, measure && i + 1 == plan.g_steps);
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
            .map(|(_, l)| match (l, &draw.classes) {
                // The latents are drawn all the same, so that a class changes nothing else.
                (Latent::Labels(_), Some(classes)) => {
                    inputs::draw(l, n, &mut rng, None, &device);
                    Value::Labels(Tensor::from_data(TensorData::new(classes.clone(), [n]), &device))
                }
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
