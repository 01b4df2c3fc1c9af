//! The checker of `.gan` files: name resolution against the registry, argument types and
//! ranges, shape inference through every network, consistency of loss, regularizers and
//! networks, and the literature's advice as warnings. It produces the checked IR
//! ([`ir::Model`]) that the runtime lowers, and [`Diagnostic`]s; it never prints.
//!
//! Entry points: [`check_file`] (reads from disk, follows imports) and [`check_source`] (for
//! text held in memory, such as an editor buffer).

pub mod args;
mod encoder;
mod graph;
pub mod ir;
mod lints;
mod load;
pub mod memory;
mod paired;
pub mod param_grads;
mod privacy;
mod sections;
mod semi_supervised;
pub mod shape;
mod stacked;
mod suggest;
mod trainable;
pub mod value;

pub use load::{FsLoader, Loader};
pub use trainable::{classifier_gaps, multi_scale_gaps, VBN_IN_D};

use ganc_diagnostics::{Diagnostic, SourceMap};
use std::path::Path;

/// The result of checking one file.
#[derive(Debug)]
pub struct Analysis {
    /// Every file read (the root first, then imports).
    pub sources: SourceMap,
    /// Every problem found, errors and warnings, in source order.
    pub diagnostics: Vec<Diagnostic>,
    /// The checked model, when the file has no errors.
    pub model: Option<ir::Model>,
}

impl Analysis {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Checks the file at `path`, reading it and its imports through `loader`.
pub fn check_file(path: &Path, loader: &dyn Loader) -> std::io::Result<Analysis> {
    let text = loader.load(path)?;
    Ok(check_source(path, &text, loader))
}

/// Checks `text` as the contents of `path`; imports are read through `loader`.
pub fn check_source(path: &Path, text: &str, loader: &dyn Loader) -> Analysis {
    let mut sources = SourceMap::new();
    let mut diagnostics = Vec::new();
    let root = sources.add(path.display().to_string(), text);
    let files = load::load_all(root, path, &mut sources, loader, &mut diagnostics);
    let model = files.as_ref().and_then(|files| sections::check(files, &mut diagnostics));
    let mut seen = Vec::new();
    diagnostics.retain(|d| {
        let key = (d.code.id, d.primary.span, d.message.clone());
        if seen.contains(&key) {
            false
        } else {
            seen.push(key);
            true
        }
    });
    diagnostics.sort_by_key(|d| (d.primary.span.file, d.primary.span.start));
    let model = if diagnostics.iter().any(Diagnostic::is_error) { None } else { model };
    Analysis { sources, diagnostics, model }
}
