//! The grammar accepts the language sketch and rejects slips with readable messages.

use ganc_diagnostics::FileId;
use ganc_syntax::ast::{ExprKind, Item, Stmt, TrainEntry};
use ganc_syntax::parse;

const DCGAN: &str = r#"
// DCGAN
data mnist(split: train)
latent z ~ normal(100)
generator G(z) -> image {
    linear(128 * 7 * 7)
    batchnorm relu
    reshape(128, 7, 7)
    deconv(64, kernel: 4, stride: 2, padding: 1)
    spectral conv(1, kernel: 3)
    let skip
    let e = z |> linear(10) |> relu
    let w = z { pixelnorm repeat 2 { linear(8) } }
    residual { conv(1) } skip { conv(1) }
    grow 8 { upsample } to_rgb { conv(1, kernel: 1) }
    tanh
}
loss non_saturating
regularize D {
    gradient_penalty(weight: 10, center: 1, at: interpolates)
    instance_noise(std: 0.1, decay: linear over 10_000 steps)
    noisy_labels(real: 0.7..1.2, fake: 0.0..0.3)
    spectral_norm
}
train {
    batch: 64
    steps: 20_000
    optimizer G: adam(lr: 2e-4, betas: (0.5, 0.999))
    sample every 500 steps
    ema G: 0.999
    replay(buffer: 10_000, p: 0.5)
    progressive(fade: 20_000 steps, hold: 20_000 steps)
    watch { d_loss_below: 1e-4, grad_norm_above: 100, nan }
}
evaluate every 2_000 steps { fid(samples: 10_000), inception_score, modes }
"#;

#[test]
fn the_sketch_parses_into_its_items() {
    let file = parse(FileId(0), DCGAN).expect("parses");
    assert_eq!(file.items.len(), 7);
    let Item::Network(g) = &file.items[2] else { panic!("expected the generator") };
    assert_eq!(g.name.name, "G");
    assert_eq!(g.body.stmts.len(), 12);
    assert!(matches!(&g.body.stmts[0], Stmt::Layer(l) if matches!(l.call.args[0].value.kind, ExprKind::Binary(..))));
    assert!(matches!(&g.body.stmts[5], Stmt::Layer(l) if l.wrappers.len() == 1));
    let Item::Train(t) = &file.items[5] else { panic!("expected train") };
    assert_eq!(t.entries.len(), 8);
    assert!(matches!(&t.entries[1], TrainEntry::Option { name, .. } if name.name == "steps"));
    assert!(matches!(&t.entries[3], TrainEntry::Every { .. }));
}

#[test]
fn errors_are_phrased_for_people() {
    let err = parse(FileId(0), "generator G(z) -> image {\n  conv(64,\n}\n").unwrap_err().remove(0);
    assert_eq!(err.code.id, "E0001");
    assert!(err.message.contains("expected"), "{}", err.message);
    assert!(!err.message.contains("_stmt"), "rule names leak: {}", err.message);
    let err = parse(FileId(0), "train { batch = 64 }").unwrap_err().remove(0);
    assert!(err.help.unwrap().contains("name: value"));
}

#[test]
fn deep_nesting_is_a_diagnostic_not_a_crash() {
    let text = format!("data mnist(x: {}1{})", "(".repeat(10_000), ")".repeat(10_000));
    assert_eq!(parse(FileId(0), &text).unwrap_err()[0].code.id, "E0002");
}

#[test]
fn independent_syntax_errors_in_separate_sections_are_all_reported() {
    let text = "data mnist(split: train\nlatent z ~ normal(100)\ngenerator G(z) -> image {\n  conv(64 kernel: 3)\n}\nloss hinge\ntrain { batch = 64 }\n";
    let errors = parse(FileId(0), text).unwrap_err();
    let lines: Vec<usize> = errors.iter().map(|e| text[..e.primary.span.start].matches('\n').count() + 1).collect();
    assert_eq!(lines, vec![2, 4, 7], "{errors:#?}");
}
