//! Checking speed: the largest model of `models/` and a generated 300-line model.
//! Target: under 5 ms each. Run with `cargo bench -p ganc-check`.

use criterion::{criterion_group, criterion_main, Criterion};
use ganc_check::{check_source, FsLoader};
use std::hint::black_box;
use std::path::{Path, PathBuf};

/// The largest `.gan` file of `models/` by size.
fn largest_model() -> (PathBuf, String) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models");
    let mut best: Option<(PathBuf, String)> = None;
    for entry in std::fs::read_dir(&dir).expect("models/ exists").flatten() {
        let p = entry.path();
        if p.extension().is_some_and(|e| e == "gan") {
            let text = std::fs::read_to_string(&p).unwrap();
            if best.as_ref().is_none_or(|(_, b)| text.len() > b.len()) {
                best = Some((p, text));
            }
        }
    }
    best.expect("a model")
}

/// A model of about 300 lines: deep residual G and D built from blocks.
fn generated() -> String {
    let mut s = String::from("data cifar10(split: train)\nlatent z ~ normal(128)\n");
    s.push_str("block res(ch) {\n  residual {\n    conv(ch, kernel: 3, padding: 1)\n    batchnorm\n    leaky_relu(0.2)\n    conv(ch, kernel: 3, padding: 1)\n  }\n}\n");
    s.push_str("generator G(z) -> image {\n  linear(64 * 4 * 4)\n  reshape(64, 4, 4)\n");
    for i in 0..3 {
        s.push_str("  upsample\n  conv(64, kernel: 3, padding: 1)\n  batchnorm\n  relu\n");
        for _ in 0..30 {
            s.push_str(&format!("  res(64) // stage {i}\n"));
        }
    }
    s.push_str("  conv(3, kernel: 3, padding: 1)\n  tanh\n}\n");
    s.push_str("discriminator D(image) -> logit {\n  conv(64, kernel: 3, padding: 1)\n");
    for _ in 0..3 {
        for _ in 0..30 {
            s.push_str("  spectral conv(64, kernel: 3, padding: 1)\n  leaky_relu(0.2)\n");
        }
        s.push_str("  avgpool\n");
    }
    s.push_str("  flatten\n  linear(1)\n}\nloss hinge\ntrain { batch: 64 steps: 1000 }\n");
    s
}

fn bench(c: &mut Criterion) {
    let (path, text) = largest_model();
    let analysis = check_source(&path, &text, &FsLoader);
    assert!(analysis.model.is_some(), "{} must check clean", path.display());
    c.bench_function(&format!("check {}", path.file_name().unwrap().to_string_lossy()), |b| {
        b.iter(|| check_source(black_box(&path), black_box(&text), &FsLoader))
    });
    let text = generated();
    assert!(text.lines().count() >= 300, "{} lines", text.lines().count());
    let path = Path::new("generated.gan");
    assert!(check_source(path, &text, &FsLoader).model.is_some());
    c.bench_function("check generated 300-line model", |b| {
        b.iter(|| check_source(black_box(path), black_box(&text), &FsLoader))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
