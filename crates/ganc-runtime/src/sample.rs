//! Reading a finished (or interrupted) run back: its model, plan and generator, without data.

use crate::checkpoint;
use crate::growth::Growth;
use crate::inputs::Stream;
use crate::network::Net;
use crate::plan::Plan;
use crate::run::{networks, resolve, values, with_saved_options, TrainError, TrainOptions};
use crate::trainer::{Draw, Trainer};
use burn::tensor::Device;
use ganc_check::ir::Model;
use ganc_check::{check_source, FsLoader};
use std::path::{Path, PathBuf};

/// A run's generator, ready to sample.
pub struct Loaded {
    /// The run directory.
    pub run: PathBuf,
    /// The checked model the run trained.
    pub model: Model,
    /// Its plan.
    pub plan: Plan,
    /// The generator (the EMA copy when asked and present).
    pub generator: Net,
    /// Whether `generator` is the EMA copy.
    pub is_ema: bool,
    /// How far its progressive stages had grown at the checkpoint.
    pub growth: Growth,
    /// The device it lives on.
    pub device: Device,
}

/// Loads the run at `path` (a run directory or its `checkpoint/` folder).
pub fn load(path: &Path, device_name: &str, ema: bool) -> Result<Loaded, TrainError> {
    let ckpt = checkpoint::find(path).ok_or_else(|| {
        TrainError::Io(format!(
            "`{}` holds no checkpoint (looked for a state.json in checkpoint/, checkpoint.old/ and checkpoint.tmp/)",
            path.display()
        ))
    })?;
    let run = if ckpt == path { path.parent().unwrap_or(path).to_path_buf() } else { path.to_path_buf() };
    let source_path = run.join("model.gan");
    let source = std::fs::read_to_string(&source_path)
        .map_err(|e| TrainError::Io(format!("cannot read `{}`: {e}", source_path.display())))?;
    let options: serde_json::Value = std::fs::read_to_string(run.join("run.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    // Imports resolve next to the original model file, as when the run started.
    let original = options["model"].as_str().map(PathBuf::from).unwrap_or(source_path.clone());
    let analysis = check_source(&original, &source, &FsLoader);
    let model = analysis.model.ok_or_else(|| {
        TrainError::Io(format!("the run's model `{}` no longer checks: run `ganc check` on it", original.display()))
    })?;
    let plan = resolve(&model, &with_saved_options(&TrainOptions::default(), &run))?;
    if plan.g_reads_pairs() {
        return Err(TrainError::Refused {
            message: "the generator reads what travels with each sample (a paired input or an embedding), and \
                      sampling has none to give it"
                .into(),
            help: "the run's samples/ grids show G's outputs for held-out pairs or embeddings \
                   (pairs_step_*.png: input, output, target), and its evaluate.csv what was measured on them"
                .into(),
        });
    }
    let device = crate::device::parse(device_name).map_err(TrainError::Device)?;
    let (g, _) = networks(&model, &device)?;
    let state = checkpoint::state(&ckpt).map_err(|e| TrainError::Io(format!("{}: {e}", ckpt.display())))?;
    let use_ema = ema && state.ema;
    let file = ckpt.join(if use_ema { "ema.bpk" } else { "g.bpk" });
    let generator = checkpoint::load_net(g, &file).map_err(|e| TrainError::Io(e.to_string()))?;
    let growth = plan.progressive.as_ref().map_or(Growth::FULL, |s| s.after(state.step));
    Ok(Loaded { run, model, plan, generator, is_ema: use_ema, device, growth })
}

/// `n` samples in the data's value range, sample-major, and the shape `[n, ...]`; a run stopped
/// while growing gives images of its resolution then, each pixel repeated to the data's size.
pub fn sample(loaded: &Loaded, n: usize, seed: u64) -> (Vec<f32>, Vec<usize>) {
    let (values, shape) = draw(loaded, n, seed, None, &Draw::default());
    (values, shape)
}

/// What `ganc sample` asks for besides how many samples and the seed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Request {
    /// Every sample of this class (a conditional generator).
    pub class: Option<usize>,
    /// One row per class (a conditional generator's grid).
    pub rows_by_class: bool,
    /// Truncation: `psi` in w space for a generator with `adain` layers, else the threshold of
    /// the truncated normal the latents are drawn from.
    pub truncation: Option<f64>,
}

/// Samples drawn for a [`Request`].
#[derive(Clone, Debug)]
pub struct Samples {
    /// The values, sample-major.
    pub values: Vec<f32>,
    /// `[n, ...]`.
    pub shape: Vec<usize>,
    /// Images per row of a grid, when the request fixes it (one row per class).
    pub columns: Option<usize>,
}

/// Why a [`Request`] cannot be drawn from a run.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum RequestError {
    /// `--class` or rows by class for a generator without labels.
    #[error("the generator takes no class labels, so samples have no class")]
    NotConditional,
    /// `--class` beyond the classes.
    #[error("class {class} does not exist: the generator takes {classes} classes (0 to {})", classes - 1)]
    NoSuchClass {
        /// Asked.
        class: usize,
        /// The generator's classes.
        classes: usize,
    },
    /// A truncation threshold of the latents must be positive.
    #[error("truncation {0} keeps no latent: the threshold must be positive")]
    Threshold(f64),
    /// Psi must be finite.
    #[error("truncation psi {0} is not a finite number")]
    Psi(f64),
}

impl RequestError {
    /// What to do instead.
    pub fn help(&self) -> String {
        match self {
            RequestError::NotConditional => "sample without `--class`".into(),
            RequestError::NoSuchClass { classes, .. } => format!("pass `--class` from 0 to {}", classes - 1),
            RequestError::Threshold(_) => {
                "this generator has no style vector (`adain`): `--truncation` is the threshold of its latents, e.g. 0.7"
                    .into()
            }
            RequestError::Psi(_) => "pass a number such as 0.7".into(),
        }
    }
}

/// `n` samples for `request` (`n` is rounded up to whole rows for rows by class).
pub fn sample_with(loaded: &Loaded, n: usize, seed: u64, request: &Request) -> Result<Samples, RequestError> {
    let classes = loaded.plan.g_classes();
    let styles = loaded.generator.has_styles();
    let mut plan_truncation = None;
    let mut draw = Draw::default();
    match request.truncation {
        Some(t) if !t.is_finite() => return Err(RequestError::Psi(t)),
        Some(psi) if styles => draw.psi = Some(psi),
        Some(t) if t <= 0.0 => return Err(RequestError::Threshold(t)),
        t => plan_truncation = t,
    }
    let (mut n, mut columns) = (n, None);
    if request.class.is_some() || request.rows_by_class {
        let classes = classes.ok_or(RequestError::NotConditional)?;
        match request.class {
            Some(class) if class >= classes => return Err(RequestError::NoSuchClass { class, classes }),
            Some(class) => draw.classes = Some(vec![class as i64; n]),
            None => {
                let cols = n.div_ceil(classes).max(1);
                n = cols * classes;
                columns = Some(cols);
                draw.classes = Some(crate::run::class_rows(classes, cols));
            }
        }
    }
    let (values, shape) = self::draw(loaded, n, seed, plan_truncation, &draw);
    Ok(Samples { values, shape, columns })
}

/// `n` samples in chunks, each with its slice of `draw`'s classes.
fn draw(loaded: &Loaded, n: usize, seed: u64, truncation: Option<f64>, draw: &Draw) -> (Vec<f32>, Vec<usize>) {
    let mut out = Vec::with_capacity(n * loaded.plan.data_shape.iter().product::<usize>());
    let chunk = 256;
    let mut plan = loaded.plan.clone();
    plan.seed = seed;
    plan.truncation = truncation.or(plan.truncation);
    for (i, start) in (0..n).step_by(chunk).enumerate() {
        let m = chunk.min(n - start);
        let part = Draw {
            classes: draw.classes.as_ref().map(|c| c[start..start + m].to_vec()),
            psi: draw.psi,
            growth: loaded.growth,
            pairs: None,
        };
        let x = Trainer::generate_with(&loaded.generator, &plan, m, Stream::Sample, i as u64, &loaded.device, &part);
        let x = match &plan.progressive {
            Some(s) => s.to_full(x, loaded.growth),
            None => x,
        };
        out.extend(values(x));
    }
    let mut shape = vec![n];
    shape.extend(&loaded.plan.data_shape);
    (out, shape)
}
