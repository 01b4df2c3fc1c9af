//! Reading a finished (or interrupted) run back: its model, plan and generator, without data.

use crate::checkpoint;
use crate::growth::Growth;
use crate::inputs::Stream;
use crate::network::Net;
use crate::plan::Plan;
use crate::run::{networks, resolve, values, with_saved_options, TrainError, TrainOptions};
use crate::trainer::Trainer;
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
    let mut out = Vec::with_capacity(n * loaded.plan.data_shape.iter().product::<usize>());
    let chunk = 256;
    for (i, start) in (0..n).step_by(chunk).enumerate() {
        let m = chunk.min(n - start);
        let mut plan = loaded.plan.clone();
        plan.seed = seed;
        let x =
            Trainer::generate_at(&loaded.generator, &plan, m, Stream::Sample, i as u64, &loaded.device, loaded.growth);
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
