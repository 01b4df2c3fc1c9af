//! `ganc fmt`: rewrites files in the canonical layout, or with `--check` lists those that are not.

use crate::check::collect;
use ganc_syntax::format::format;
use miette::{miette, Result};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Formats every `.gan` file under `paths`; with `check`, only reports the unformatted ones.
pub fn run(paths: &[PathBuf], check: bool) -> Result<ExitCode> {
    let mut files = Vec::new();
    for p in paths {
        collect(p, &mut files)?;
    }
    let mut unformatted = 0;
    for file in &files {
        let text = std::fs::read_to_string(file)
            .map_err(|e| miette!(help = "ganc formats UTF-8 text files", "cannot read `{}`: {e}", file.display()))?;
        let formatted = format(&text);
        if formatted == text {
            continue;
        }
        unformatted += 1;
        if check {
            println!("{}: not formatted", file.display());
        } else {
            write(file, &formatted)?;
            println!("formatted {}", file.display());
        }
    }
    if check && unformatted > 0 {
        eprintln!("{unformatted} file(s) need `ganc fmt`");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// Replaces `file` atomically: a temporary file beside it, then a rename.
fn write(file: &Path, text: &str) -> Result<()> {
    let tmp = file.with_extension("gan.fmt-tmp");
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, file))
        .map_err(|e| miette!(help = "check the file's permissions", "cannot write `{}`: {e}", file.display()))
}
