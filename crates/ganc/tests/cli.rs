//! The command line as a user runs it: exit codes, formats, models and examples.

mod common;

use common::{gan_files, workspace};

use std::process::{Command, Output};

fn ganc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ganc")).args(args).current_dir(workspace()).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

#[test]
fn models_and_examples_check_clean_without_warnings() {
    // The one warning a model of the catalogue may carry: W0008, a construct `ganc train` does
    // not lower yet (the catalogue describes more GANs than the runtime trains today).
    let out = ganc(&["check", "--format", "short", "models", "examples"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), String::from_utf8_lossy(&out.stderr));
    let text = stdout(&out);
    let others: Vec<&str> = text.lines().filter(|l| l.contains("]: ") && !l.contains("warning[W0008]")).collect();
    assert!(others.is_empty(), "diagnostics other than W0008:\n{}", others.join("\n"));
    let mut files = Vec::new();
    gan_files(&workspace().join("models"), &mut files);
    assert!(files.len() >= 15, "expected the catalogue of models, found {}", files.len());
}

/// The first layer call of a network body: `(line, column, name)`, 1-based.
fn first_layer(text: &str) -> Option<(usize, usize, String)> {
    let mut in_net = false;
    for (i, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap();
        if code.trim_start().starts_with("generator ") || code.trim_start().starts_with("discriminator ") {
            in_net = true;
            continue;
        }
        if !in_net {
            continue;
        }
        let trimmed = code.trim_start();
        let word: String = trimmed.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        if word.len() > 3 && ganc_registry::lookup(ganc_registry::Kind::Layer, &word).is_some() {
            let col = code.len() - trimmed.len() + 1;
            return Some((i + 1, col, word));
        }
    }
    None
}

#[test]
fn a_misspelled_layer_in_any_model_is_found_with_a_suggestion() {
    let mut files = Vec::new();
    gan_files(&workspace().join("models"), &mut files);
    let dir = std::env::temp_dir().join(format!("ganc-typo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut tried = 0;
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let Some((line, col, word)) = first_layer(&text) else { continue };
        // Swap two letters in the middle: `batchnorm` -> `batcnhorm`.
        let mut chars: Vec<char> = word.chars().collect();
        chars.swap(2, 3);
        let typo: String = chars.into_iter().collect();
        let mut lines: Vec<String> = text.lines().map(String::from).collect();
        let at = col - 1;
        lines[line - 1].replace_range(at..at + word.len(), &typo);
        // Keep imports working: write the broken copy beside the original.
        let broken = file.with_file_name(format!(".typo-{}", file.file_name().unwrap().to_string_lossy()));
        std::fs::write(&broken, lines.join("\n")).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_ganc"))
            .args(["check", "--format", "short"])
            .arg(&broken)
            .output()
            .unwrap();
        std::fs::remove_file(&broken).unwrap();
        let text = stdout(&out);
        let wanted =
            format!(":{line}:{col}: error[E0101]: unknown layer or block `{typo}` (help: did you mean `{word}`?)");
        assert!(text.lines().any(|l| l.ends_with(&wanted)), "{}: expected `{wanted}` in\n{text}", file.display());
        assert_eq!(out.status.code(), Some(1));
        tried += 1;
    }
    std::fs::remove_dir_all(&dir).ok();
    assert!(tried >= 10, "only {tried} models had a layer to misspell");
}

#[test]
fn a_wrong_channel_count_in_dcgan_names_both_shapes() {
    let path = workspace().join("models/dcgan_mnist.gan");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("reshape(128, 7, 7)"), "the model reshapes to 128x7x7");
    let broken = text.replacen("reshape(128, 7, 7)", "reshape(64, 7, 7)", 1);
    let tmp = std::env::temp_dir().join(format!("ganc-dcgan-{}.gan", std::process::id()));
    std::fs::write(&tmp, broken).unwrap();
    let out = ganc(&["check", "--format", "short", tmp.to_str().unwrap()]);
    std::fs::remove_file(&tmp).ok();
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("error[E0304]") && text.contains("[64, 7, 7]") && text.contains("[6272]"), "{text}");
}

#[test]
fn json_output_is_one_valid_object_per_diagnostic() {
    let out = ganc(&["check", "--format", "json", "tests/ui"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let mut n = 0;
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        for key in ["code", "severity", "message", "file", "byte_range", "start", "end", "labels", "help"] {
            assert!(v.get(key).is_some(), "missing {key} in {line}");
        }
        assert!(v["start"]["line"].as_u64().unwrap() >= 1);
        assert_eq!(v["labels"][0]["primary"], serde_json::Value::Bool(true));
        n += 1;
    }
    assert!(n >= 60, "only {n} diagnostics");
}

#[test]
fn exit_codes_follow_the_documented_contract() {
    assert_eq!(ganc(&["check", "models/dcgan_mnist.gan"]).status.code(), Some(0));
    let missing = ganc(&["check", "no/such/file.gan"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("help"), "{}", String::from_utf8_lossy(&missing.stderr));
    assert_eq!(ganc(&["check", "--format", "nonsense", "models"]).status.code(), Some(2));
    let warn = workspace().join("tests/ui/w0004_minimax_loss.gan");
    if warn.exists() {
        assert_eq!(ganc(&["check", "tests/ui/w0004_minimax_loss.gan"]).status.code(), Some(0));
        assert_eq!(ganc(&["check", "--deny-warnings", "tests/ui/w0004_minimax_loss.gan"]).status.code(), Some(1));
    }
}

#[test]
fn non_utf8_input_is_an_error_not_a_panic() {
    let tmp = std::env::temp_dir().join(format!("ganc-bytes-{}.gan", std::process::id()));
    std::fs::write(&tmp, [0x64, 0x61, 0xff, 0xfe, 0x00]).unwrap();
    let out = ganc(&["check", tmp.to_str().unwrap()]);
    std::fs::remove_file(&tmp).ok();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("UTF-8"));
}

#[test]
fn summary_lists_layers_shapes_and_parameter_totals() {
    let out = ganc(&["check", "--summary", "models/dcgan_mnist.gan"]);
    let text = stdout(&out);
    assert!(text.contains("deconv(channels: 64, kernel: 4, stride: 2, padding: 1)"), "{text}");
    // Parameters of the PyTorch anchor's G: Linear 100*6272+6272, BN 2*6272, deconvs 128*64*16+64 and 64*16+1, BN 128.
    let g_total = 100 * 6272 + 6272 + 2 * 6272 + 128 * 64 * 16 + 64 + 2 * 64 + 64 * 16 + 1;
    assert!(
        text.contains(&format!("[1, 28, 28]  {g_total:>12}"))
            || text.lines().any(|l| l.contains("total") && l.ends_with(&g_total.to_string())),
        "{text}"
    );
}

#[test]
fn explain_prints_pages_and_registry_entries() {
    let out = ganc(&["explain", "E0305"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(text.starts_with("# E0305") && text.contains("## Wrong") && text.contains("## Fixed"), "{text}");
    let out = ganc(&["explain", "gradient_penalty"]);
    assert!(stdout(&out).contains("Gulrajani"));
    assert_eq!(ganc(&["explain", "E9999"]).status.code(), Some(2));
    let layers = stdout(&ganc(&["layers", "--kind", "layer"]));
    for name in ["conv", "self_attention", "minibatch_stddev", "adain", "pixel_shuffle"] {
        assert!(layers.contains(name), "{name} missing from `ganc layers`");
    }
}

#[test]
fn explain_and_layers_say_what_trains() {
    let conv = stdout(&ganc(&["explain", "conv"]));
    assert!(conv.contains("Runtime: trains with `ganc train`"), "{conv}");
    let private = stdout(&ganc(&["explain", "differential_privacy"]));
    assert!(private.contains("(regularizer)") && private.contains("Runtime: trains with `ganc train`"), "{private}");
    let spectral = stdout(&ganc(&["explain", "spectral"]));
    assert!(spectral.contains("(wrapper)") && spectral.contains("Runtime: trains with `ganc train`"), "{spectral}");
    let nan = stdout(&ganc(&["explain", "nan"]));
    assert!(nan.contains("always on"), "{nan}");
    let layers = stdout(&ganc(&["layers", "--kind", "layer"]));
    let line = layers.lines().find(|l| l.trim_start().starts_with("self_attention")).unwrap();
    assert!(!line.contains("checked only"), "{line}");
    let trains = stdout(&ganc(&["layers", "--trains"]));
    assert!(trains.contains("`conv`") && trains.contains("`self_attention`"), "{trains}");
    for refused in layers.lines().filter(|l| l.contains("checked only")) {
        let name = refused.split_whitespace().next().unwrap().split('(').next().unwrap();
        assert!(!trains.contains(&format!("`{name}`")), "`{name}` is checked only, yet listed:\n{trains}");
    }
}
