//! `ganc train`, `ganc sample`, `ganc export`, `ganc plot`: the runtime from the command line.

use crate::check::render_analysis;
use ganc_check::{check_source, FsLoader, Loader};
use ganc_runtime::run::{train, Event, TrainError, TrainOptions};
use indicatif::{ProgressBar, ProgressStyle};
use miette::{miette, IntoDiagnostic, Result};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// What `ganc train` was asked to do.
pub struct TrainArgs {
    /// The model (optional with `--resume`: the run keeps its own copy).
    pub model: Option<PathBuf>,
    /// Runtime options.
    pub options: TrainOptions,
}

/// Prints a line above the progress bar, or plainly when there is none.
fn say(bar: &Option<ProgressBar>, line: String) {
    match bar {
        Some(b) => b.println(line),
        None => println!("{line}"),
    }
}

/// Runs `ganc train`.
pub fn run(args: TrainArgs) -> Result<ExitCode> {
    let path = match (&args.model, &args.options.resume) {
        (Some(p), _) => p.clone(),
        (None, Some(run)) => {
            let json: serde_json::Value = std::fs::read_to_string(run.join("run.json"))
                .ok()
                .and_then(|t| serde_json::from_str(&t).ok())
                .ok_or_else(|| {
                    miette!(help = "pass a run directory made by `ganc train`", "`{}` has no run.json", run.display())
                })?;
            PathBuf::from(json["model"].as_str().unwrap_or("model.gan"))
        }
        (None, None) => {
            return Err(miette!(help = "e.g. `ganc train models/ring_vanilla.gan`", "which model? pass a .gan file"))
        }
    };
    // A resumed run trains the model it started with: its own copy of the source.
    let text = match &args.options.resume {
        Some(run) => std::fs::read_to_string(run.join("model.gan")).map_err(|e| {
            miette!(
                help = "pass a run directory made by `ganc train`",
                "cannot read `{}`: {e}",
                run.join("model.gan").display()
            )
        })?,
        None => FsLoader
            .load(&path)
            .map_err(|e| miette!(help = "check the path", "cannot read `{}`: {e}", path.display()))?,
    };
    let analysis = check_source(&path, &text, &FsLoader);
    if analysis.has_errors() || analysis.model.is_none() {
        render_analysis(&analysis)?;
        return Ok(ExitCode::from(1));
    }
    let model = analysis.model.as_ref().expect("checked above");

    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    // A second Ctrl-C ends the process at once.
    let _ = ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
    let tty = std::io::stdout().is_terminal();
    let mut bar: Option<ProgressBar> = None;
    let mut log_every = 1u64;
    let mut on_event = |event: Event<'_>| match event {
        Event::Started { run, step, steps } => {
            println!("training {} -> {}", path.display(), run.display());
            log_every = (steps / 20).clamp(1, 500);
            if tty {
                let b = ProgressBar::new(steps).with_position(step);
                b.set_style(
                    ProgressStyle::with_template("{bar:30} {pos}/{len} {msg} [{elapsed_precise}<{eta_precise}]")
                        .expect("a valid template"),
                );
                bar = Some(b);
            }
        }
        Event::Step(m, rate) => {
            // A progressive run shows the step's resolution and the newest stage's alpha.
            let growth = m.growth.map_or(String::new(), |(r, alpha)| format!("{r}x{r} alpha {alpha:.2} "));
            // BEGAN shows k_t and its convergence measure.
            let mut extra = m.equilibrium.map_or(String::new(), |(k, g)| format!("k {k:.4} M_global {g:.4} "));
            // A private run shows the epsilon spent.
            if let Some(e) = m.epsilon {
                extra.push_str(&format!("eps {e:.3} "));
            }
            let line = format!(
                "step {} {growth}d_loss {:.4} g_loss {:.4} D(x) {:.3} D(G(z)) {:.3} {extra}{rate:.2} it/s",
                m.step, m.d_loss, m.g_loss, m.d_real, m.d_fake
            );
            match &bar {
                Some(b) => {
                    b.set_position(m.step);
                    b.set_message(format!("{growth}d {:.3} g {:.3} {extra}{rate:.1} it/s", m.d_loss, m.g_loss));
                }
                None if m.step % log_every == 0 => println!("{line}"),
                None => {}
            }
        }
        Event::Warning(w) => say(&bar, format!("warning: {w}")),
        Event::Note(n) => say(&bar, format!("note: {n}")),
        Event::Report(r) if r.findings.is_empty() => say(&bar, "report: no sign of failure".to_string()),
        Event::Report(r) => {
            for f in &r.findings {
                say(&bar, format!("report: from step {}: {} ({})", f.step, f.what, f.evidence));
            }
        }
        Event::Evaluated(step, c) => say(
            &bar,
            format!(
                "step {step}: {}/{} modes covered, {:.1}% high-quality samples",
                c.modes,
                c.total,
                100.0 * c.high_quality
            ),
        ),
        Event::Measured(step, values) => {
            let cells: Vec<String> = values.iter().map(|(name, v)| format!("{name} {v:.4}")).collect();
            say(&bar, format!("step {step}: {}", cells.join(", ")))
        }
        Event::Wrote(p) => {
            if p.extension().is_none_or(|e| e != "png") || p.file_name().is_some_and(|n| n == "loss.png") {
                say(&bar, format!("wrote {}", p.display()))
            }
        }
    };
    let result = train(model, &text, &path, &args.options, &stop, &mut on_event);
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    match result {
        Ok(run) => {
            let verb = if stop.load(Ordering::SeqCst) { "interrupted; checkpoint written" } else { "done" };
            println!(
                "{verb}: samples in {0}/samples, curves in {0}/loss.png, metrics in {0}/metrics.csv",
                run.display()
            );
            println!("resume with `ganc train --resume {}`", run.display());
            Ok(if stop.load(Ordering::SeqCst) { ExitCode::from(130) } else { ExitCode::SUCCESS })
        }
        Err(TrainError::Unsupported(diags)) => {
            let mut shown = ganc_check::Analysis { sources: analysis.sources.clone(), diagnostics: diags, model: None };
            shown.diagnostics.sort_by_key(|d| (d.primary.span.file, d.primary.span.start));
            render_analysis(&shown)?;
            Ok(ExitCode::from(1))
        }
        Err(TrainError::Data(e)) => Err(miette::Report::new(e)),
        Err(TrainError::Evaluate(e)) => Err(miette!(help = e.help(), "{e}")),
        Err(TrainError::Refused { message, help }) => Err(miette!(help = help, "{message}")),
        Err(e @ (TrainError::NonFinite { .. } | TrainError::NonFiniteWeights { .. })) => {
            eprintln!("error: {e}");
            eprintln!("help: lower the learning rates, check the loss against D's output, or add a gradient penalty (ganhacks #10)");
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(miette!(help = "check the paths and the device", "{e}")),
    }
}

/// Runs `ganc sample`.
pub fn sample(
    run: &Path,
    n: usize,
    out: &Path,
    seed: u64,
    mut request: ganc_runtime::sample::Request,
    ema: bool,
    device: &str,
) -> Result<ExitCode> {
    let loaded = ganc_runtime::sample::load(run, device, ema)
        .map_err(|e| miette!(help = "pass a run directory made by `ganc train`", "{e}"))?;
    let ext = out.extension().and_then(|e| e.to_str()).unwrap_or("");
    // A grid of a conditional generator shows one row per class.
    request.rows_by_class = request.class.is_none()
        && ext == "png"
        && loaded.plan.g_classes().is_some()
        && loaded.plan.data_shape.len() == 3;
    let samples =
        ganc_runtime::sample::sample_with(&loaded, n, seed, &request).map_err(|e| miette!(help = e.help(), "{e}"))?;
    let n = samples.shape[0];
    let (values, shape) = (samples.values.as_slice(), samples.shape.as_slice());
    let dims = &shape[1..];
    match ext {
        "npy" => ganc_runtime::images::npy(out, values, shape).into_diagnostic()?,
        "png" if dims.len() == 3 => match samples.columns {
            Some(cols) => ganc_runtime::images::grid_with_columns(out, values, n, cols, dims).into_diagnostic()?,
            None => ganc_runtime::images::grid(out, values, n, dims).into_diagnostic()?,
        },
        "png" => ganc_runtime::plots::scatter(out, &format!("{n} samples"), &[], values).into_diagnostic()?,
        "" if dims.len() == 3 => {
            std::fs::create_dir_all(out).into_diagnostic()?;
            let size: usize = dims.iter().product();
            for i in 0..n {
                let file = out.join(format!("{i:05}.png"));
                ganc_runtime::images::single(&file, &values[i * size..(i + 1) * size], dims).into_diagnostic()?;
            }
        }
        _ => {
            return Err(miette!(
                help = "use .npy, .png, or a folder name (images only)",
                "cannot write samples as `{}`",
                out.display()
            ))
        }
    }
    println!("wrote {n} samples{} to {}", if loaded.is_ema { " (EMA generator)" } else { "" }, out.display());
    Ok(ExitCode::SUCCESS)
}

/// Runs `ganc export`.
pub fn export(run: &Path, out: &Path, ema: bool, device: &str) -> Result<ExitCode> {
    let loaded = ganc_runtime::sample::load(run, device, ema)
        .map_err(|e| miette!(help = "pass a run directory made by `ganc train`", "{e}"))?;
    let count = ganc_runtime::export::export(&loaded, out).into_diagnostic()?;
    println!("wrote {count} tensors of the generator to {}", out.display());
    Ok(ExitCode::SUCCESS)
}

/// Runs `ganc plot`.
pub fn plot(run: &Path) -> Result<ExitCode> {
    let path = ganc_runtime::run::plot_losses(run)
        .map_err(|e| miette!(help = "pass a run directory made by `ganc train`", "{e}"))?;
    println!("wrote {}", path.display());
    Ok(ExitCode::SUCCESS)
}
