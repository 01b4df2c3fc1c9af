//! What the command-line tests share: where the workspace is and which `.gan` files it holds.
#![allow(dead_code)] // Each test binary uses its own part.

use std::path::{Path, PathBuf};

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// Every `.gan` file under `dir`, recursively.
pub fn gan_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            gan_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "gan") {
            out.push(path);
        }
    }
}

/// The ui cases `tests/ui/*.gan`, sorted.
pub fn ui_cases() -> Vec<PathBuf> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(workspace().join("tests/ui"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "gan"))
        .collect();
    cases.sort();
    cases
}
