//! The failure report at the end of a run (ganhacks #10, track failures early): what went wrong,
//! from which step, and which metric showed it. It reads the run's `metrics.csv` and
//! `evaluate.csv` back, so a resumed run's report covers the whole run, and is written to
//! `report.md` in the run directory and shown on the terminal.
//!
//! The signs, each from the literature's list of GAN failures:
//! - D wins: its loss near 0 on logged steps (the sigmoid and least-squares losses), so G gets
//!   no gradient (Arjovsky & Bottou 2017);
//! - exploding gradients: a gradient norm of G or D over [`GRAD_NORM_LIMIT`];
//! - a stop on a NaN or infinite loss;
//! - modes lost: `evaluate { modes }` covering fewer modes at the end than at its best, or fewer
//!   than half of them (mode collapse);
//! - FID rising: `evaluate { fid }` ending more than [`FID_RISE`] above its best (the samples
//!   drift away from the data: late collapse or divergence);
//! - classes lost: `evaluate { classes_covered }` ending with fewer classes than at its best.

use crate::metrics::{column, table};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The gradient norm above which a step counts as exploding.
pub const GRAD_NORM_LIMIT: f64 = 100.0;

/// D's loss below which D counts as winning outright.
pub const D_LOSS_FLOOR: f64 = 1e-3;

/// How far above its best (as a share of it) a run's last FID must be to count as rising.
pub const FID_RISE: f64 = 0.2;

/// One sign of failure.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// The first step that showed it.
    pub step: u64,
    /// What went wrong, in words.
    pub what: String,
    /// The metric that showed it, and its value.
    pub evidence: String,
}

/// What a run's metrics say went wrong.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    /// The last step recorded.
    pub last_step: u64,
    /// The signs found, in order of their first step.
    pub findings: Vec<Finding>,
}

/// Reads the report of the run in `run`; `d_loss_floor` says whether D's loss is bounded below
/// by 0 (the sigmoid and least-squares losses), so that 0 means D wins; `stopped` is why the run
/// stopped early, when it did.
pub fn analyse(run: &Path, d_loss_floor: bool, stopped: Option<Finding>) -> Report {
    let mut report = Report::default();
    if let Some((header, rows)) = table(&run.join("metrics.csv")) {
        report.last_step = rows.iter().filter_map(|r| r.first()).fold(0.0f64, |a, b| a.max(*b)) as u64;
        if d_loss_floor {
            let low: Vec<(u64, f64)> =
                column(&header, &rows, "d_loss").into_iter().filter(|(_, v)| v.abs() < D_LOSS_FLOOR).collect();
            if let Some(&(step, value)) = low.first() {
                report.findings.push(Finding {
                    step,
                    what: "D wins: its loss is near 0, so G's gradient vanishes".into(),
                    evidence: format!("d_loss {value:.2e} (< {D_LOSS_FLOOR}) on {} logged steps", low.len()),
                });
            }
        }
        for (name, net) in [("grad_norm_g", "G"), ("grad_norm_d", "D")] {
            let over: Vec<(u64, f64)> =
                column(&header, &rows, name).into_iter().filter(|(_, v)| *v > GRAD_NORM_LIMIT).collect();
            if let Some(&(step, _)) = over.first() {
                let worst = over.iter().map(|(_, v)| *v).fold(0.0, f64::max);
                report.findings.push(Finding {
                    step,
                    what: format!("exploding gradients in {net}"),
                    evidence: format!("{name} up to {worst:.1} (> {GRAD_NORM_LIMIT}) on {} logged steps", over.len()),
                });
            }
        }
    }
    if let Some((header, rows)) = table(&run.join("evaluate.csv")) {
        let modes = column(&header, &rows, "modes");
        let total = column(&header, &rows, "modes_total").first().map_or(0.0, |(_, t)| *t);
        let best = modes.iter().copied().fold(None, |b: Option<(u64, f64)>, m| match b {
            Some(b) if b.1 >= m.1 => Some(b),
            _ => Some(m),
        });
        if let (Some((best_step, best)), Some(&(last_step, last))) = (best, modes.last()) {
            if last < best {
                report.findings.push(Finding {
                    step: last_step,
                    what: "modes lost: G covered more of the data earlier".into(),
                    evidence: format!("modes {best} of {total} at step {best_step}, {last} at step {last_step}"),
                });
            }
            if last < total / 2.0 {
                report.findings.push(Finding {
                    step: last_step,
                    what: "mode collapse: G covers fewer than half of the modes".into(),
                    evidence: format!("modes {last} of {total} at step {last_step}"),
                });
            }
        }
    }
    if let Some((header, rows)) = table(&run.join("evaluate.csv")) {
        let fid = column(&header, &rows, "fid");
        if let Some((best_step, best)) = fid.iter().copied().min_by(|a, b| a.1.total_cmp(&b.1)) {
            let risen = fid.iter().find(|(step, v)| *step > best_step && *v > best * (1.0 + FID_RISE));
            if let (Some(&(step, _)), Some(&(last_step, last))) = (risen, fid.last()) {
                if last > best * (1.0 + FID_RISE) {
                    report.findings.push(Finding {
                        step,
                        what: "FID rising: the samples moved away from the data after their best".into(),
                        evidence: format!("fid {best:.2} at step {best_step}, {last:.2} at step {last_step}"),
                    });
                }
            }
        }
        let classes = column(&header, &rows, "classes");
        if let Some((best_step, best)) = classes.iter().copied().max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
        {
            if let Some(&(last_step, last)) = classes.last().filter(|(_, last)| *last < best) {
                report.findings.push(Finding {
                    step: last_step,
                    what: "classes lost: G drew more of the classes earlier".into(),
                    evidence: format!("classes {best} at step {best_step}, {last} at step {last_step}"),
                });
            }
        }
    }
    if let Some(stop) = stopped {
        report.last_step = report.last_step.max(stop.step);
        report.findings.push(stop);
    }
    report.findings.sort_by_key(|f| f.step);
    report
}

impl Report {
    /// The report as Markdown, as `report.md` holds it.
    pub fn markdown(&self) -> String {
        let mut out = format!("# Failure report (through step {})\n\n", self.last_step);
        if self.findings.is_empty() {
            out.push_str(
                "No sign of failure: D's loss stayed away from 0, gradient norms stayed under 100, \
                 no loss became NaN, no mode or class measured was lost and FID did not rise.\n",
            );
            return out;
        }
        out.push_str("| from step | what went wrong | shown by |\n| ---: | --- | --- |\n");
        for f in &self.findings {
            let _ = writeln!(out, "| {} | {} | {} |", f.step, f.what, f.evidence);
        }
        out
    }

    /// Writes `report.md` into `run` (atomically) and returns its path.
    pub fn write(&self, run: &Path) -> std::io::Result<PathBuf> {
        let path = run.join("report.md");
        crate::checkpoint::write_atomic(&path, self.markdown().as_bytes())?;
        Ok(path)
    }
}
