//! `ganc fmt`: every model and example is in the canonical layout, formatting is idempotent and
//! keeps the checked model, and a mangled layout formats back.

mod common;

use common::{gan_files, workspace};

use ganc_check::{check_source, FsLoader};
use ganc_syntax::format::format;
use std::path::Path;
use std::process::Command;

/// The checked model as JSON (spans are not serialized): what training would see.
fn meaning(path: &Path, text: &str) -> String {
    let analysis = check_source(path, text, &FsLoader);
    serde_json::to_string(&analysis.model).unwrap()
}

/// The same text with its layout mangled: indentation dropped, spaces doubled after commas and
/// colons and inserted before them.
fn mangle(text: &str) -> String {
    text.lines()
        .map(|l| {
            let (code, comment) = match l.find("//") {
                Some(i) => (&l[..i], &l[i..]),
                None => (l, ""),
            };
            if code.contains('"') {
                return l.trim_start().to_string();
            }
            format!("{}{}", code.trim_start().replace(", ", " ,  ").replace(": ", " :   "), comment)
        })
        .collect::<Vec<_>>()
        .join("\n\n\n")
}

#[test]
fn models_and_examples_are_formatted_and_formatting_keeps_their_meaning() {
    let root = workspace();
    let mut files = Vec::new();
    gan_files(&root.join("models"), &mut files);
    gan_files(&root.join("examples"), &mut files);
    assert!(files.len() >= 20);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        assert_eq!(format(&text), text, "{} is not formatted: run `ganc fmt`", file.display());
        let mangled = mangle(&text);
        assert_ne!(mangled, text);
        let back = format(&mangled);
        assert_eq!(format(&back), back, "{}: not idempotent", file.display());
        assert_eq!(meaning(&file, &back), meaning(&file, &text), "{}: formatting changed the model", file.display());
    }
}

#[test]
fn fmt_check_reports_and_fmt_rewrites() {
    let dir = std::env::temp_dir().join(format!("ganc-fmt-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("m.gan");
    let messy = "data ring(8)\nlatent z~normal(4)\ngenerator G(z) -> point {\nlinear(2)   // out\n}\n";
    std::fs::write(&file, messy).unwrap();
    let ganc = |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_ganc")).args(args).output().unwrap();
    let out = ganc(&["fmt", "--check", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("m.gan: not formatted"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), messy, "--check changed the file");
    assert!(ganc(&["fmt", dir.to_str().unwrap()]).status.success());
    let formatted = std::fs::read_to_string(&file).unwrap();
    assert!(formatted.contains("    linear(2)   // out\n"), "{formatted}");
    assert_eq!(ganc(&["fmt", "--check", file.to_str().unwrap()]).status.code(), Some(0));
    assert_eq!(ganc(&["fmt", dir.join("missing.gan").to_str().unwrap()]).status.code(), Some(2));
    std::fs::remove_dir_all(&dir).ok();
}
