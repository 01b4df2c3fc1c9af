//! `ganc eval`: measures generated images (a run's generator, a `.npy` of samples or a folder of
//! images) against the real data, and `ganc eval --train-classifier` trains the classifier whose
//! features the measures compare on MNIST and Fashion-MNIST.

use ganc_runtime::evaluate::classifier::{self, Dataset};
use ganc_runtime::evaluate::samples::{evaluate, Request};
use ganc_runtime::evaluate::{Measure, ALL};
use miette::{miette, Result};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Trains ganc's classifier on `data`, printing each epoch's test accuracy, and writes its weights.
pub fn train_classifier(
    data: &str,
    data_dir: Option<&Path>,
    epochs: usize,
    seed: u64,
    out: Option<PathBuf>,
) -> Result<ExitCode> {
    let dataset = Dataset::from_name(data).ok_or_else(|| {
        miette!(
            help = "ganc trains its classifier on `mnist` or `fashion_mnist`",
            "no classifier for the data `{data}`"
        )
    })?;
    let dir = ganc_data::data_dir(data_dir);
    let mut last = 0.0;
    let net = classifier::train(dataset, &dir, epochs, seed, None, &mut |e| {
        println!("epoch {}: training loss {:.4}, test accuracy {:.2}%", e.epoch, e.loss, 100.0 * e.test_accuracy);
        last = e.test_accuracy;
    })
    .map_err(|e| miette!(help = "pass --data-dir, or set GANC_DATA_DIR (see the README's data section)", "{e}"))?;
    let out = out.unwrap_or_else(|| PathBuf::from(format!("{}.safetensors", dataset.name())));
    let meta = [
        ("data", dataset.name().to_string()),
        ("epochs", epochs.to_string()),
        ("seed", seed.to_string()),
        ("test_accuracy", format!("{last:.4}")),
    ];
    net.save(&out, &meta).map_err(|e| miette!("cannot write `{}`: {e}", out.display()))?;
    println!("wrote {} (test accuracy {:.2}%)", out.display(), 100.0 * last);
    Ok(ExitCode::SUCCESS)
}

/// What `ganc eval SOURCE` was asked.
pub struct Args {
    /// A run directory, a `.npy` or a folder of images.
    pub source: PathBuf,
    /// The real data's name or folder.
    pub data: Option<String>,
    /// `--data-dir`.
    pub data_dir: Option<PathBuf>,
    /// Images to measure.
    pub samples: usize,
    /// Metric names.
    pub metrics: Vec<String>,
    /// `--inception-weights`.
    pub inception_weights: Option<PathBuf>,
    /// `--device`.
    pub device: String,
    /// `--seed`.
    pub seed: u64,
}

/// Measures the source's images and prints a table; a run's result is also appended to its `eval.csv`.
pub fn run(args: Args) -> Result<ExitCode> {
    let measures = args
        .metrics
        .iter()
        .map(|m| {
            Measure::from_name(m.trim(), 10).ok_or_else(|| {
                miette!(
                    help = "one of: fid, kid, inception_score, precision_recall, classes_covered",
                    "unknown metric `{m}`"
                )
            })
        })
        .collect::<Result<Vec<_>>>()?;
    if measures.contains(&Measure::ClassAccuracy) {
        return Err(miette!(
            help = "measure it while training, with `evaluate every N steps { class_accuracy }`",
            "`class_accuracy` needs the class each sample was drawn for, which samples on their own do not tell"
        ));
    }
    let request = Request {
        source: args.source.clone(),
        data: args.data,
        data_dir: ganc_data::data_dir(args.data_dir.as_deref()),
        samples: args.samples.max(4),
        measures,
        inception_weights: args.inception_weights,
        device: args.device,
        seed: args.seed,
    };
    // Keep freed buffers for the next chunk of images, as training does between steps.
    ganc_runtime::memory::retain_freed_memory();
    let e = evaluate(&request).map_err(|e| miette!(help = e.help(), "{e}"))?;
    let step = e.step.map_or(String::new(), |s| format!(" at step {s}"));
    println!(
        "{}{step}: {} samples against {}, features of the {}",
        args.source.display(),
        e.samples,
        e.data,
        e.network
    );
    println!();
    println!("| metric | value |");
    println!("| --- | ---: |");
    for (name, value) in &e.values {
        println!("| {name} | {value:.4} |");
    }
    if let Some(step) = e.step {
        // Every metric's column, empty where this call did not measure it: one header for all calls.
        let path = args.source.join("eval.csv");
        let columns: Vec<&str> = ALL.iter().flat_map(|m| m.columns().iter().copied()).collect();
        let mut text =
            std::fs::read_to_string(&path).unwrap_or_else(|_| format!("step,samples,network,{}\n", columns.join(",")));
        let cells: Vec<String> = columns
            .iter()
            .map(|c| e.values.iter().find(|(n, _)| n == c).map_or(String::new(), |(_, v)| format!("{v:.6}")))
            .collect();
        let _ = writeln!(text, "{step},{},{},{}", e.samples, e.network, cells.join(","));
        ganc_runtime::checkpoint::write_atomic(&path, text.as_bytes())
            .map_err(|err| miette!("cannot write `{}`: {err}", path.display()))?;
        println!("\nappended to {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}
