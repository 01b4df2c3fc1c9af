//! `ganc compare RUN...`: an experiment's arms side by side, as a table and overlaid curves.

use ganc_runtime::compare;
use miette::{miette, Result};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Prints the table of `runs` and writes the curves of `metric` (or the first metric every run
/// recorded) to `out`.
pub fn run(runs: &[PathBuf], metric: Option<&str>, out: &Path) -> Result<ExitCode> {
    let arms = runs
        .iter()
        .map(|r| compare::arm(r).map_err(|e| miette!(help = "pass run directories made by `ganc train`", "{e}")))
        .collect::<Result<Vec<_>>>()?;
    print!("{}", compare::markdown(&arms));
    let metric = match metric {
        Some(m) if arms.iter().any(|a| a.metrics.iter().any(|(name, _)| *name == m)) => m.to_string(),
        Some(m) => {
            return Err(miette!(
                help = "one of: modes, high_quality, fid, kid, inception_score, precision, recall, classes, test_error, reconstruction, linear_probe, elbo, m_global, d_accuracy, epsilon, d_loss, g_loss (what the runs recorded)",
                "no run recorded the metric `{m}`"
            ))
        }
        None => compare::default_metric(&arms).unwrap_or("g_loss").to_string(),
    };
    compare::plot(&arms, &metric, out).map_err(|e| miette!("cannot write `{}`: {e}", out.display()))?;
    println!("wrote {} ({metric})", out.display());
    Ok(ExitCode::SUCCESS)
}
