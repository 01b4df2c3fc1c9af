//! The diagnostic data type of ganc and everything that turns it into text.
//!
//! Checkers never print: they build [`Diagnostic`] values (a code, a message, labelled spans,
//! notes, a `help:` line and an optional machine-applicable [`Fix`]). The command line renders
//! them with [`render`], the language server converts the same values into LSP diagnostics.

pub mod codes;
mod diagnostic;
pub mod render;
mod source;

pub use codes::Code;
pub use diagnostic::{Diagnostic, Fix, Label, Severity};
pub use source::{FileId, LineCol, SourceFile, SourceMap, Span};
