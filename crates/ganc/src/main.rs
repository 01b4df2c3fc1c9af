//! `ganc`: check, explain and list `.gan` GAN experiments.

mod check;
mod compare;
mod eval;
mod explain;
mod fmt;
mod layers;
mod summary;
mod train;

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// The GAN compiler: validates `.gan` experiments before anything trains, then trains them.
#[derive(Parser)]
#[command(name = "ganc", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Output formats of `ganc check`.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum OutputFormat {
    /// Source excerpts with labels (colour on a terminal).
    Human,
    /// `path:line:col: error[E0123]: message`, one per line, for editors.
    Short,
    /// One JSON object per diagnostic per line (schema in the README).
    Json,
}

/// When to colour human output.
#[derive(Clone, Copy, ValueEnum, PartialEq, Eq, Debug)]
pub enum ColorChoice {
    /// On a terminal only.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

#[derive(Subcommand)]
enum Command {
    /// Check `.gan` files (directories are searched for `*.gan`).
    Check {
        /// Files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value = "human")]
        format: OutputFormat,
        /// Treat warnings as errors (exit 1).
        #[arg(long)]
        deny_warnings: bool,
        /// Print each network's layers, output shapes and parameter counts.
        #[arg(long)]
        summary: bool,
        /// When to use colour.
        #[arg(long, value_enum, default_value = "auto")]
        color: ColorChoice,
    },
    /// Explain a diagnostic code (`E0305`) or a layer, loss, regularizer or option by name.
    Explain {
        /// A code or a name.
        what: String,
    },
    /// Train a model: samples, metrics, curves and checkpoints go to a run directory.
    Train {
        /// The model (optional with --resume).
        model: Option<PathBuf>,
        /// Steps to train (overrides the file).
        #[arg(long)]
        steps: Option<u64>,
        /// Batch size (overrides the file).
        #[arg(long)]
        batch: Option<usize>,
        /// Seed (overrides the file).
        #[arg(long)]
        seed: Option<u64>,
        /// The run directory (default runs/<model>-<time>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// cpu (burn flex), ndarray, or cuda[:N] (built with --features cuda).
        #[arg(long, default_value = "cpu")]
        device: String,
        /// Where data files are (else $GANC_DATA_DIR, else ./data).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// Continue a run from its checkpoint.
        #[arg(long)]
        resume: Option<PathBuf>,
        /// Inception-v3's FID weights as safetensors, for the image metrics of `evaluate` (else
        /// $GANC_INCEPTION_WEIGHTS; without them, ganc's classifier on MNIST and Fashion-MNIST).
        #[arg(long, value_name = "FILE")]
        inception_weights: Option<PathBuf>,
    },
    /// Generate samples from a run's checkpoint (no data needed): .npy, a .png grid, or a folder of PNGs.
    Sample {
        /// A run directory or its checkpoint folder.
        run: PathBuf,
        /// How many samples.
        #[arg(short = 'n', long, default_value_t = 64)]
        n: usize,
        /// Output: `x.npy`, `grid.png`, or a folder name.
        #[arg(short = 'o', long)]
        out: PathBuf,
        /// Seed of the latents.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Every sample of this class (a conditional generator; a .png of one without it has a row per class).
        #[arg(long)]
        class: Option<usize>,
        /// Truncation: psi toward the average style w for a generator with adain layers (StyleGAN),
        /// else the threshold of the truncated normal latents (BigGAN).
        #[arg(long)]
        truncation: Option<f64>,
        /// Use the EMA generator when the run keeps one (the default).
        #[arg(long, overrides_with = "no_ema")]
        ema: bool,
        /// Use the raw generator even when the run keeps an EMA copy.
        #[arg(long, overrides_with = "ema")]
        no_ema: bool,
        /// Device.
        #[arg(long, default_value = "cpu")]
        device: String,
    },
    /// Write a run's generator weights as safetensors, named after the .gan statements.
    Export {
        /// A run directory or its checkpoint folder.
        run: PathBuf,
        /// The .safetensors file to write.
        #[arg(short = 'o', long)]
        out: PathBuf,
        /// Export the EMA generator when the run keeps one (the default).
        #[arg(long, overrides_with = "no_ema")]
        ema: bool,
        /// Export the raw generator even when the run keeps an EMA copy.
        #[arg(long, overrides_with = "ema")]
        no_ema: bool,
    },
    /// Compare runs: a table of each one's final and best metrics and speed, and one metric's
    /// curves overlaid in a PNG.
    Compare {
        /// Run directories.
        #[arg(required = true)]
        runs: Vec<PathBuf>,
        /// The metric whose curves are drawn (default: the first of modes, high_quality, fid,
        /// kid, inception_score, precision, recall, classes, test_error, reconstruction,
        /// linear_probe, elbo, m_global, d_accuracy, epsilon, d_loss, g_loss that every run
        /// recorded).
        #[arg(long)]
        metric: Option<String>,
        /// The chart to write.
        #[arg(short = 'o', long, default_value = "compare.png")]
        out: PathBuf,
    },
    /// Measure generated images against the data: FID, KID, Inception Score, precision and
    /// recall, classes covered. `--train-classifier` trains the feature network instead.
    Eval {
        /// A run directory, a `.npy` of samples, or a folder of images.
        source: Option<PathBuf>,
        /// Train ganc's classifier on `mnist` or `fashion_mnist` and write its weights.
        #[arg(long, value_name = "DATA")]
        train_classifier: Option<String>,
        /// Epochs of classifier training.
        #[arg(long, default_value_t = 4)]
        epochs: usize,
        /// Seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Where to write the classifier's weights (default `<data>.safetensors`).
        #[arg(short = 'o', long)]
        out: Option<PathBuf>,
        /// Where data files are (else $GANC_DATA_DIR, else ./data).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// The real data: mnist, fashion_mnist, cifar10 or a folder of images (a run's own data by default).
        #[arg(long)]
        data: Option<String>,
        /// Generated images to measure (and real images to compare them with).
        #[arg(short = 'n', long, default_value_t = 5_000)]
        samples: usize,
        /// The metrics, comma-separated: fid, kid, inception_score, precision_recall, classes_covered.
        #[arg(long, value_delimiter = ',', default_value = "fid,kid,inception_score,precision_recall,classes_covered")]
        metrics: Vec<String>,
        /// Inception-v3's FID weights as safetensors (else $GANC_INCEPTION_WEIGHTS; without them,
        /// ganc's classifier on MNIST and Fashion-MNIST).
        #[arg(long, value_name = "FILE")]
        inception_weights: Option<PathBuf>,
        /// Device.
        #[arg(long, default_value = "cpu")]
        device: String,
    },
    /// Redraw a run's loss curves (loss.png) from its metrics.csv.
    Plot {
        /// A run directory.
        run: PathBuf,
    },
    /// Rewrite .gan files in the canonical layout (comments kept); --check only reports.
    Fmt {
        /// Files and directories (searched recursively for *.gan).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Change nothing; exit 1 if a file is not formatted (for CI).
        #[arg(long)]
        check: bool,
    },
    /// Run the language server over stdin and stdout (for editors).
    Lsp,
    /// List every layer, loss, regularizer, optimizer, option and data source with its parameters.
    Layers {
        /// Only this kind: layer, wrapper, loss, regularizer, optimizer, option, periodic, watch,
        /// schedule, data, distribution, condition, output, metric.
        #[arg(long)]
        kind: Option<String>,
        /// Only the names `ganc train` lowers today, one markdown line per kind (as in the README).
        #[arg(long)]
        trains: bool,
    },
}

fn main() -> ExitCode {
    // Training's kernels then split their work with this thread rather than handing it off.
    ganc_runtime::threads::join_global_pool();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check { paths, format, deny_warnings, summary, color } => {
            check::run(&check::Options { paths, format, deny_warnings, summary, color })
        }
        Command::Explain { what } => explain::run(&what),
        Command::Layers { kind, trains } => layers::run(kind.as_deref(), trains),
        Command::Fmt { paths, check } => fmt::run(&paths, check),
        Command::Lsp => ganc_lsp::run_stdio().map(|()| ExitCode::SUCCESS).map_err(|e| {
            miette::miette!(
                help = "`ganc lsp` is started by an editor; see editors/ in the repository",
                "the language server stopped: {e}"
            )
        }),
        Command::Train { model, steps, batch, seed, out, device, data_dir, resume, inception_weights } => {
            let options = ganc_runtime::run::TrainOptions {
                steps,
                batch,
                seed,
                out,
                device,
                data_dir,
                resume,
                inception_weights,
            };
            train::run(train::TrainArgs { model, options })
        }
        Command::Sample { run, n, out, seed, class, truncation, no_ema, device, .. } => {
            let request = ganc_runtime::sample::Request { class, truncation, rows_by_class: false };
            train::sample(&run, n, &out, seed, request, !no_ema, &device)
        }
        Command::Export { run, out, no_ema, .. } => train::export(&run, &out, !no_ema, "cpu"),
        Command::Plot { run } => train::plot(&run),
        Command::Eval { train_classifier: Some(data), epochs, seed, out, data_dir, .. } => {
            eval::train_classifier(&data, data_dir.as_deref(), epochs, seed, out)
        }
        Command::Eval { source: None, .. } => Err(miette::miette!(
            help = "e.g. `ganc eval runs/dcgan_mnist-...` or `ganc eval --train-classifier mnist`",
            "what should be measured? pass a run directory, a .npy of samples or a folder of images"
        )),
        Command::Eval {
            source: Some(source),
            data,
            data_dir,
            samples,
            metrics,
            inception_weights,
            device,
            seed,
            ..
        } => eval::run(eval::Args { source, data, data_dir, samples, metrics, inception_weights, device, seed }),
        Command::Compare { runs, metric, out } => compare::run(&runs, metric.as_deref(), &out),
    };
    match result {
        Ok(code) => code,
        Err(report) => {
            eprintln!("{report:?}");
            ExitCode::from(2)
        }
    }
}
