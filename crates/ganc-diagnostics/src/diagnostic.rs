//! The one diagnostic type every layer of ganc produces and every renderer reads.

use crate::{Code, Span};

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Advice from the literature: the model is valid but likely to train badly.
    Warning,
    /// The model cannot be trained as written.
    Error,
}

impl Severity {
    /// `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// A span with a message, pointing at the source.
#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What is there (may be empty).
    pub message: String,
}

/// A machine-applicable fix: replace the text of `span` by `replacement`.
#[derive(Clone, Debug, PartialEq)]
pub struct Fix {
    /// What to replace.
    pub span: Span,
    /// The new text.
    pub replacement: String,
}

/// A problem found in a `.gan` file.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    /// The stable code (`E0101`, `W0002`, ...).
    pub code: Code,
    /// Error or warning; follows the code.
    pub severity: Severity,
    /// One line saying what is wrong.
    pub message: String,
    /// The place that causes the problem.
    pub primary: Label,
    /// Other places that explain it (a declaration, the other branch, ...).
    pub secondary: Vec<Label>,
    /// Extra facts (`note: ...`).
    pub notes: Vec<String>,
    /// What to do about it (`help: ...`).
    pub help: Option<String>,
    /// A fix an editor can apply.
    pub fix: Option<Fix>,
}

impl Diagnostic {
    /// A diagnostic with `code`'s severity, a message and its primary label.
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: code.severity(),
            message: message.into(),
            primary: Label { span, message: String::new() },
            secondary: Vec::new(),
            notes: Vec::new(),
            help: None,
            fix: None,
        }
    }

    /// Sets the text under the primary span.
    pub fn label(mut self, message: impl Into<String>) -> Self {
        self.primary.message = message.into();
        self
    }

    /// Adds a secondary label.
    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Self {
        self.secondary.push(Label { span, message: message.into() });
        self
    }

    /// Adds a note.
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// Sets the help line.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Sets a machine-applicable fix.
    pub fn fix(mut self, span: Span, replacement: impl Into<String>) -> Self {
        self.fix = Some(Fix { span, replacement: replacement.into() });
        self
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}
