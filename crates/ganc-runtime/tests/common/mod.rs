//! What the runtime tests share: turns at burn's global generator, checked models, temporary
//! folders, trainers and runs of tiny models, the weights of a network, and a small MNIST.
#![allow(dead_code)] // Each test binary uses its own part.

use ganc_check::{check_source, FsLoader};
use ganc_runtime::burn::module::{Module, ModuleVisitor, Param};
use ganc_runtime::burn::tensor::{Device, Tensor};
use ganc_runtime::network::Net;
use ganc_runtime::run::{train, Event, TrainError, TrainOptions};
use ganc_runtime::trainer::Trainer;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

/// burn's random generator is global to the process: tests that draw from it (initialisation,
/// dropout, noise) take turns, as separate `ganc train` processes would.
static RNG: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Waits for the turn of the calling test.
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    RNG.lock().unwrap_or_else(|e| e.into_inner())
}

/// The 8-Gaussian ring with small MLPs: no data files, a step in about a millisecond. Tests
/// change it by replacing its lines.
pub const RING: &str = r#"
data ring(8)
latent z ~ normal(4)
generator G(z) -> point { linear(16) relu linear(2) }
discriminator D(point) -> logit { linear(16) leaky_relu(0.2) linear(1) }
loss non_saturating
train {
    batch: 32
    steps: 10
    seed: 3
}
"#;

/// `text` checked, which must give no error.
pub fn model(text: &str) -> ganc_check::ir::Model {
    let analysis = check_source(Path::new("test.gan"), text, &FsLoader);
    assert!(!analysis.has_errors(), "{:#?}", analysis.diagnostics);
    analysis.model.expect("a model")
}

/// A fresh, empty path in the temporary directory.
pub fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ganc-rt-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A trainer for `text` on the CPU, its networks (and encoder) initialised as `ganc train`
/// initialises them, and its data (a 2D mixture: no files).
pub fn trainer(text: &str) -> (Trainer, ganc_data::Data) {
    let m = model(text);
    let plan = ganc_runtime::plan::plan(&m).expect("a model the runtime trains");
    let device = Device::flex().autodiff();
    device.seed(plan.seed);
    let (g, d) = ganc_runtime::run::networks(&m, &device).expect("lowers");
    let data = ganc_data::open(&plan.source, Path::new("no-data")).expect("generated data");
    let e = ganc_runtime::run::encoder(&m, &device).expect("lowers");
    let t = Trainer::new(plan, g, d, device);
    (if let Some(e) = e { t.with_encoder(e) } else { t }, data)
}

/// Trains `text` into `dir` with `opts` (on the CPU), collecting the warnings.
pub fn run(text: &str, dir: &Path, opts: TrainOptions) -> (Result<PathBuf, TrainError>, Vec<String>) {
    let m = model(text);
    let opts = TrainOptions { out: Some(dir.to_path_buf()), device: "cpu".into(), ..opts };
    let mut warnings = Vec::new();
    let result = train(&m, text, Path::new("test.gan"), &opts, &AtomicBool::new(false), &mut |e| {
        if let Event::Warning(w) = e {
            warnings.push(w);
        }
    });
    (result, warnings)
}

/// Every float tensor of a network (weights and running statistics), flattened in visiting
/// order.
pub fn weights(net: &Net) -> Vec<f32> {
    struct All(Vec<f32>);
    impl ModuleVisitor for All {
        fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<D>>) {
            self.0.extend(p.val().inner().try_into_vec_as::<f32>().expect("float values"));
        }
    }
    let mut all = All(Vec::new());
    net.visit(&mut all);
    all.0
}

/// Writes `n` MNIST-like images (28x28, a bright square moving with the label) and their
/// labels as raw IDX files of the training split under `dir/mnist/`, and the same images as its
/// test split.
pub fn write_mnist(dir: &Path, n: usize) {
    let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
    let square = |label: u8, p: usize| (p / 28 / 4) as u8 == label % 7 && (8..20).contains(&(p % 28));
    let images: Vec<u8> =
        labels.iter().flat_map(|&l| (0..28 * 28).map(move |p| if square(l, p) { 255 } else { 0 })).collect();
    for split in [ganc_data::Split::Train, ganc_data::Split::Test] {
        ganc_data::write_idx(&dir.join("mnist"), split, 28, 28, &images, &labels).unwrap();
    }
}

/// The values of a tensor, in order.
pub fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().unwrap()
}

/// The values of a network value, sample-major.
pub fn value_vec(v: ganc_runtime::value::Value) -> Vec<f32> {
    v.flat().into_data().try_to_vec::<f32>().unwrap()
}

/// Asserts `a` equals `b` element by element within `tol` times `b`'s largest magnitude.
pub fn assert_close(a: &[f32], b: &[f32], tol: f32, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    let scale = b.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-6);
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= tol * scale, "{what}[{i}]: {x} vs {y} (scale {scale})");
    }
}

/// The paths of the models in `models/`, sorted.
pub fn catalogue() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "gan"))
        .collect();
    files.sort();
    files
}

/// A run of `text` for 12 steps equals one stopped after 5 (its checkpoint holding `kept`) and
/// resumed, metric for metric.
pub fn assert_resumes_exactly(text: &str, name: &str, kept: &str) {
    assert_resumes_exactly_on(text, name, kept, None);
}

/// [`assert_resumes_exactly`] with the data files under `data`.
pub fn assert_resumes_exactly_on(text: &str, name: &str, kept: &str, data: Option<&Path>) {
    let (whole, halves) = (temp(&format!("{name}-whole")), temp(&format!("{name}-halves")));
    let steps = |n| TrainOptions { steps: Some(n), data_dir: data.map(Path::to_path_buf), ..TrainOptions::default() };
    let a = run(text, &whole, steps(12)).0.expect("trains");
    run(text, &halves, steps(5)).0.expect("trains");
    assert!(halves.join("checkpoint").join(kept).exists(), "{kept} is in the checkpoint");
    let b = run(text, &halves, TrainOptions { resume: Some(halves.clone()), ..steps(12) }).0.expect("resumes");
    // metrics.csv without its timing column.
    let metrics = |run: &std::path::Path| -> Vec<String> {
        let text = std::fs::read_to_string(run.join("metrics.csv")).unwrap();
        let timing = text.lines().next().unwrap().split(',').position(|c| c == "steps_per_sec").unwrap();
        let row = |l: &str| -> String {
            l.split(',').enumerate().filter(|(i, _)| *i != timing).map(|(_, c)| c).collect::<Vec<_>>().join(",")
        };
        text.lines().map(row).collect()
    };
    assert_eq!(metrics(&a), metrics(&b));
    std::fs::remove_dir_all(&whole).ok();
    std::fs::remove_dir_all(&halves).ok();
}

/// A committed JSON fixture of `tests/fixtures/` (written by the PyTorch script beside it).
pub fn fixture(name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name))
        .expect("the fixture is committed");
    serde_json::from_str(&text).expect("the fixture is JSON")
}

/// A fixture's array of numbers, as f32.
pub fn floats(v: &serde_json::Value) -> Vec<f32> {
    v.as_array().expect("an array").iter().map(|x| x.as_f64().expect("a number") as f32).collect()
}
