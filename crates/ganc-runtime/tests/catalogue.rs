//! Every model in `models/` trains: two steps of each, at a batch of 4, on data this test writes
//! (MNIST- and Fashion-MNIST-like IDX files, CIFAR-10 binary batches, a folder of PNGs), so the
//! check runs on a fresh clone without any data set. Nothing is refused: no model of the
//! catalogue owes an E0501 any more.
//!
//! Image metrics on CIFAR-10 and image folders need Inception-v3's weights, which a fresh clone
//! does not have: those models train without their `evaluate` section, after the run is shown to
//! refuse to start without the weights, with the help that says how to supply them.

mod common;

use common::{serial, temp, write_mnist};
use ganc_check::{check_source, FsLoader};
use ganc_runtime::burn::tensor::Device;
use ganc_runtime::plan::plan;
use ganc_runtime::run::{networks, train, TrainError, TrainOptions};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

/// Writes every data set the models read under `dir`.
fn write_data(dir: &Path) {
    // 10 images of each class: enough for a semi-supervised model's `labels: 100`.
    write_mnist(dir, 100);
    std::fs::create_dir_all(dir.join("fashion-mnist")).unwrap();
    for file in
        ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
    {
        std::fs::copy(dir.join("mnist").join(file), dir.join("fashion-mnist").join(file)).unwrap();
    }
    let cifar = dir.join("cifar-10-batches-bin");
    std::fs::create_dir_all(&cifar).unwrap();
    for i in 1..=5 {
        let records: Vec<u8> = (0..16u8)
            .flat_map(|r| std::iter::once(r % 10).chain((0..3 * 32 * 32).map(move |p| (p as u8).wrapping_mul(r))))
            .collect();
        std::fs::write(cifar.join(format!("data_batch_{i}.bin")), records).unwrap();
    }
    let faces = dir.join("data/celeba");
    std::fs::create_dir_all(&faces).unwrap();
    for i in 0..8u8 {
        let img = image::RgbImage::from_fn(40, 36, |x, y| image::Rgb([x as u8 * 6, y as u8 * 7, i * 30]));
        img.save(faces.join(format!("{i}.png"))).unwrap();
    }
}

/// The model's text without its `evaluate` section.
fn without_evaluate(text: &str) -> String {
    let Some(start) = text.find("\nevaluate") else { return text.to_string() };
    let end = text[start..].find("\n}").map_or(text.len(), |e| start + e + 2);
    format!("{}{}", &text[..start], &text[end..])
}

/// `text` checked as the file `path` (its imports resolve beside it), which must give no error.
fn model(path: &Path, text: &str) -> ganc_check::ir::Model {
    let analysis = check_source(path, text, &FsLoader);
    assert!(!analysis.has_errors(), "{}: {:#?}", path.display(), analysis.diagnostics);
    analysis.model.expect("a model")
}

/// What the runtime refuses in `text`, by message.
fn refusals(path: &Path, text: &str) -> Vec<String> {
    let m = model(path, text);
    let lowered = plan(&m).map_err(TrainError::Unsupported).and_then(|_| networks(&m, &Device::flex()));
    match lowered {
        Ok(_) => Vec::new(),
        Err(TrainError::Unsupported(diags)) => diags.into_iter().map(|d| d.message).collect(),
        Err(e) => vec![e.to_string()],
    }
}

#[test]
fn every_model_trains_two_steps() {
    let _turn = serial();
    let data = temp("catalogue-data");
    write_data(&data);
    let files = common::catalogue();
    let mut trained = Vec::new();
    for path in &files {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let full = std::fs::read_to_string(path).unwrap();
        let refused = refusals(path, &full);
        assert!(refused.is_empty(), "{name} is refused: {refused:#?}");
        let out = temp(&format!("catalogue-{name}"));
        let opts = TrainOptions {
            steps: Some(2),
            batch: Some(4),
            data_dir: Some(data.clone()),
            out: Some(out.clone()),
            device: "cpu".into(),
            ..Default::default()
        };
        let mut text = full.clone();
        let mut result = train(&model(path, &text), &text, path, &opts, &AtomicBool::new(false), &mut |_| {});
        if let Err(TrainError::Evaluate(e)) = &result {
            assert!(e.help().contains("--inception-weights"), "{name}: {e}: {}", e.help());
            assert!(!out.join("metrics.csv").exists(), "{name}: refused before the first step");
            text = without_evaluate(&full);
            result = train(&model(path, &text), &text, path, &opts, &AtomicBool::new(false), &mut |_| {});
        }
        let run_dir: PathBuf = result.unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let metrics = std::fs::read_to_string(run_dir.join("metrics.csv")).unwrap();
        let last = metrics.lines().last().unwrap_or_default();
        assert!(last.starts_with("2,"), "{name}: the last row is step 2\n{metrics}");
        trained.push(name);
        let _ = std::fs::remove_dir_all(&out);
    }
    let _ = std::fs::remove_dir_all(&data);
    for must in ["sagan", "sngan_hinge_cifar", "biggan_lite", "pggan", "stylegan_lite"] {
        assert!(trained.iter().any(|t| t == must), "{must} did not train: {trained:?}");
    }
}
