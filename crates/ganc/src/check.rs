//! `ganc check`: finds the files, checks each, renders the diagnostics, sets the exit code.

use crate::{summary, ColorChoice, OutputFormat};
use ganc_check::{check_source, FsLoader, Loader};
use ganc_diagnostics::render::{render, Format};
use ganc_diagnostics::Severity;
use miette::{miette, IntoDiagnostic, Result};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// What `ganc check` was asked to do.
pub struct Options {
    /// Files and directories.
    pub paths: Vec<PathBuf>,
    /// Output format.
    pub format: OutputFormat,
    /// Exit 1 on warnings.
    pub deny_warnings: bool,
    /// Print per-network summaries.
    pub summary: bool,
    /// Colour choice for human output.
    pub color: ColorChoice,
}

/// Collects `*.gan` files under `path` (or `path` itself), sorted.
pub fn collect(path: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let meta = std::fs::metadata(path).map_err(|e| {
        miette!(
            help = "check the path; `ganc check` takes .gan files and directories",
            "cannot read `{}`: {e}",
            path.display()
        )
    })?;
    if meta.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| miette!(help = "check the directory's permissions", "cannot list `{}`: {e}", path.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for entry in entries {
            if entry.is_dir() || entry.extension().is_some_and(|e| e == "gan") {
                collect(&entry, out)?;
            }
        }
    } else {
        out.push(path.to_path_buf());
    }
    Ok(())
}

/// Prints an analysis's diagnostics as human text on stderr (coloured on a terminal).
pub fn render_analysis(analysis: &ganc_check::Analysis) -> Result<()> {
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let stderr = std::io::stderr();
    let mut err = stderr.lock();
    render(&mut err, &analysis.sources, &analysis.diagnostics, Format::Human { color }).into_diagnostic()
}

/// Runs `ganc check`.
pub fn run(opts: &Options) -> Result<ExitCode> {
    let mut files = Vec::new();
    for p in &opts.paths {
        collect(p, &mut files)?;
    }
    if files.is_empty() {
        return Err(miette!(help = "pass .gan files or directories that contain some", "no .gan files found"));
    }
    let color = match opts.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let format = match opts.format {
        OutputFormat::Human => Format::Human { color },
        OutputFormat::Short => Format::Short,
        OutputFormat::Json => Format::Json,
    };
    let (mut errors, mut warnings) = (0usize, 0usize);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for file in &files {
        let text = FsLoader
            .load(file)
            .map_err(|e| miette!(help = "ganc reads UTF-8 text files", "cannot read `{}`: {e}", file.display()))?;
        let analysis = check_source(file, &text, &FsLoader);
        errors += analysis.diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
        warnings += analysis.diagnostics.iter().filter(|d| d.severity == Severity::Warning).count();
        render(&mut out, &analysis.sources, &analysis.diagnostics, format).into_diagnostic()?;
        if opts.summary {
            if let Some(model) = &analysis.model {
                writeln!(out, "{}", summary::render(file, model)).into_diagnostic()?;
            }
        }
    }
    if format != Format::Json {
        let files_word = if files.len() == 1 { "file" } else { "files" };
        let line = match (errors, warnings) {
            (0, 0) => format!("checked {} {files_word}: no problems", files.len()),
            _ => format!("checked {} {files_word}: {errors} error(s), {warnings} warning(s)", files.len()),
        };
        eprintln!("{line}");
    }
    let failed = errors > 0 || (opts.deny_warnings && warnings > 0);
    Ok(if failed { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
