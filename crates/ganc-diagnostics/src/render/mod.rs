//! Renderers: the same [`Diagnostic`] values as human text, short lines or JSON.

mod human;
mod json;
mod short;

use crate::{Diagnostic, SourceMap};
use std::io::{self, Write};

pub use human::human;
pub use json::{json, JsonDiagnostic, JsonLabel};
pub use short::short;

/// How `ganc check` prints its diagnostics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// codespan-reporting's rich output, with source excerpts; `color` only on a terminal.
    Human {
        /// Whether to emit ANSI colours.
        color: bool,
    },
    /// `path:line:col: error[E0123]: message`, the form editors' problem matchers parse.
    Short,
    /// One JSON object per line (see [`JsonDiagnostic`]).
    Json,
}

/// Writes `diagnostics` to `out` in `format`.
pub fn render(out: &mut dyn Write, sources: &SourceMap, diagnostics: &[Diagnostic], format: Format) -> io::Result<()> {
    match format {
        Format::Human { color } => human(out, sources, diagnostics, color),
        Format::Short => {
            for d in diagnostics {
                writeln!(out, "{}", short(sources, d))?;
            }
            Ok(())
        }
        Format::Json => {
            for d in diagnostics {
                let line = serde_json::to_string(&json(sources, d)).map_err(io::Error::other)?;
                writeln!(out, "{line}")?;
            }
            Ok(())
        }
    }
}
