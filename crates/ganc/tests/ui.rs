//! ui tests: every `tests/ui/*.gan` is checked and its short-format output compared with
//! `tests/ui/*.out`. Each input also marks, with `//~ CODE` at the end of a line, the lines where
//! its diagnostics must start; the annotations and the output must agree exactly.
//!
//! Re-bless the snapshots with `BLESS=1 cargo test -p ganc --test ui`.

mod common;

use common::{ui_cases, workspace};

use std::collections::BTreeSet;
use std::process::Command;

/// `(line, code)` pairs from `//~ E0101 W0006` annotations.
fn annotations(text: &str) -> BTreeSet<(usize, String)> {
    let mut out = BTreeSet::new();
    for (i, line) in text.lines().enumerate() {
        if let Some(pos) = line.find("//~") {
            for code in line[pos + 3..].split_whitespace() {
                out.insert((i + 1, code.to_string()));
            }
        }
    }
    out
}

/// `(line, code)` pairs from short-format output lines `path:line:col: error[CODE]: ...`.
fn reported(output: &str) -> BTreeSet<(usize, String)> {
    let mut out = BTreeSet::new();
    for line in output.lines() {
        let mut parts = line.splitn(4, ':');
        let (_, Some(l), Some(_), Some(rest)) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let (Ok(l), Some(open), Some(close)) = (l.parse::<usize>(), rest.find('['), rest.find(']')) else { continue };
        out.insert((l, rest[open + 1..close].to_string()));
    }
    out
}

#[test]
fn ui_cases_match_their_annotations_and_snapshots() {
    let root = workspace();
    let bless = std::env::var_os("BLESS").is_some();
    let mut failures = Vec::new();
    let mut codes_seen = BTreeSet::new();
    let cases = ui_cases();
    assert!(cases.len() >= 60, "only {} ui cases", cases.len());
    for case in &cases {
        let rel = case.strip_prefix(&root).unwrap();
        let output = Command::new(env!("CARGO_BIN_EXE_ganc"))
            .args(["check", "--format", "short"])
            .arg(rel)
            .current_dir(&root)
            .output()
            .unwrap();
        let stdout = String::from_utf8(output.stdout).unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        // Errors fail the check; a case of warnings only (W0007, W0008: they follow a valid model) passes.
        let expected_exit = if stdout.contains(": error[") { 1 } else { 0 };
        if stderr.contains("panicked") || output.status.code() != Some(expected_exit) {
            failures.push(format!("{}: exit {:?}, stderr: {stderr}", rel.display(), output.status.code()));
            continue;
        }
        let text = std::fs::read_to_string(case).unwrap();
        let (want, got) = (annotations(&text), reported(&stdout));
        codes_seen.extend(got.iter().map(|(_, c)| c.clone()));
        if want != got {
            failures.push(format!(
                "{}: annotations and diagnostics differ\n  only annotated: {:?}\n  only reported:  {:?}\n{stdout}",
                rel.display(),
                want.difference(&got).collect::<Vec<_>>(),
                got.difference(&want).collect::<Vec<_>>()
            ));
        }
        let snapshot = case.with_extension("out");
        if bless {
            std::fs::write(&snapshot, &stdout).unwrap();
        } else {
            match std::fs::read_to_string(&snapshot) {
                Ok(expected) if expected == stdout => {}
                Ok(expected) => failures.push(format!(
                    "{}: output differs from the snapshot\n--- expected\n{expected}--- actual\n{stdout}",
                    rel.display()
                )),
                Err(_) => {
                    failures.push(format!("{}: no snapshot {}; run with BLESS=1", rel.display(), snapshot.display()))
                }
            }
        }
    }
    // Runtime codes (E05xx) come from `ganc train`, not `ganc check`; the runtime's tests cover them.
    for code in ganc_diagnostics::codes::ALL.iter().filter(|c| !c.id.starts_with("E05")) {
        if !codes_seen.contains(code.id) {
            failures.push(format!("no ui case produces {}", code.id));
        }
    }
    assert!(failures.is_empty(), "{} ui failure(s):\n\n{}", failures.len(), failures.join("\n\n"));
}

#[test]
fn every_snapshot_has_its_input() {
    let dir = workspace().join("tests/ui");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "out") {
            assert!(path.with_extension("gan").exists(), "{} has no input", path.display());
        }
    }
}
