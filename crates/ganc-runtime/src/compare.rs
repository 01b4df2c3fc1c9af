//! `ganc compare`: the arms of an experiment side by side. For each run, its final and best
//! value of every metric it recorded, and its mean speed; and one metric's curves of all runs
//! overlaid in one chart.

use crate::metrics::{column, table};
use crate::plots;
use std::path::{Path, PathBuf};

/// Whether a larger value of a metric is better, for the metrics that have a best.
fn larger_is_better(metric: &str) -> Option<bool> {
    match metric {
        "modes" | "high_quality" | "d_accuracy" | "inception_score" | "precision" | "recall" | "classes"
        | "linear_probe" => Some(true),
        "m_global" | "fid" | "kid" | "test_error" | "reconstruction" | "epsilon" => Some(false),
        _ => None,
    }
}

/// The metrics `ganc compare` reads, in the order it shows them: from `evaluate.csv`, then from
/// `metrics.csv`.
const METRICS: [(&str, &str); 17] = [
    ("evaluate.csv", "modes"),
    ("evaluate.csv", "high_quality"),
    ("evaluate.csv", "fid"),
    ("evaluate.csv", "kid"),
    ("evaluate.csv", "inception_score"),
    ("evaluate.csv", "precision"),
    ("evaluate.csv", "recall"),
    ("evaluate.csv", "classes"),
    ("evaluate.csv", "test_error"),
    ("evaluate.csv", "reconstruction"),
    ("evaluate.csv", "linear_probe"),
    ("evaluate.csv", "elbo"),
    ("metrics.csv", "m_global"),
    ("metrics.csv", "d_accuracy"),
    ("metrics.csv", "epsilon"),
    ("metrics.csv", "d_loss"),
    ("metrics.csv", "g_loss"),
];

/// One metric of one run.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// Its value at the last step measured.
    pub last: f64,
    /// Its best value and the step of it, for metrics with a direction.
    pub best: Option<(f64, u64)>,
    /// Every `(step, value)`.
    pub curve: Vec<(u64, f64)>,
}

/// One run, summarized.
#[derive(Clone, Debug, PartialEq)]
pub struct Arm {
    /// The run directory.
    pub run: PathBuf,
    /// The last step recorded.
    pub steps: u64,
    /// The mean of its logged speeds.
    pub steps_per_sec: f64,
    /// Per metric of [`METRICS`] it recorded.
    pub metrics: Vec<(&'static str, Summary)>,
}

/// Why a run cannot be compared.
#[derive(Debug, PartialEq)]
pub struct NotARun(pub PathBuf);

impl std::fmt::Display for NotARun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}` is not a run directory (no readable metrics.csv)", self.0.display())
    }
}

/// Reads `run`'s metrics.
pub fn arm(run: &Path) -> Result<Arm, NotARun> {
    let (header, rows) = table(&run.join("metrics.csv")).ok_or_else(|| NotARun(run.to_path_buf()))?;
    let speeds: Vec<f64> =
        column(&header, &rows, "steps_per_sec").into_iter().map(|(_, v)| v).filter(|v| v.is_finite()).collect();
    let steps = rows.iter().filter_map(|r| r.first()).fold(0.0f64, |a, b| a.max(*b)) as u64;
    let evaluate = table(&run.join("evaluate.csv"));
    let mut metrics = Vec::new();
    for (file, name) in METRICS {
        let curve = match file {
            "evaluate.csv" => evaluate.as_ref().map(|(h, r)| column(h, r, name)).unwrap_or_default(),
            _ => column(&header, &rows, name),
        };
        let Some(&(_, last)) = curve.last() else { continue };
        let best = larger_is_better(name).and_then(|larger| {
            curve.iter().filter(|(_, v)| v.is_finite()).fold(None, |b: Option<(f64, u64)>, &(s, v)| match b {
                Some((bv, _)) if (larger && bv >= v) || (!larger && bv <= v) => b,
                _ => Some((v, s)),
            })
        });
        metrics.push((name, Summary { last, best, curve }));
    }
    let steps_per_sec = if speeds.is_empty() { f64::NAN } else { speeds.iter().sum::<f64>() / speeds.len() as f64 };
    Ok(Arm { run: run.to_path_buf(), steps, steps_per_sec, metrics })
}

/// A short name for a run: its directory's name.
pub fn name(run: &Path) -> String {
    run.file_name().map_or_else(|| run.display().to_string(), |n| n.to_string_lossy().into_owned())
}

/// The arms as a Markdown table: one row per run, the final (and best) value of every metric
/// any of them recorded.
pub fn markdown(arms: &[Arm]) -> String {
    let names: Vec<&str> = METRICS
        .iter()
        .map(|(_, n)| *n)
        .filter(|n| arms.iter().any(|a| a.metrics.iter().any(|(m, _)| m == n)))
        .collect();
    let mut out = String::from("| run | steps | steps/s |");
    for n in &names {
        out.push_str(&match larger_is_better(n) {
            Some(_) => format!(" {n} (best @ step) |"),
            None => format!(" {n} |"),
        });
    }
    out.push_str(&format!("\n| --- | ---: | ---: |{}\n", " ---: |".repeat(names.len())));
    for a in arms {
        out.push_str(&format!("| {} | {} | {:.1} |", name(&a.run), a.steps, a.steps_per_sec));
        for n in &names {
            let cell = match a.metrics.iter().find(|(m, _)| m == n) {
                Some((_, s)) => match s.best {
                    Some((b, step)) => format!(" {} ({} @ {step}) |", number(s.last), number(b)),
                    None => format!(" {} |", number(s.last)),
                },
                None => " – |".to_string(),
            };
            out.push_str(&cell);
        }
        out.push('\n');
    }
    out
}

/// A value as a table shows it: integers whole, others to 4 significant digits.
fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e9 {
        format!("{v:.0}")
    } else {
        format!("{v:.4}")
    }
}

/// The metric whose curves compare the arms best: the first of [`METRICS`] all of them recorded.
pub fn default_metric(arms: &[Arm]) -> Option<&'static str> {
    METRICS.iter().map(|(_, n)| *n).find(|n| arms.iter().all(|a| a.metrics.iter().any(|(m, _)| m == n)))
}

/// Draws `metric`'s curve of every arm that recorded it into one chart at `path`.
pub fn plot(arms: &[Arm], metric: &str, path: &Path) -> std::io::Result<()> {
    let names: Vec<String> = arms.iter().map(|a| name(&a.run)).collect();
    let series: Vec<(&str, Vec<(f64, f64)>)> = arms
        .iter()
        .zip(&names)
        .filter_map(|(a, n)| {
            let (_, s) = a.metrics.iter().find(|(m, _)| *m == metric)?;
            Some((n.as_str(), s.curve.iter().map(|&(x, y)| (x as f64, y)).collect()))
        })
        .collect();
    plots::curves(path, metric, &series)
}
