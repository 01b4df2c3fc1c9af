//! What to train, read from the checked model: the networks, the loss and its label tricks,
//! optimizers, schedule and watches. Everything the runtime cannot do yet is collected as an
//! `E0501` diagnostic at its span, so a model is refused whole before any data is read.

use crate::growth::Schedule;
use crate::layers::Decay;
use crate::losses::{Base, Loss};
use crate::network::Unsupported;
use crate::penalty::{At, Penalty};
use crate::privacy::Privacy;
use crate::unroll::Unroll;
use ganc_check::ir::{Component, Model, Shape};
use ganc_check::value::Const;
use ganc_data::{Mixture, Pairing, Source, Split};
use ganc_diagnostics::{codes, Diagnostic, Span};
use ganc_registry::{self as registry, Kind};
use ganc_syntax::ast::{InputKind, NetworkKind};

/// An optimizer and its hyper-parameters.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub enum Optimizer {
    /// Adam.
    Adam {
        /// Learning rate.
        lr: f64,
        /// Moment decays.
        betas: (f64, f64),
        /// Denominator epsilon.
        eps: f64,
        /// L2 penalty.
        weight_decay: f64,
    },
    /// SGD with momentum.
    Sgd {
        /// Learning rate.
        lr: f64,
        /// Momentum.
        momentum: f64,
        /// L2 penalty.
        weight_decay: f64,
    },
    /// RMSprop.
    RmsProp {
        /// Learning rate.
        lr: f64,
        /// Smoothing constant.
        alpha: f64,
        /// Denominator epsilon.
        eps: f64,
        /// L2 penalty.
        weight_decay: f64,
    },
}

impl Optimizer {
    /// The learning rate.
    pub fn lr(&self) -> f64 {
        match self {
            Optimizer::Adam { lr, .. } | Optimizer::Sgd { lr, .. } | Optimizer::RmsProp { lr, .. } => *lr,
        }
    }

    fn from(c: Option<&Component>) -> Optimizer {
        let Some(c) = c else {
            return Optimizer::Adam { lr: 2e-4, betas: (0.5, 0.999), eps: 1e-8, weight_decay: 0.0 };
        };
        let a = &c.args;
        match c.name {
            "sgd" => Optimizer::Sgd {
                lr: a.float("lr"),
                momentum: a.float("momentum"),
                weight_decay: a.float("weight_decay"),
            },
            "rmsprop" => Optimizer::RmsProp {
                lr: a.float("lr"),
                alpha: a.float("alpha"),
                eps: a.float("eps"),
                weight_decay: a.float("weight_decay"),
            },
            _ => {
                let betas = match a.get("betas") {
                    Some(Const::Tuple(t)) => (t[0].as_f64().unwrap_or(0.5), t[1].as_f64().unwrap_or(0.999)),
                    _ => (0.5, 0.999),
                };
                Optimizer::Adam { lr: a.float("lr"), betas, eps: a.float("eps"), weight_decay: a.float("weight_decay") }
            }
        }
    }
}

/// How a latent is drawn.
#[derive(Clone, Debug, PartialEq)]
pub enum Latent {
    /// N(0, I) of `dim`.
    Normal(usize),
    /// U(low, high) of `dim`.
    Uniform(usize, f64, f64),
    /// Normal projected to the unit sphere.
    Sphere(usize),
    /// Class labels drawn uniformly from `classes` (for G); real labels for D.
    Labels(usize),
    /// What travels with each sample, of these dims, read from the batch: the input half of
    /// paired data (image-to-image), or an embedding vector (`embeddings`, StackGAN++).
    Paired(Vec<usize>),
}

/// Failure tracking (ganhacks #10).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Watch {
    /// Stop on a NaN or infinite loss (always on).
    pub nan: bool,
    /// Warn when D's loss stays below this for many steps.
    pub d_loss_below: Option<f64>,
    /// Warn when a gradient norm exceeds this.
    pub grad_norm_above: Option<f64>,
}

/// Label tricks on D's targets (Salimans et al. 2016; ganhacks #6).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Labels {
    /// One-sided label smoothing: the real target.
    pub smoothing: Option<f64>,
    /// Noisy targets: ranges for real and fake.
    pub noisy: Option<((f64, f64), (f64, f64))>,
    /// Probability of swapping real and fake targets.
    pub flip: Option<f64>,
}

/// Everything the trainer needs, resolved from the model and the command line.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The data source.
    pub source: Source,
    /// Shape of one sample.
    pub data_shape: Vec<usize>,
    /// Number of classes of labelled data.
    pub classes: Option<usize>,
    /// Paired data: the shape of each target's input (`condition x ~ paired`).
    pub pair_shape: Option<Vec<usize>>,
    /// The size of the labelled subset of a semi-supervised GAN (`labels: N`).
    pub labelled: Option<usize>,
    /// Inputs of G, in order, with how each is drawn.
    pub g_inputs: Vec<(String, Latent)>,
    /// Whether D takes a second input: the labels, or (BiGAN) the code `encoder`.
    pub d_takes_labels: bool,
    /// Whether D is StackGAN++'s joint D (`-> joint`): its conditional head also learns to call
    /// real images with mismatched conditions fake ([`crate::joint`]).
    pub joint: bool,
    /// BiGAN: the latent an encoder infers from the data, which D reads beside it.
    pub encoder: Option<String>,
    /// How a stochastic encoder's noise (its input after the data) is drawn.
    pub encoder_noise: Option<Latent>,
    /// The encoder's optimizer.
    pub opt_e: Optimizer,
    /// The loss.
    pub loss: Loss,
    /// Label tricks.
    pub labels: Labels,
    /// Weight clipping of D.
    pub weight_clip: Option<f64>,
    /// Instance noise on D's inputs.
    pub instance_noise: Option<(f64, Option<Decay>)>,
    /// G's optimizer.
    pub opt_g: Optimizer,
    /// D's optimizer.
    pub opt_d: Optimizer,
    /// Samples per batch.
    pub batch: usize,
    /// G updates to train for.
    pub steps: u64,
    /// Seed.
    pub seed: u64,
    /// D updates per step.
    pub d_steps: usize,
    /// G updates per step.
    pub g_steps: usize,
    /// EMA decay of G's weights.
    pub ema: Option<f64>,
    /// Real and fake in one batch through D.
    pub mixed_batches: bool,
    /// G's first update of a step reuses the fakes (and latents) of D's last update
    /// (`fakes: shared`) instead of drawing its own.
    pub shared_fakes: bool,
    /// Truncation threshold at sampling.
    pub truncation: Option<f64>,
    /// The share of G's batches that mix two styles (`style_mixing`).
    pub style_mixing: Option<f64>,
    /// Periods.
    pub sample_every: u64,
    /// Periods.
    pub checkpoint_every: u64,
    /// Periods.
    pub log_every: u64,
    /// Failure tracking.
    pub watch: Watch,
    /// Mode coverage measured during training (2D mixtures).
    pub evaluate: Option<Evaluate>,
    /// Gradient penalties added to D's loss.
    pub penalties: Vec<Penalty>,
    /// The progressive-growing schedule, when the networks have stages.
    pub progressive: Option<Schedule>,
    /// BigGAN's orthogonal regularization of each network's weights.
    pub orthogonal: PerNetwork,
    /// Historical averaging of each network's weights.
    pub historical: PerNetwork,
    /// Feature matching for G.
    pub feature_matching: Option<FeatureMatching>,
    /// pix2pixHD's feature matching for G on paired data: the weight of the L1 distance of D's
    /// features after every activation, summed over layers and averaged over scales.
    pub paired_features: Option<f64>,
    /// A stacked generator's stage resolutions, the top stage's first (StackGAN++); empty
    /// otherwise.
    pub stacked: Vec<usize>,
    /// StackGAN++'s colour-consistency regularizer on a stacked G: the weights of the means and
    /// of the covariances.
    pub color_consistency: Option<(f64, f64)>,
    /// Experience replay: the buffer's size in samples and the share of each fake batch from it.
    pub replay: Option<(usize, f64)>,
    /// Unrolled GAN: D's look-ahead updates for G's loss.
    pub unroll: Option<Unroll>,
    /// The Nagarajan-Kolter regularizer's weight eta on G.
    pub nagarajan_kolter: Option<f64>,
    /// DP-SGD on D (`differential_privacy`).
    pub privacy: Option<Privacy>,
}

/// Whether the generator's stages are stacked (StackGAN++): a discriminator judges them
/// `at stages`.
fn stacked(model: &Model) -> bool {
    model.networks.iter().any(|n| n.kind == NetworkKind::Discriminator && n.stacked())
}

/// The `progressive(fade, hold)` schedule of a generator with stages (the registry's defaults
/// when the option is not written).
fn schedule(model: &Model, g: &ganc_check::ir::Network) -> Option<Schedule> {
    let resolutions: Vec<usize> = g.stage_resolutions().iter().map(|r| *r as usize).collect();
    if resolutions.is_empty() {
        return None;
    }
    let arg = |name: &str| {
        let default = registry::lookup(Kind::TrainOption, "progressive")
            .and_then(|s| s.params.iter().find(|p| p.name == name))
            .and_then(|p| match p.default {
                registry::Default::Int(i) => Some(i),
                _ => None,
            })
            .unwrap_or(1);
        let written = model.train.option("progressive").and_then(|o| o.args.get(name)).and_then(Const::as_i64);
        written.unwrap_or(default).max(1) as u64
    };
    Some(Schedule { fade: arg("fade"), hold: arg("hold"), resolutions })
}

impl Plan {
    /// Whether G reads what travels with each sample: a pair's input (image-to-image
    /// translation) or an embedding.
    pub fn g_reads_pairs(&self) -> bool {
        self.g_inputs.iter().any(|(_, l)| matches!(l, Latent::Paired(_)))
    }

    /// The number of classes of G's label input, when G is conditional.
    pub fn g_classes(&self) -> Option<usize> {
        self.g_inputs.iter().find_map(|(_, l)| match l {
            Latent::Labels(k) => Some(*k),
            _ => None,
        })
    }
}

/// A regularizer's weight per network: G's and D's, when it regularizes them.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PerNetwork {
    /// G's weight.
    pub g: Option<f64>,
    /// D's weight.
    pub d: Option<f64>,
}

impl PerNetwork {
    /// Sets the weight of `network` (G's when it is the generator).
    fn set(&mut self, model: &Model, network: &str, weight: f64) {
        if model.generator().is_some_and(|g| g.name == network) {
            self.g = Some(weight);
        } else {
            self.d = Some(weight);
        }
    }
}

/// `feature_matching(at: D.name, weight)`: G's loss gains `weight · ‖mean f(real) - mean f(fake)‖²`
/// for `f` the value D binds to `name` (Salimans et al. 2016).
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureMatching {
    /// The `let` of D whose mean is matched.
    pub name: String,
    /// The weight.
    pub weight: f64,
}

/// A penalty regularizer as the trainer applies it.
fn penalty(c: &Component) -> Penalty {
    let a = &c.args;
    let every = a.int("every").max(1) as u64;
    match c.name {
        "r1" => Penalty { weight: a.float("gamma") / 2.0, center: 0.0, at: At::Real, every },
        "r2" => Penalty { weight: a.float("gamma") / 2.0, center: 0.0, at: At::Fake, every },
        "dragan" => Penalty { weight: a.float("weight"), center: a.float("k"), at: At::Perturbed(a.float("c")), every },
        _ => Penalty {
            weight: a.float("weight"),
            center: a.float("center"),
            at: match a.name("at") {
                Some("real") => At::Real,
                Some("fake") => At::Fake,
                Some("real_and_fake") => At::RealAndFake,
                _ => At::Interpolates,
            },
            every,
        },
    }
}

/// `evaluate every N steps { ... }`: `modes` on a 2D mixture, image metrics on images.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluate {
    /// Period in steps.
    pub every: u64,
    /// `modes(samples: S)`: generated points per measurement.
    pub modes: Option<usize>,
    /// The image metrics, in the section's order.
    pub images: Vec<crate::evaluate::Measure>,
    /// Generated (and real) images per measurement: the largest `samples` of the image metrics.
    pub image_samples: usize,
    /// `test_error`: the share of the test split a classifying D labels wrong.
    pub test_error: bool,
    /// BiGAN's `reconstruction` error of the test split through G(E(x)).
    pub reconstruction: bool,
    /// BiGAN's `linear_probe`: a linear classifier's test accuracy on the encoder's codes.
    pub linear_probe: bool,
    /// AVB's `elbo` on the test split.
    pub elbo: bool,
    /// Paired data: the mean absolute error of G's outputs for the test split's inputs.
    pub l1: bool,
    /// A stacked generator: how far each stage's images are from the next stage's, pooled.
    pub stage_gap: bool,
}

impl Evaluate {
    /// The header of `evaluate.csv`: the step, then each metric's columns.
    pub fn header(&self) -> String {
        let mut columns = vec!["step"];
        if self.modes.is_some() {
            columns.extend(["modes", "modes_total", "high_quality"]);
        }
        columns.extend(self.images.iter().flat_map(|m| m.columns().iter().copied()));
        for (on, column) in [
            (self.test_error, "test_error"),
            (self.reconstruction, "reconstruction"),
            (self.linear_probe, "linear_probe"),
            (self.elbo, "elbo"),
            (self.l1, "l1"),
            (self.stage_gap, "stage_gap"),
        ] {
            if on {
                columns.push(column);
            }
        }
        columns.join(",")
    }

    /// Whether a metric reads the data's test split.
    pub fn reads_test_split(&self) -> bool {
        self.test_error || self.reconstruction || self.linear_probe || self.elbo || self.l1
    }
}

fn unsupported(span: Span, what: impl Into<String>) -> Diagnostic {
    let what = what.into();
    Diagnostic::new(codes::NOT_YET_SUPPORTED, span, format!("{what} not yet supported by the runtime"))
        .label("`ganc train` cannot lower this yet")
        .help("`ganc check` validates it; remove or replace it to train now (see `ganc explain E0501`)")
}

/// Turns lowering failures into diagnostics.
pub fn unsupported_diagnostics(missing: Vec<Unsupported>) -> Vec<Diagnostic> {
    missing.into_iter().map(|m| unsupported(m.span, format!("{} is", m.what))).collect()
}

fn source(data: &ganc_check::ir::Data) -> Source {
    let a = &data.source.args;
    let pairing = match a.name("pairs") {
        Some("edges") => Some(Pairing::Edges),
        Some("coarse") => Some(Pairing::Coarse(a.int("factor").max(1) as usize)),
        _ => None,
    };
    let base = unpaired(data);
    match (pairing, a.get("embeddings")) {
        (Some(pairing), _) => Source::Derived { base: Box::new(base), pairing },
        (None, Some(Const::Str(path))) => Source::Embedded { base: Box::new(base), path: path.into() },
        (None, _) => base,
    }
}

/// The data source, before pairs are made from it.
fn unpaired(data: &ganc_check::ir::Data) -> Source {
    let a = &data.source.args;
    let split = if a.name("split") == Some("test") { Split::Test } else { Split::Train };
    let path = || match a.get("path") {
        Some(Const::Str(p)) => p.into(),
        _ => "images".into(),
    };
    match data.source.name {
        "mnist" => Source::Mnist { fashion: false, split },
        "fashion_mnist" => Source::Mnist { fashion: true, split },
        "cifar10" => Source::Cifar10 { split },
        "ring" => {
            Source::Mixture(Mixture::ring(a.int("modes") as usize, a.float("radius") as f32, a.float("std") as f32))
        }
        "grid" => {
            Source::Mixture(Mixture::grid(a.int("modes") as usize, a.float("spacing") as f32, a.float("std") as f32))
        }
        "paired" => {
            Source::Paired { path: path(), size: a.int("size") as usize, channels: a.int("channels") as usize, split }
        }
        _ => Source::Images { path: path(), size: a.int("size") as usize, channels: a.int("channels") as usize },
    }
}

/// How the latent or condition `name` of `model` is drawn.
fn latent(model: &Model, name: &str) -> Option<Latent> {
    let input = model.inputs.iter().find(|i| i.name == name)?;
    let a = &input.source.args;
    let dim = a.int("dim").max(0) as usize;
    Some(match (input.kind, input.source.name) {
        (InputKind::Condition, "paired" | "embeddings") => {
            Latent::Paired(input.shape.dims().map(|d| d.iter().map(|x| *x as usize).collect()).unwrap_or_default())
        }
        (InputKind::Condition, _) => Latent::Labels(match input.shape {
            Shape::Labels(k) => k as usize,
            _ => 1,
        }),
        (_, "uniform") => Latent::Uniform(dim, a.float("low"), a.float("high")),
        (_, "sphere") => Latent::Sphere(dim),
        _ => Latent::Normal(dim),
    })
}

fn option_int(model: &Model, name: &str) -> i64 {
    model.train.option(name).map_or(0, |o| o.args.int("value"))
}

/// Reads the plan, or returns every construct the runtime cannot train yet.
pub fn plan(model: &Model) -> Result<Plan, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let loss = match model.loss.name {
        "minimax" => Loss::Minimax,
        "non_saturating" => Loss::NonSaturating,
        "wasserstein" => Loss::Wasserstein,
        "hinge" => Loss::Hinge,
        "least_squares" => {
            let a = &model.loss.args;
            Loss::LeastSquares { a: a.float("a"), b: a.float("b"), c: a.float("c") }
        }
        "relativistic" => {
            let a = &model.loss.args;
            let base = match a.name("base") {
                Some("least_squares") => Base::LeastSquares,
                Some("hinge") => Base::Hinge,
                _ => Base::NonSaturating,
            };
            Loss::Relativistic { base, average: a.bool("average") }
        }
        "auxiliary_classifier" => {
            let a = &model.loss.args;
            let base = match a.name("base") {
                Some("hinge") => Loss::Hinge,
                Some("least_squares") => Loss::LeastSquares { a: 0.0, b: 1.0, c: 1.0 },
                _ => Loss::NonSaturating,
            };
            Loss::Auxiliary { base: Box::new(base), weight: a.float("weight") }
        }
        "semi_supervised" => {
            let a = &model.loss.args;
            Loss::SemiSupervised {
                unlabelled: a.float("unlabelled"),
                adversarial_g: a.name("generator") == Some("non_saturating"),
            }
        }
        "began" => {
            let a = &model.loss.args;
            Loss::Began { gamma: a.float("gamma"), lambda_k: a.float("lambda_k") }
        }
        "avb" => Loss::Avb { sigma: model.loss.args.float("sigma") },
        other => {
            diags.push(unsupported(model.loss.span, format!("the `{other}` loss is")));
            Loss::NonSaturating
        }
    };
    let mut labels = Labels::default();
    let mut penalties = Vec::new();
    let (mut orthogonal, mut historical) = (PerNetwork::default(), PerNetwork::default());
    let (mut feature_matching, mut nagarajan_kolter, mut paired_features) = (None, None, None);
    let mut color_consistency = None;
    let (mut weight_clip, mut instance_noise, mut privacy) = (None, None, None);
    let loss_targets = registry::lookup(Kind::Loss, model.loss.name).and_then(|s| s.loss()).is_some_and(|l| l.targets);
    for r in &model.regularizers {
        let c = &r.component;
        let spec = registry::lookup(Kind::Regularizer, c.name);
        match c.name {
            _ if spec.is_some_and(|s| s.is_label_trick()) && !loss_targets => {
                diags.push(unsupported(c.span, format!("`{}` with the `{}` loss is", c.name, model.loss.name)))
            }
            "label_smoothing" => labels.smoothing = Some(c.args.float("real")),
            "noisy_labels" => {
                let range = |n: &str| match c.args.get(n) {
                    Some(Const::Range(a, b)) => (*a, *b),
                    _ => (0.0, 0.0),
                };
                labels.noisy = Some((range("real"), range("fake")));
            }
            "label_flip" => labels.flip = Some(c.args.float("p")),
            "weight_clip" => weight_clip = Some(c.args.float("c")),
            _ if spec.is_some_and(|s| s.is_gradient_penalty()) => penalties.push(penalty(c)),
            "instance_noise" => {
                let decay = match c.args.get("decay") {
                    Some(Const::Schedule(kind, steps)) => {
                        Some(Decay { kind: kind.clone(), steps: (*steps).max(1) as u64 })
                    }
                    _ => None,
                };
                instance_noise = Some((c.args.float("std"), decay));
            }
            // Applied to the network as it is lowered (`run::networks`).
            "spectral_norm" | "equalized_lr" => {}
            "orthogonal" => orthogonal.set(model, &r.network, c.args.float("weight")),
            "historical_averaging" => historical.set(model, &r.network, c.args.float("weight")),
            "feature_matching" => {
                if let Some(Const::Path(path)) = c.args.get("at") {
                    let name = path.last().cloned().unwrap_or_default();
                    feature_matching = Some(FeatureMatching { name, weight: c.args.float("weight") });
                }
            }
            "nagarajan_kolter" => nagarajan_kolter = Some(c.args.float("weight")),
            "paired_feature_matching" => paired_features = Some(c.args.float("weight")),
            "color_consistency" => color_consistency = Some((c.args.float("mean"), c.args.float("covariance"))),
            "differential_privacy" => {
                privacy = Some(Privacy {
                    clip: c.args.float("clip"),
                    noise: c.args.get("noise").and_then(Const::as_f64),
                    delta: c.args.float("delta"),
                    budget: c.args.get("epsilon").and_then(Const::as_f64),
                })
            }
            other => diags.push(unsupported(c.span, format!("the regularizer `{other}` is"))),
        }
    }
    let discriminators: Vec<_> = model.networks.iter().filter(|n| n.kind == NetworkKind::Discriminator).collect();
    for extra in discriminators.iter().skip(1) {
        diags.push(unsupported(extra.span, "more than one discriminator is"));
    }
    let encoders: Vec<_> = model.networks.iter().filter(|n| n.kind == NetworkKind::Encoder).collect();
    for extra in encoders.iter().skip(1) {
        diags.push(unsupported(extra.span, "more than one encoder is"));
    }
    if let Some(e) = encoders.first() {
        if matches!(loss, Loss::Auxiliary { .. } | Loss::SemiSupervised { .. } | Loss::Began { .. }) {
            diags.push(unsupported(e.span, format!("an encoder with the `{}` loss is", model.loss.name)));
        }
        if let Some(replay) = model.train.option("replay") {
            diags.push(unsupported(replay.span, "`replay` with an encoder is"));
        }
    }
    for opt in model.train.options.iter().filter(|o| o.span != Span::default()) {
        let Some(spec) = registry::lookup(Kind::TrainOption, opt.name) else { continue };
        if !spec.trains() && !opt.sets_default_option() {
            diags.push(unsupported(opt.span, format!("the training option `{}` is", opt.name)));
        }
    }
    // The checker guarantees `modes` on 2D mixtures and the image metrics on images (E0411).
    let evaluate = model.evaluate.as_ref().map(|eval| {
        let mut e = Evaluate {
            every: eval.every.max(1) as u64,
            modes: None,
            images: Vec::new(),
            image_samples: 0,
            test_error: false,
            reconstruction: false,
            linear_probe: false,
            elbo: false,
            l1: false,
            stage_gap: false,
        };
        for m in &eval.metrics {
            let flag = match m.name {
                "test_error" => Some(&mut e.test_error),
                "reconstruction" => Some(&mut e.reconstruction),
                "linear_probe" => Some(&mut e.linear_probe),
                "elbo" => Some(&mut e.elbo),
                "l1" => Some(&mut e.l1),
                "stage_gap" => Some(&mut e.stage_gap),
                _ => None,
            };
            if let Some(flag) = flag {
                *flag = true;
                continue;
            }
            let samples = m.args.int("samples").max(2) as usize;
            match crate::evaluate::Measure::from_name(m.name, m.args.int("splits").max(1) as usize) {
                Some(measure) => {
                    e.images.push(measure);
                    e.image_samples = e.image_samples.max(samples);
                }
                None => e.modes = Some(samples),
            }
        }
        e
    });
    let g = model.generator().expect("a checked model has a generator");
    let g_inputs: Vec<(String, Latent)> =
        g.inputs.iter().filter_map(|name| Some((name.clone(), latent(model, name)?))).collect();
    // A stochastic encoder's noise: its input after the data.
    let encoder_noise = encoders.first().and_then(|e| e.inputs.get(1)).and_then(|name| latent(model, name));
    let d = discriminators[0];
    let unroll = model.train.option("unroll").filter(|o| o.args.int("value") > 0).map(|o| Unroll {
        steps: o.args.int("value") as usize,
        exact: model.train.option("unroll_gradient").and_then(|g| g.args.name("value")) != Some("first_order"),
    });
    let gaps = ganc_check::param_grads::gaps(model).into_iter().chain(ganc_check::classifier_gaps(model));
    for (what, span) in gaps.chain(ganc_check::multi_scale_gaps(model)) {
        diags.push(unsupported(span, format!("{what} is")));
    }
    let autoencoder = matches!(loss, Loss::Began { .. }) && d.output == model.data.value;
    if !autoencoder && !registry::lookup(Kind::Output, &d.output).is_some_and(|s| s.trains()) {
        diags.push(unsupported(d.span, format!("a discriminator with output `{}` is", d.output)));
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    let optimizer = |net: &str| Optimizer::from(model.train.optimizers.iter().find(|(n, _)| n == net).map(|(_, c)| c));
    let every = |action: &str, default: u64| {
        model.train.every.iter().find(|(a, _)| *a == action).map_or(default, |(_, n)| (*n).max(1) as u64)
    };
    let mut watch = Watch { nan: true, ..Watch::default() };
    for w in &model.train.watch {
        match w.name {
            "d_loss_below" => watch.d_loss_below = Some(w.args.float("value")),
            "grad_norm_above" => watch.grad_norm_above = Some(w.args.float("value")),
            _ => {}
        }
    }
    let steps = option_int(model, "steps").max(1) as u64;
    Ok(Plan {
        source: source(&model.data),
        data_shape: model.data.shape.iter().map(|x| *x as usize).collect(),
        classes: model.data.classes.map(|k| k as usize),
        pair_shape: model.data.pair.as_ref().map(|p| p.iter().map(|x| *x as usize).collect()).or_else(|| {
            let embedded =
                model.inputs.iter().find(|i| i.kind == InputKind::Condition && i.source.name == "embeddings");
            embedded.and_then(|i| i.shape.dims()).map(|d| d.iter().map(|x| *x as usize).collect())
        }),
        labelled: match model.data.source.args.get("labels") {
            Some(Const::Int(n)) if model.loss.name == "semi_supervised" => Some((*n).max(1) as usize),
            _ => None,
        },
        g_inputs,
        d_takes_labels: d.inputs.len() > 1,
        joint: d.output == "joint",
        encoder: encoders.first().map(|e| e.output.clone()),
        encoder_noise,
        opt_e: optimizer(encoders.first().map_or("", |e| e.name.as_str())),
        loss,
        labels,
        weight_clip,
        instance_noise,
        opt_g: optimizer(&g.name),
        opt_d: optimizer(&d.name),
        batch: option_int(model, "batch").max(1) as usize,
        steps,
        seed: option_int(model, "seed").max(0) as u64,
        d_steps: option_int(model, "d_steps").max(1) as usize,
        g_steps: option_int(model, "g_steps").max(1) as usize,
        ema: model.train.ema.iter().find(|(n, _)| *n == g.name).map(|(_, d)| *d),
        mixed_batches: model.train.option("batches").and_then(|o| o.args.name("value")) == Some("mixed"),
        shared_fakes: model.train.option("fakes").and_then(|o| o.args.name("value")) == Some("shared"),
        replay: model.train.option("replay").map(|o| (o.args.int("buffer").max(1) as usize, o.args.float("p"))),
        truncation: model
            .train
            .option("truncation")
            .filter(|o| o.span != Span::default())
            .map(|o| o.args.float("value")),
        style_mixing: model
            .train
            .option("style_mixing")
            .filter(|o| o.span != Span::default())
            .map(|o| o.args.float("value")),
        sample_every: every("sample", (steps / 10).max(1)),
        checkpoint_every: every("checkpoint", (steps / 4).max(1)),
        log_every: every("log", 10),
        watch,
        evaluate,
        penalties,
        progressive: schedule(model, g).filter(|_| !stacked(model)),
        stacked: match stacked(model) {
            true => g.stage_resolutions().iter().rev().map(|r| *r as usize).collect(),
            false => Vec::new(),
        },
        color_consistency,
        orthogonal,
        historical,
        feature_matching,
        paired_features,
        unroll,
        nagarajan_kolter,
        privacy,
    })
}
