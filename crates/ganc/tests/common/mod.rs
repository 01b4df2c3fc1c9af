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

/// Writes `n` MNIST-like images (a bright bar whose row follows the label) and their labels as
/// IDX files of both splits under `dir/mnist/`.
pub fn write_mnist(dir: &Path, n: usize) {
    let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
    let bar = |label: u8, p: usize| (p / 28) / 3 == label as usize && (6..22).contains(&(p % 28));
    let images: Vec<u8> =
        labels.iter().flat_map(|&l| (0..28 * 28).map(move |p| if bar(l, p) { 255 } else { 0 })).collect();
    for split in [ganc_data::Split::Train, ganc_data::Split::Test] {
        ganc_data::write_idx(&dir.join("mnist"), split, 28, 28, &images, &labels).unwrap();
    }
}
