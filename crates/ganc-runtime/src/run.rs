//! A whole training run: its directory, metrics, samples, plots, checkpoints and resumption.

use crate::checkpoint::{self, Network};
use crate::evaluate::{FeatureNet, Measure};
use crate::growth::Growth;
use crate::images;
use crate::inputs::Stream;
use crate::layers::reparam::{wrap_all, WrapAll};
use crate::network::{lower, Net, Unsupported};
use crate::plan::{plan, unsupported_diagnostics, Plan};
use crate::plots;
use crate::report::{self, Finding, Report};
use crate::trainer::{Draw, StepMetrics, Trainer};
use crate::value::Value;
use burn::tensor::Device;
use ganc_check::ir::{self, Model};
use ganc_diagnostics::Diagnostic;
use ganc_syntax::ast::NetworkKind;
use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// What the command line asks of a run.
#[derive(Clone, Debug, Default)]
pub struct TrainOptions {
    /// Overrides `train { steps }`.
    pub steps: Option<u64>,
    /// Overrides `train { batch }`.
    pub batch: Option<usize>,
    /// Overrides `train { seed }`.
    pub seed: Option<u64>,
    /// The run directory (default `runs/<model>-<time>`).
    pub out: Option<PathBuf>,
    /// `cpu`, `ndarray`, `cuda[:N]`.
    pub device: String,
    /// Where data files are (`--data-dir`, else `GANC_DATA_DIR`, else `./data`).
    pub data_dir: Option<PathBuf>,
    /// Continue this run directory from its checkpoint.
    pub resume: Option<PathBuf>,
    /// Inception-v3's weights for the image metrics (`--inception-weights`, else
    /// `GANC_INCEPTION_WEIGHTS`; without them, ganc's classifier on MNIST-like data).
    pub inception_weights: Option<PathBuf>,
}

/// Why a run could not start or stopped early.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// The model uses constructs the runtime cannot train yet.
    #[error("the model cannot be trained yet")]
    Unsupported(Vec<Diagnostic>),
    /// The data could not be loaded.
    #[error(transparent)]
    Data(#[from] ganc_data::DataError),
    /// A file of the run could not be written or read.
    #[error("{0}")]
    Io(String),
    /// The device name is not known or not built in.
    #[error("{0}")]
    Device(String),
    /// The image metrics of `evaluate` have no feature network.
    #[error(transparent)]
    Evaluate(#[from] crate::evaluate::FeatureNetError),
    /// A loss became NaN or infinite. Every run stops on it, whether or not `watch { nan }`
    /// says so.
    #[error("the {loss} loss became {value} at step {step}; the last good checkpoint is kept in {}", run.display())]
    NonFinite {
        /// Which loss.
        loss: &'static str,
        /// Its value.
        value: f64,
        /// At which step.
        step: u64,
        /// The run directory.
        run: PathBuf,
    },
    /// What is asked cannot be done as configured (a privacy budget one step spends, samples of
    /// a generator that translates paired inputs).
    #[error("{message}")]
    Refused {
        /// What is wrong.
        message: String,
        /// How to fix it.
        help: String,
    },
    /// A parameter became NaN or infinite: the checkpoint of this step was not written.
    #[error("a parameter of the {network} became NaN or infinite by step {step}; the last finite checkpoint is kept in {}", run.display())]
    NonFiniteWeights {
        /// Which network, with its name (``the discriminator `D` ``).
        network: String,
        /// The step whose checkpoint was refused.
        step: u64,
        /// The run directory.
        run: PathBuf,
    },
}

/// Something a user should see while a run goes on.
#[derive(Debug)]
pub enum Event<'a> {
    /// The run directory is ready; training starts at `step` of `steps`.
    Started {
        /// The run directory.
        run: &'a Path,
        /// First step.
        step: u64,
        /// Last step.
        steps: u64,
    },
    /// A step finished.
    Step(&'a StepMetrics, f64),
    /// A warning from failure tracking.
    Warning(String),
    /// Something the run chose for the user (the noise that spends a privacy budget).
    Note(String),
    /// A file was written (sample grid, checkpoint, plot).
    Wrote(PathBuf),
    /// Mode coverage was measured at a step.
    Evaluated(u64, &'a ganc_data::Coverage),
    /// Image metrics were measured at a step: each column of `evaluate.csv` with its value.
    Measured(u64, &'a [(&'static str, f64)]),
    /// The failure report at the end of the run (also in `report.md`).
    Report(&'a Report),
}

fn io_err(what: &str, path: &Path, e: impl std::fmt::Display) -> TrainError {
    TrainError::Io(format!("cannot {what} `{}`: {e}", path.display()))
}

/// The plan for a model with the command line's overrides applied.
pub fn resolve(model: &Model, opts: &TrainOptions) -> Result<Plan, TrainError> {
    let mut p = plan(model).map_err(TrainError::Unsupported)?;
    if let Some(s) = opts.steps {
        p.steps = s.max(1);
    }
    if let Some(b) = opts.batch {
        p.batch = b.max(1);
    }
    if let Some(s) = opts.seed {
        p.seed = s;
    }
    Ok(p)
}

/// `given` completed by the options the run in `run` was started with (its `run.json`): a
/// resumed or sampled run keeps the steps, batch and seed it had unless told otherwise.
pub fn with_saved_options(given: &TrainOptions, run: &Path) -> TrainOptions {
    let saved: serde_json::Value =
        fs::read_to_string(run.join("run.json")).ok().and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default();
    TrainOptions {
        steps: given.steps.or(saved["steps"].as_u64()),
        batch: given.batch.or(saved["batch"].as_u64().map(|b| b as usize)),
        seed: given.seed.or(saved["seed"].as_u64()),
        inception_weights: given.inception_weights.clone().or(saved["inception_weights"].as_str().map(PathBuf::from)),
        ..given.clone()
    }
}

/// Lowers G and D of `model` on `device` (autodiff for training).
pub fn networks(model: &Model, device: &Device) -> Result<(Net, Net), TrainError> {
    let g_ir = model.generator().expect("checked models have a generator");
    let d_ir = model.networks.iter().find(|n| n.kind == NetworkKind::Discriminator).expect("and a discriminator");
    let (mut g, mut d) = (
        lower(g_ir, device).map(|g| regularized(model, g_ir, g)),
        lower(d_ir, device).map(|d| regularized(model, d_ir, d)),
    );
    if let (Ok(g), true) = (&mut g, d_ir.stacked()) {
        g.stack_stages();
    }
    if let (Ok(g), Ok(p)) = (&mut g, plan(model)) {
        g.draw_reference(&p.g_inputs, p.seed, device);
    }
    let in_d: Vec<Unsupported> = d_ir
        .layers()
        .iter()
        .filter(|l| l.name == "virtual_batchnorm")
        .map(|l| Unsupported { what: ganc_check::VBN_IN_D.into(), span: l.span })
        .collect();
    if !in_d.is_empty() {
        d = Err([d.err().unwrap_or_default(), in_d].concat());
    }
    match (g, d) {
        (Ok(g), Ok(d)) => Ok((g, d)),
        (g, d) => {
            let mut missing = g.err().unwrap_or_default();
            missing.extend(d.err().unwrap_or_default());
            Err(TrainError::Unsupported(unsupported_diagnostics(missing)))
        }
    }
}

/// Lowers BiGAN's encoder of `model` on `device`, when it has one.
pub fn encoder(model: &Model, device: &Device) -> Result<Option<Net>, TrainError> {
    let Some(e_ir) = model.networks.iter().find(|n| n.kind == NetworkKind::Encoder) else { return Ok(None) };
    lower(e_ir, device)
        .map(|e| Some(regularized(model, e_ir, e)))
        .map_err(|missing| TrainError::Unsupported(unsupported_diagnostics(missing)))
}

/// `net` with the regularizers of `model` that wrap every weight layer of it (`spectral_norm`,
/// `equalized_lr`) applied.
fn regularized(model: &Model, net_ir: &ir::Network, mut net: Net) -> Net {
    for r in model.regularizers.iter().filter(|r| r.network == net_ir.name) {
        let how = match r.component.name {
            "spectral_norm" => WrapAll::Spectral(r.component.args.int("power_iterations").max(1) as usize),
            "equalized_lr" => WrapAll::Equalized,
            _ => continue,
        };
        net = wrap_all(net, how);
    }
    net
}

/// `YYYYmmdd-HHMMSS` in UTC.
fn timestamp() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}{m:02}{d:02}-{:02}{:02}{:02}", rem / 3600, rem / 60 % 60, rem % 60)
}

/// The Rényi-DP accountant of a private run (`differential_privacy`) on `data`. With an ε
/// budget, `plan`'s steps are cut to the last step the budget allows, said in a warning.
fn privacy_accountant(
    plan: &mut Plan,
    privacy: &crate::privacy::Privacy,
    data: &ganc_data::Data,
    on_event: &mut dyn FnMut(Event<'_>),
) -> Result<ganc_privacy::Accountant, TrainError> {
    let size = data.len().unwrap_or(0);
    if plan.batch > size {
        return Err(TrainError::Refused {
            message: format!("a batch of {} is larger than the {size} samples DP-SGD keeps private", plan.batch),
            help: "lower `batch` below the data set's size: the sampling rate batch / size must be at most 1".into(),
        });
    }
    let mut privacy = *privacy;
    let d_updates = plan.d_steps as u64;
    // Without `noise`, the least noise that spends the budget over the whole run.
    if let (None, Some(budget)) = (privacy.noise, privacy.budget) {
        let q = plan.batch as f64 / size as f64;
        let sigma =
            ganc_privacy::noise_for_budget(q, plan.steps * d_updates, privacy.delta, budget).ok_or_else(|| {
                TrainError::Refused {
                    message: format!(
                        "no noise multiplier up to 10^6 keeps {} steps within epsilon = {budget}",
                        plan.steps
                    ),
                    help: "raise `epsilon` or `delta`, or train fewer steps".into(),
                }
            })?;
        on_event(Event::Note(format!(
            "noise multiplier {sigma:.4} spends epsilon = {budget} (delta = {}) over the run's {} steps",
            privacy.delta, plan.steps
        )));
        privacy.noise = Some(sigma);
        plan.privacy = Some(privacy);
    }
    let accountant = privacy.accountant(plan.batch, size).map_err(|e| TrainError::Refused {
        message: format!("differential privacy cannot be accounted for: {e}"),
        help: "`noise` must be positive and `delta` between 0 and 1 (usually below 1 / the data set's size)".into(),
    })?;
    let Some(budget) = privacy.budget else { return Ok(accountant) };
    let allowed = accountant.steps_within(budget) / d_updates;
    if allowed == 0 {
        return Err(TrainError::Refused {
            message: format!(
                "the privacy budget epsilon = {budget} is spent before the first step ({d_updates} D update(s) cost epsilon = {:.3})",
                accountant.epsilon_after(d_updates)
            ),
            help: "raise `epsilon`, raise `noise`, or lower `batch` (each update then reads a smaller share of the data)".into(),
        });
    }
    if allowed < plan.steps {
        on_event(Event::Warning(format!(
            "the privacy budget epsilon = {budget} (delta = {}) allows {allowed} of the {} steps: the run stops at step {allowed}, epsilon = {:.4}",
            privacy.delta,
            plan.steps,
            accountant.epsilon_after(allowed * d_updates)
        )));
        plan.steps = allowed;
    }
    Ok(accountant)
}

/// Writes the ε spent after `step` into `run.json` (atomically), for a private run.
fn record_epsilon(
    run: &Path,
    plan: &Plan,
    accountant: Option<&ganc_privacy::Accountant>,
    step: u64,
) -> Result<(), TrainError> {
    let Some(accountant) = accountant else { return Ok(()) };
    let path = run.join("run.json");
    let text = fs::read_to_string(&path).map_err(|e| io_err("read", &path, e))?;
    let mut options: serde_json::Value = serde_json::from_str(&text).map_err(|e| io_err("read", &path, e))?;
    options["privacy"]["epsilon"] = accountant.epsilon_after(step * plan.d_steps as u64).into();
    options["privacy"]["steps"] = step.into();
    let text = serde_json::to_string_pretty(&options).unwrap_or_default();
    checkpoint::write_atomic(&path, text.as_bytes()).map_err(|e| io_err("write", &path, e))
}

/// Writes a checkpoint of `t` in `run`, refusing one with a non-finite parameter.
fn save_checkpoint(model: &Model, run: &Path, t: &Trainer) -> Result<(), TrainError> {
    checkpoint::save(run, t).map_err(|e| match e {
        checkpoint::SaveError::NonFinite(net) => {
            let name = |kind| model.networks.iter().find(|n| n.kind == kind).map_or("", |n| n.name.as_str());
            let network = match net {
                Network::Generator => format!("{net} `{}`", name(NetworkKind::Generator)),
                Network::Discriminator => format!("{net} `{}`", name(NetworkKind::Discriminator)),
                Network::Ema => format!("{net} (EMA of `{}`)", name(NetworkKind::Generator)),
                Network::Encoder => format!("{net} `{}`", name(NetworkKind::Encoder)),
            };
            TrainError::NonFiniteWeights { network, step: t.step, run: run.to_path_buf() }
        }
        checkpoint::SaveError::Io(e) => io_err("write a checkpoint in", run, e),
    })
}

/// The header of `metrics.csv`.
pub const METRICS_HEADER: &str =
    "step,d_loss,g_loss,d_real,d_fake,grad_norm_g,grad_norm_d,lr_g,lr_d,penalty,steps_per_sec";

/// The header of `metrics.csv` for `plan`: progressive runs add the step's image resolution and
/// the newest stage's alpha, BEGAN runs `k_t` and the convergence measure `M_global`, AC-GAN
/// runs the accuracy of D's classifier on the real batch (semi-supervised runs: on the labelled
/// batch), differentially private runs the ε spent so far.
pub fn metrics_header(plan: &Plan) -> String {
    let mut header = METRICS_HEADER.to_string();
    if plan.progressive.is_some() {
        header.push_str(",resolution,alpha");
    }
    match plan.loss {
        crate::losses::Loss::Began { .. } => header.push_str(",k,m_global"),
        crate::losses::Loss::Auxiliary { .. } | crate::losses::Loss::SemiSupervised { .. } => {
            header.push_str(",d_accuracy")
        }
        _ => {}
    }
    if plan.privacy.is_some() {
        header.push_str(",epsilon");
    }
    header
}

/// Trains `model` (whose source text is `source`, read from `model_path`). Returns the run
/// directory. `stop` is polled between steps: when set, a checkpoint is written and the run
/// returns as if finished.
pub fn train(
    model: &Model,
    source: &str,
    model_path: &Path,
    opts: &TrainOptions,
    stop: &AtomicBool,
    on_event: &mut dyn FnMut(Event<'_>),
) -> Result<PathBuf, TrainError> {
    crate::memory::retain_freed_memory();
    let opts = &match &opts.resume {
        Some(run) => with_saved_options(opts, run),
        None => opts.clone(),
    };
    let mut plan = resolve(model, opts)?;
    let device = crate::device::parse(&opts.device).map_err(TrainError::Device)?;
    let train_device = device.clone().autodiff();
    train_device.seed(plan.seed);
    let (g, d) = networks(model, &train_device)?;
    let data = ganc_data::open(&plan.source, &ganc_data::data_dir(opts.data_dir.as_deref()))?;
    embeddings_fit(&plan, &data)?;
    // The test split of the metrics that read it, and a semi-supervised run's labelled subset.
    let data_dir = ganc_data::data_dir(opts.data_dir.as_deref());
    let test_set = match plan.evaluate.as_ref().filter(|e| e.reads_test_split()).and_then(|_| plan.source.test_split())
    {
        Some(source) => Some(ganc_data::open(&source, &data_dir)?),
        None => None,
    };
    // A paired G's grids and image metrics translate held-out inputs: the test split's when the
    // data have one, else the training pairs'.
    let held_out_pairs = match (&test_set, plan.source.test_split()) {
        (None, Some(source)) if plan.g_reads_pairs() => ganc_data::open(&source, &data_dir).ok(),
        _ => None,
    };
    let held_out = plan.g_reads_pairs().then(|| held_out_pairs.as_ref().or(test_set.as_ref()).unwrap_or(&data));
    // The feature network and the real images' features, before the first step: a missing
    // weights file is said now, not at the first measurement.
    let images_eval = match plan.evaluate.as_ref().filter(|e| !e.images.is_empty()) {
        Some(e) => Some(ImageEvaluation::new(model, &plan, e, held_out.unwrap_or(&data), opts, &device)?),
        None => None,
    };
    let labelled = plan.labelled.map(|n| data.labelled_subset(n, plan.seed)).transpose()?;
    let accountant = match plan.privacy {
        Some(privacy) => Some(privacy_accountant(&mut plan, &privacy, &data, on_event)?),
        None => None,
    };

    let run = match (&opts.resume, &opts.out) {
        (Some(r), _) => r.clone(),
        (None, Some(o)) => o.clone(),
        (None, None) => {
            let stem = model_path.file_stem().map_or("model".into(), |s| s.to_string_lossy().into_owned());
            PathBuf::from("runs").join(format!("{stem}-{}", timestamp()))
        }
    };
    fs::create_dir_all(run.join("samples")).map_err(|e| io_err("create", &run, e))?;
    let mut trainer = Trainer::new(plan.clone(), g, d, train_device.clone());
    if let Some(e) = encoder(model, &train_device)? {
        trainer = trainer.with_encoder(e);
    }
    trainer.labelled = labelled;
    if opts.resume.is_some() {
        let dir = checkpoint::find(&run).ok_or_else(|| {
            TrainError::Io(format!(
                "no checkpoint in `{}` to resume from (looked for a state.json in checkpoint/, checkpoint.old/ and checkpoint.tmp/)",
                run.display()
            ))
        })?;
        trainer = checkpoint::restore(&dir, trainer).map_err(|e| io_err("restore the checkpoint", &dir, e))?;
        let evaluate_header = plan.evaluate.as_ref().map(|e| e.header()).unwrap_or_default();
        for (file, header) in [("metrics.csv", metrics_header(&plan)), ("evaluate.csv", evaluate_header)] {
            let path = run.join(file);
            if file == "metrics.csv" || path.exists() {
                truncate_rows(&path, &header, trainer.step).map_err(|e| io_err("rewrite", &path, e))?;
            }
        }
    } else {
        fs::write(run.join("model.gan"), source).map_err(|e| io_err("write", &run, e))?;
        let options = serde_json::json!({
            "model": model_path.display().to_string(),
            "device": opts.device,
            "steps": plan.steps, "batch": plan.batch, "seed": plan.seed,
            "d_steps": plan.d_steps, "g_steps": plan.g_steps, "ema": plan.ema,
            "optimizer_g": plan.opt_g, "optimizer_d": plan.opt_d,
            "sample_every": plan.sample_every, "checkpoint_every": plan.checkpoint_every, "log_every": plan.log_every,
            "inception_weights": opts.inception_weights,
            "privacy": plan.privacy.zip(accountant.as_ref()).map(|(p, a)| serde_json::json!({
                "clip": p.clip, "noise": p.sigma(), "delta": p.delta, "epsilon_budget": p.budget,
                "sample_rate": a.q(), "epsilon": 0.0,
            })),
        });
        checkpoint::write_atomic(
            &run.join("run.json"),
            serde_json::to_string_pretty(&options).unwrap_or_default().as_bytes(),
        )
        .map_err(|e| io_err("write", &run, e))?;
        fs::write(run.join("metrics.csv"), format!("{}\n", metrics_header(&plan)))
            .map_err(|e| io_err("write", &run, e))?;
    }
    on_event(Event::Started { run: &run, step: trainer.step, steps: plan.steps });

    let mut metrics_file =
        fs::OpenOptions::new().append(true).open(run.join("metrics.csv")).map_err(|e| io_err("open", &run, e))?;
    let (mut low_d_steps, mut warned_low, mut warned_grad) = (0u64, false, false);
    let mut clock = Instant::now();
    let mut clock_steps = 0u64;
    while trainer.step < plan.steps {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let logged = (trainer.step + 1).is_multiple_of(plan.log_every) || trainer.step + 1 == plan.steps;
        // Gradient norms cost a device sync: measured on logged steps, and on every step when
        // a watch reads them.
        let mut m = trainer.step(&data, logged || plan.watch.grad_norm_above.is_some());
        m.epsilon = accountant.as_ref().map(|a| a.epsilon_after(m.step * plan.d_steps as u64));
        // A NaN or infinite loss always stops the run (`watch { nan }` or not): nothing after
        // it can be trained or saved.
        for (loss, value) in [("discriminator", m.d_loss), ("generator", m.g_loss)] {
            if !value.is_finite() {
                let stopped = Finding {
                    step: m.step,
                    what: format!("the {loss}'s loss became {value}: the run stopped"),
                    evidence: format!("{} {value}", if loss == "generator" { "g_loss" } else { "d_loss" }),
                };
                finish_report(&run, &plan, Some(stopped), on_event)?;
                return Err(TrainError::NonFinite { loss, value, step: m.step, run });
            }
        }
        clock_steps += 1;
        let rate = clock_steps as f64 / clock.elapsed().as_secs_f64().max(1e-9);
        if logged {
            let growth = m.growth.map_or(String::new(), |(r, alpha)| format!(",{r},{alpha}"));
            let equilibrium = m.equilibrium.map_or(String::new(), |(k, m_global)| format!(",{k},{m_global}"));
            let accuracy = m.d_accuracy.map_or(String::new(), |a| format!(",{a}"));
            let epsilon = m.epsilon.map_or(String::new(), |e| format!(",{e}"));
            writeln!(
                metrics_file,
                "{},{},{},{},{},{},{},{},{},{},{:.3}{growth}{equilibrium}{accuracy}{epsilon}",
                m.step,
                m.d_loss,
                m.g_loss,
                m.d_real,
                m.d_fake,
                m.grad_norm_g,
                m.grad_norm_d,
                plan.opt_g.lr(),
                plan.opt_d.lr(),
                m.penalty,
                rate,
            )
            .map_err(|e| io_err("append to", &run, e))?;
            clock = Instant::now();
            clock_steps = 0;
        }
        on_event(Event::Step(&m, rate));
        if let Some(limit) = plan.watch.d_loss_below {
            low_d_steps = if m.d_loss < limit { low_d_steps + 1 } else { 0 };
            if low_d_steps >= 100 && !warned_low {
                warned_low = true;
                on_event(Event::Warning(format!(
                    "D's loss stayed below {limit} for 100 steps (step {}): D wins and G gets no signal",
                    m.step
                )));
            }
        }
        if let Some(limit) = plan.watch.grad_norm_above {
            let worst = m.grad_norm_g.max(m.grad_norm_d);
            if worst > limit && !warned_grad {
                warned_grad = true;
                on_event(Event::Warning(format!("a gradient norm reached {worst:.1} (> {limit}) at step {}", m.step)));
            }
        }
        // Every `sample every` steps, and at the last step: a run always ends with its grid.
        if m.step.is_multiple_of(plan.sample_every) || m.step == plan.steps {
            let path = write_samples(&run, &trainer, &data, held_out, m.step)?;
            on_event(Event::Wrote(path));
        }
        if let Some(eval) = plan.evaluate.as_ref().filter(|e| m.step.is_multiple_of(e.every)) {
            let mut cells = Vec::new();
            if let Some(samples) = eval.modes {
                let c = measure_modes(&trainer, &data, samples)?;
                on_event(Event::Evaluated(m.step, &c));
                cells.extend([c.modes.to_string(), c.total.to_string(), format!("{:.4}", c.high_quality)]);
            }
            let mut measured =
                images_eval.as_ref().map(|images| images.measure(&trainer, held_out)).unwrap_or_default();
            if let Some(test) = test_set.as_ref().filter(|_| eval.l1) {
                measured.push(("l1", crate::paired::l1(&trainer.sampler(true), &plan, test, &device)));
            }
            if eval.stage_gap {
                measured.push(("stage_gap", crate::stacked::stage_gap(&trainer.sampler(true), &plan, &device)));
            }
            if let Some(test) = test_set.as_ref().filter(|_| eval.test_error) {
                measured.push(("test_error", crate::semi_supervised::test_error(&trainer.d, test, &device)));
            }
            if let (Some(test), Some((e, _))) = (&test_set, &trainer.encoder) {
                let encoder = crate::encoder::Encoder { net: e, noise: plan.encoder_noise.as_ref(), seed: plan.seed };
                if eval.reconstruction {
                    let error = crate::encoder::reconstruction_error(&trainer.sampler(true), &encoder, test, &device);
                    measured.push(("reconstruction", error));
                }
                if eval.linear_probe {
                    let classes = plan.classes.unwrap_or(0);
                    let accuracy = crate::encoder::linear_probe(&encoder, &data, test, classes, &device);
                    measured.push(("linear_probe", accuracy));
                }
                if let (true, crate::losses::Loss::Avb { sigma }) = (eval.elbo, &plan.loss) {
                    let elbo = crate::encoder::elbo(&trainer.g, &encoder, &trainer.d, test, *sigma, &device);
                    measured.push(("elbo", elbo));
                }
            }
            if !measured.is_empty() {
                on_event(Event::Measured(m.step, &measured));
                cells.extend(measured.iter().map(|(_, v)| format!("{v:.6}")));
            }
            append_evaluation(&run, &eval.header(), m.step, &cells)?;
        }
        if m.step.is_multiple_of(plan.checkpoint_every) {
            save_checkpoint(model, &run, &trainer)?;
            record_epsilon(&run, &plan, accountant.as_ref(), trainer.step)?;
        }
    }
    save_checkpoint(model, &run, &trainer)?;
    record_epsilon(&run, &plan, accountant.as_ref(), trainer.step)?;
    on_event(Event::Wrote(run.join("checkpoint")));
    let plot = plot_losses(&run)?;
    on_event(Event::Wrote(plot));
    finish_report(&run, &plan, None, on_event)?;
    Ok(run)
}

/// Writes the run's failure report and shows it.
fn finish_report(
    run: &Path,
    plan: &Plan,
    stopped: Option<Finding>,
    on_event: &mut dyn FnMut(Event<'_>),
) -> Result<(), TrainError> {
    let floor = plan.loss.is_probabilistic() || matches!(plan.loss, crate::losses::Loss::LeastSquares { .. });
    let report = report::analyse(run, floor, stopped);
    let path = report.write(run).map_err(|e| io_err("write the report in", run, e))?;
    on_event(Event::Report(&report));
    on_event(Event::Wrote(path));
    Ok(())
}

/// Drops the rows of a CSV file past `step` (written after the checkpoint a resumed run starts from), and
/// a last row cut short by a kill.
fn truncate_rows(path: &Path, header: &str, step: u64) -> std::io::Result<()> {
    let text = fs::read_to_string(path).unwrap_or_else(|_| format!("{header}\n"));
    let columns = header.split(',').count();
    let mut out = String::new();
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let whole = line.ends_with('\n') && line.split(',').count() == columns;
        let line = line.trim_end();
        let keep =
            i == 0 || whole && line.split(',').next().and_then(|s| s.parse::<u64>().ok()).is_some_and(|s| s <= step);
        if keep {
            let _ = writeln!(out, "{line}");
        }
    }
    checkpoint::write_atomic(path, out.as_bytes())
}

/// Samples per row of a conditional generator's grid.
pub const CLASS_GRID_COLUMNS: usize = 8;

/// The labels of a grid of `classes` rows of `cols` samples: row `k` is class `k`.
pub fn class_rows(classes: usize, cols: usize) -> Vec<i64> {
    (0..classes * cols).map(|i| (i / cols) as i64).collect()
}

/// Refuses embeddings whose width is not the `dim` their condition declares (the checker read
/// the declaration; only the file says what it holds).
fn embeddings_fit(plan: &Plan, data: &ganc_data::Data) -> Result<(), TrainError> {
    let (Some(declared), Some(loaded)) = (plan.pair_shape.as_deref(), data.pair_dims()) else { return Ok(()) };
    match (declared, loaded.as_slice()) {
        ([dim], [width]) if dim != width => Err(TrainError::Refused {
            message: format!("the embeddings file holds vectors of {width} values, but the condition declares {dim}"),
            help: format!(
                "write `condition t ~ embeddings({width})`, or point `embeddings:` at the file of {dim}-vectors"
            ),
        }),
        _ => Ok(()),
    }
}

/// Writes the sample grid (or 2D scatter) of the fixed latent batch at `step`: one row per
/// class for a conditional generator. A progressive run's grid shows the images at the
/// resolution of the step just trained, each pixel repeated up to the data's size, and is named
/// after that resolution and alpha (`step_000300_r14_a0.50.png`).
///
/// A generator of paired data translates the first held-out inputs, and a second grid,
/// `pairs_step_N.png`, shows rows of (input, output, target) triplets. A stacked generator's
/// grid shows its top stage, and `stage{R}_step_N.png` every stage at its resolution R.
fn write_samples(
    run: &Path,
    t: &Trainer,
    data: &ganc_data::Data,
    held_out: Option<&ganc_data::Data>,
    step: u64,
) -> Result<PathBuf, TrainError> {
    let net = t.sampler(true);
    let dims = &t.plan.data_shape;
    let growth = t.plan.progressive.as_ref().map(|s| (s, s.after(step)));
    let name = match growth {
        Some((s, g)) => format!("step_{step:06}_r{}_a{:.2}.png", s.resolution(g), g.alpha),
        None => format!("step_{step:06}.png"),
    };
    let path = run.join("samples").join(name);
    if dims.len() == 3 {
        let (n, cols, classes) = match t.plan.g_classes() {
            Some(classes) => {
                (classes * CLASS_GRID_COLUMNS, CLASS_GRID_COLUMNS, Some(class_rows(classes, CLASS_GRID_COLUMNS)))
            }
            None => (64, 8, None),
        };
        let pairs = held_out.and_then(|h| crate::paired::held_out(h, &t.plan, 0, n, &t.device)).map(|(p, _)| p);
        let draw = Draw { classes, psi: None, growth: growth.map_or(Growth::FULL, |(_, g)| g), pairs };
        let fake = Trainer::generate_with(&net, &t.plan, n, Stream::Fixed, 0, &t.device, &draw);
        let fake = match growth {
            Some((s, g)) => s.to_full(fake, g),
            None => fake,
        };
        // A stacked generator's images of every stage, each at its own resolution.
        let samples = run.join("samples");
        crate::stacked::write_stage_grids(&samples, &fake, dims[0], cols, step)
            .map_err(|e| io_err("write", &samples, e))?;
        let fake = values(fake);
        images::grid_with_columns(&path, &fake, n, cols, dims).map_err(|e| io_err("write", &path, e))?;
        if let Some((triplets, n, cols)) = held_out.and_then(|h| crate::paired::triplets(&net, &t.plan, h, &t.device)) {
            let path = run.join("samples").join(format!("pairs_step_{step:06}.png"));
            images::grid_with_columns(&path, &triplets, n, cols, dims).map_err(|e| io_err("write", &path, e))?;
        }
        // An encoder's reconstructions: rows of training images, each followed by G(E(x)).
        if let Some((e, _)) = &t.encoder {
            let encoder = crate::encoder::Encoder { net: e, noise: t.plan.encoder_noise.as_ref(), seed: t.plan.seed };
            let pairs = crate::encoder::reconstructions(&net, &encoder, data, &t.device);
            let path = run.join("samples").join(format!("reconstructions_step_{step:06}.png"));
            let n = pairs.len() / dims.iter().product::<usize>().max(1);
            images::grid_with_columns(&path, &pairs, n, crate::encoder::RECONSTRUCTION_COLUMNS, dims)
                .map_err(|e| io_err("write", &path, e))?;
        }
    } else {
        let real = data.batch(t.plan.seed, u64::MAX, 512).x;
        let fake = values(Trainer::generate(&net, &t.plan, 512, Stream::Fixed, 1, &t.device));
        plots::scatter(&path, &format!("step {step}"), &real, &fake).map_err(|e| io_err("write", &path, e))?;
    }
    Ok(path)
}

/// Measures how many modes of the mixture the sampling generator covers.
fn measure_modes(t: &Trainer, data: &ganc_data::Data, samples: usize) -> Result<ganc_data::Coverage, TrainError> {
    let ganc_data::Data::Mixture(mixture) = data else {
        return Err(TrainError::Io("`modes` measures 2D mixtures only".into()));
    };
    let net = t.sampler(true);
    let xy = values(Trainer::generate(&net, &t.plan, samples, Stream::Fixed, 2, &t.device));
    Ok(mixture.coverage(&xy))
}

/// Appends one row of measurements at `step` to `evaluate.csv` (atomically: rows past a resumed
/// run's checkpoint were dropped when it resumed).
fn append_evaluation(run: &Path, header: &str, step: u64, cells: &[String]) -> Result<(), TrainError> {
    let path = run.join("evaluate.csv");
    let mut text = fs::read_to_string(&path).unwrap_or_else(|_| format!("{header}\n"));
    let _ = writeln!(text, "{step},{}", cells.join(","));
    checkpoint::write_atomic(&path, text.as_bytes()).map_err(|e| io_err("write", &path, e))
}

/// The image metrics of a run's `evaluate` section: the feature network and the real images'
/// features, computed once when the run starts.
struct ImageEvaluation {
    net: FeatureNet,
    measures: Vec<Measure>,
    samples: usize,
    real: ganc_metrics::Features,
    dims: Vec<usize>,
    seed: u64,
}

impl ImageEvaluation {
    fn new(
        model: &Model,
        plan: &Plan,
        e: &crate::plan::Evaluate,
        data: &ganc_data::Data,
        opts: &TrainOptions,
        device: &Device,
    ) -> Result<ImageEvaluation, TrainError> {
        let net = FeatureNet::choose(model.data.source.name, opts.inception_weights.clone(), device)?;
        if e.images.contains(&Measure::ClassAccuracy) && !matches!(net, FeatureNet::Classifier(_)) {
            return Err(TrainError::Refused {
                message: "`class_accuracy` reads the classes of ganc's classifier, and Inception-v3 was given".into(),
                help: "train without --inception-weights (and GANC_INCEPTION_WEIGHTS) to measure `class_accuracy`"
                    .into(),
            });
        }
        let dims = plan.data_shape.clone();
        let real = data.batch(ganc_data::mix_seed(plan.seed, 5, 0), 0, e.image_samples).x;
        let (real, _) = net.features(&real, &dims, device);
        Ok(ImageEvaluation { net, measures: e.images.clone(), samples: e.image_samples, real, dims, seed: plan.seed })
    }

    /// The metrics of the sampling generator's images (for a paired G, its translations of
    /// `held_out`'s inputs), by column.
    fn measure(&self, t: &Trainer, held_out: Option<&ganc_data::Data>) -> Vec<(&'static str, f64)> {
        // `class_accuracy` needs the class of each sample: the classes in turn.
        let cycled = t.plan.g_classes().filter(|_| self.measures.contains(&Measure::ClassAccuracy));
        let drawn_for: Option<Vec<i64>> = cycled.map(|k| (0..self.samples).map(|i| (i % k) as i64).collect());
        let fake = generated(t, self.samples, held_out, drawn_for.as_deref());
        let (features, logits) = self.net.features(&fake, &self.dims, &t.device.clone().without_autodiff());
        crate::evaluate::measure(&self.measures, &self.real, &features, &logits, drawn_for.as_deref(), self.seed)
    }
}

/// `n` samples of the sampling generator (the EMA copy when kept) at the data's size, drawn in
/// chunks from a fixed stream (of the classes `drawn_for`, when given): a progressive run's
/// images at the resolution of its step, each pixel repeated up to the data's size.
fn generated(t: &Trainer, n: usize, held_out: Option<&ganc_data::Data>, drawn_for: Option<&[i64]>) -> Vec<f32> {
    let net = t.sampler(true);
    let growth = t.plan.progressive.as_ref().map(|s| (s, s.after(t.step)));
    let mut out = Vec::new();
    for (i, start) in (0..n).step_by(500).enumerate() {
        let m = 500.min(n - start);
        let pairs = held_out.and_then(|h| crate::paired::held_out(h, &t.plan, start, m, &t.device)).map(|(p, _)| p);
        let classes = drawn_for.map(|c| c[start..start + m].to_vec());
        let draw = Draw { classes, psi: None, growth: growth.map_or(Growth::FULL, |(_, g)| g), pairs };
        let fake = Trainer::generate_with(&net, &t.plan, m, Stream::Fixed, 100 + i as u64, &t.device, &draw);
        let fake = match growth {
            Some((s, g)) => s.to_full(fake, g),
            None => fake,
        };
        out.extend(values(fake));
    }
    out
}

/// A value's numbers, sample-major.
pub fn values(v: Value) -> Vec<f32> {
    v.flat().try_into_vec_as::<f32>().unwrap_or_default()
}

/// Draws `metrics.csv`'s losses as `loss.png` in the run directory.
pub fn plot_losses(run: &Path) -> Result<PathBuf, TrainError> {
    let csv = run.join("metrics.csv");
    let text = fs::read_to_string(&csv).map_err(|e| io_err("read", &csv, e))?;
    let mut d = Vec::new();
    let mut g = Vec::new();
    for line in text.lines().skip(1) {
        let f: Vec<f64> = line.split(',').map(|x| x.parse().unwrap_or(f64::NAN)).collect();
        if f.len() >= 3 {
            d.push((f[0], f[1]));
            g.push((f[0], f[2]));
        }
    }
    let path = run.join("loss.png");
    plots::curves(&path, "losses", &[("d_loss", d), ("g_loss", g)]).map_err(|e| io_err("write", &path, e))?;
    Ok(path)
}
