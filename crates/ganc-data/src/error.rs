use std::path::PathBuf;

/// A data file that is missing or not what it should be: which path, what was wrong, and what
/// to do.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{problem} (`{}`)", path.display())]
pub struct DataError {
    /// The path that was tried.
    pub path: PathBuf,
    /// What was wrong with it.
    pub problem: String,
    /// What to do.
    #[help]
    pub help: String,
}

impl DataError {
    /// An error about `path`.
    pub fn new(path: impl Into<PathBuf>, problem: impl Into<String>, help: impl Into<String>) -> Self {
        DataError { path: path.into(), problem: problem.into(), help: help.into() }
    }
}
