use crate::{Diagnostic, Label, LineCol, SourceMap};
use serde::Serialize;

/// The JSON form of a diagnostic, one object per line of `ganc check --format json`.
#[derive(Serialize, Debug)]
pub struct JsonDiagnostic {
    /// `E0101`, `W0002`, ...
    pub code: &'static str,
    /// `error` or `warning`.
    pub severity: &'static str,
    /// The one-line message.
    pub message: String,
    /// The primary span's file.
    pub file: String,
    /// Byte range `[start, end)` of the primary span.
    pub byte_range: [usize; 2],
    /// One-based line and column of the primary span's start.
    pub start: LineCol,
    /// One-based line and column of the primary span's end.
    pub end: LineCol,
    /// Every label, the primary first.
    pub labels: Vec<JsonLabel>,
    /// Extra notes.
    pub notes: Vec<String>,
    /// The `help:` line, or null.
    pub help: Option<String>,
    /// A machine-applicable fix (`{file, byte_range, replacement}`), or null.
    pub fix: Option<JsonLabel>,
}

/// A labelled span in JSON.
#[derive(Serialize, Debug)]
pub struct JsonLabel {
    /// The file of the span.
    pub file: String,
    /// Byte range `[start, end)`.
    pub byte_range: [usize; 2],
    /// One-based line and column of the start.
    pub start: LineCol,
    /// One-based line and column of the end.
    pub end: LineCol,
    /// `true` for the primary label.
    pub primary: bool,
    /// The label's text (for a fix: the replacement).
    pub message: String,
}

fn label(sources: &SourceMap, l: &Label, primary: bool) -> JsonLabel {
    let file = sources.get(l.span.file);
    JsonLabel {
        file: file.path.clone(),
        byte_range: [l.span.start, l.span.end],
        start: file.line_col(l.span.start),
        end: file.line_col(l.span.end),
        primary,
        message: l.message.clone(),
    }
}

/// Converts a diagnostic into its JSON form.
pub fn json(sources: &SourceMap, d: &Diagnostic) -> JsonDiagnostic {
    let primary = label(sources, &d.primary, true);
    let mut labels = vec![label(sources, &d.primary, true)];
    labels.extend(d.secondary.iter().map(|l| label(sources, l, false)));
    JsonDiagnostic {
        code: d.code.id,
        severity: d.severity.as_str(),
        message: d.message.clone(),
        file: primary.file,
        byte_range: primary.byte_range,
        start: primary.start,
        end: primary.end,
        labels,
        notes: d.notes.clone(),
        help: d.help.clone(),
        fix: d.fix.as_ref().map(|f| {
            let fix = Label { span: f.span, message: f.replacement.clone() };
            label(sources, &fix, false)
        }),
    }
}
