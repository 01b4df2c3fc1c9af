//! The registry's record of what `ganc train` lowers ([`Runtime`]) against the runtime itself:
//! for every entry, a tiny model that uses it is planned and lowered. An entry marked as
//! training must pass; one marked not lowered must be refused with `E0501` naming it; one
//! marked always on must pass. `ganc check` must warn exactly where the runtime refuses
//! (`W0008`) or ignores (`W0007`). The structures the runtime refuses without a registry entry
//! (`replay` with an encoder, label tricks without targets, ...) are checked the same way.
//!
//! A new registry entry without a model here fails `every_entry_has_a_model`.

use ganc_check::{check_source, FsLoader};
use ganc_diagnostics::Diagnostic;
use ganc_registry::{Kind, Runtime, Spec, ENTRIES};
use ganc_runtime::burn;
use std::collections::BTreeSet;
use std::path::Path;

/// The parts of a tiny conditional MNIST model; each entry changes some.
struct Parts {
    data: String,
    latent: String,
    g: String,
    g_in: String,
    d_out: String,
    d: String,
    loss: String,
    reg_d: String,
    reg_g: String,
    train: String,
    evaluate: String,
    /// BiGAN: an encoder `E(image) -> z` whose code D reads.
    encoder: bool,
    /// Image-to-image: G translates each pair's input, a multi-scale D reads it beside the image.
    paired: bool,
    /// StackGAN++: G's two stacked stages, each judged by a joint D of its own; the condition
    /// (`labels` or `embeddings(4)`), augmented at G's input.
    stacked: Option<&'static str>,
}

impl Default for Parts {
    fn default() -> Self {
        Parts {
            data: "mnist(split: test)".into(),
            latent: "normal(4)".into(),
            g: "linear(28 * 28)\n reshape(1, 28, 28)\n tanh".into(),
            g_in: "z".into(),
            d_out: "logit".into(),
            d: String::new(),
            loss: "non_saturating".into(),
            reg_d: String::new(),
            reg_g: String::new(),
            train: String::new(),
            evaluate: String::new(),
            encoder: false,
            paired: false,
            stacked: None,
        }
    }
}

impl Parts {
    /// A D body around `layers`, which start from an [8, 14, 14] image.
    fn d_with(layers: &str) -> Parts {
        Parts { d: layers.into(), ..Parts::default() }
    }

    /// AC-GAN: D gives a score and class logits, G draws classes.
    fn classified() -> Parts {
        let g = "let e = y |> embedding(4)\n concat(e)\n linear(28 * 28)\n reshape(1, 28, 28)\n tanh";
        Parts {
            loss: "auxiliary_classifier".into(),
            d_out: "logits".into(),
            g: g.into(),
            g_in: "z, y".into(),
            ..Parts::default()
        }
    }

    /// A semi-supervised GAN: D gives one logit per class and reads no label.
    fn semi_supervised() -> Parts {
        Parts { loss: "semi_supervised(generator: non_saturating)".into(), d_out: "classes".into(), ..Parts::default() }
    }

    /// BiGAN: an encoder of `z`, read by D beside the image.
    fn bigan() -> Parts {
        Parts { encoder: true, ..Parts::default() }
    }

    /// pix2pixHD on outlines of MNIST (`data` may name another paired source).
    fn paired() -> Parts {
        Parts {
            data: "mnist(split: test, pairs: edges)".into(),
            d_out: "patch".into(),
            paired: true,
            ..Parts::default()
        }
    }

    /// StackGAN++ on class labels.
    fn stacked() -> Parts {
        Parts { d_out: "joint".into(), stacked: Some("labels"), ..Parts::default() }
    }

    /// The text of [`Parts::stacked`] models.
    fn stacked_text(&self, condition: &str) -> String {
        let (augmented, read) = match condition {
            "labels" => ("embedding(4) |> conditioning_augmentation(4)", "let e = y |> embedding(4)\n concat(e)"),
            _ => ("conditioning_augmentation(4)", "concat(y)"),
        };
        let stage = |body: &str| {
            format!("{{ {body} conv(4, kernel: 3, padding: 1) relu }} to_rgb {{ conv(1, kernel: 3, padding: 1) }}")
        };
        format!(
            "data {}\nlatent z ~ normal(4)\ncondition y ~ {condition}\ngenerator G(z, y) -> image {{\n \
             let c = y |> {augmented}\n concat(c)\n linear(4 * 14 * 14)\n reshape(4, 14, 14)\n grow 14 {}\n \
             grow 28 {}\n tanh\n}}\ndiscriminator D(image, y) -> {} at stages: 2 {{\n conv(4, kernel: 3, padding: 1)\n \
             leaky_relu(0.2)\n global_avg_pool\n let f\n let u = f |> linear(1)\n {read}\n linear(1)\n concat(u)\n}}\n\
             loss non_saturating\nregularize G {{ {} }}\n{}\n",
            self.data,
            stage(""),
            stage("upsample(2)"),
            self.d_out,
            self.reg_g,
            if self.evaluate.is_empty() {
                String::new()
            } else {
                format!("evaluate every 10 steps {{ {} }}", self.evaluate)
            },
        )
    }

    /// A model of data shaped `[c, h, w]` (or points when `c` is 0).
    fn data(source: &str, c: i64, h: i64) -> Parts {
        let g = if c == 0 {
            "linear(2)".to_string()
        } else {
            format!("linear({})\n reshape({c}, {h}, {h})\n tanh", c * h * h)
        };
        let value = if c == 0 { "point" } else { "image" };
        Parts { data: source.into(), g, d_out: format!("logit:{value}"), ..Parts::default() }
    }

    fn text(&self) -> String {
        if let Some(condition) = self.stacked {
            return self.stacked_text(condition);
        }
        if self.paired {
            let channels = if self.data.starts_with("paired") { 3 } else { 1 };
            return format!(
                "data {}\ncondition x ~ paired\ngenerator G(x) -> image {{\n conv({channels}, kernel: 3, padding: 1)\n tanh\n}}\n\
                 discriminator D(image, x) -> {} at scales: 2 {{\n concat(x)\n conv(4, kernel: 3, padding: 1)\n \
                 leaky_relu(0.2)\n conv(1, kernel: 3, padding: 1)\n}}\nloss least_squares\nregularize G {{ {} }}\n{}\n",
                self.data,
                self.d_out,
                self.reg_g,
                if self.evaluate.is_empty() { String::new() } else { format!("evaluate every 10 steps {{ {} }}", self.evaluate) },
            );
        }
        let (out, value) = self.d_out.split_once(':').unwrap_or((&self.d_out, "image"));
        let d_body = if value == "point" {
            "linear(16)\n leaky_relu(0.2)\n linear(1)".to_string()
        } else if out == value {
            // An autoencoder, for BEGAN.
            "flatten\n linear(784)\n reshape(1, 28, 28)".to_string()
        } else if self.data.starts_with("mnist") {
            let head = match out {
                "logits" => 11,
                "classes" => 10,
                _ => 1,
            };
            let (code, joined) = if self.encoder { ("let c = z |> linear(4)\n ", "concat(c)\n ") } else { ("", "") };
            format!(
                "{code}conv(8, kernel: 4, stride: 2, padding: 1)\n leaky_relu(0.2)\n {}\n flatten\n {joined}linear({head})",
                self.d
            )
        } else {
            "flatten\n linear(1)".to_string()
        };
        let labelled = value != "point" && !self.data.starts_with("images") && out != "classes" && !self.encoder;
        let d_inputs = match (labelled, self.encoder) {
            (true, _) => "image, y",
            (_, true) => "image, z",
            _ => value,
        };
        let encoder = if self.encoder { "encoder E(image) -> z {\n flatten\n linear(4)\n}" } else { "" };
        let condition = if labelled { "condition y ~ labels" } else { "" };
        let evaluate = if self.evaluate.is_empty() {
            String::new()
        } else {
            format!("evaluate every 10 steps {{ {} }}", self.evaluate)
        };
        format!(
            "data {}\nlatent z ~ {}\n{condition}\ngenerator G({}) -> {value} {{\n {}\n}}\n\
             discriminator D({d_inputs}) -> {out} {{\n {d_body}\n}}\n{encoder}\nloss {}\n\
             regularize D {{ {} }}\nregularize G {{ {} }}\ntrain {{\n {}\n}}\n{evaluate}\n",
            self.data, self.latent, self.g_in, self.g, self.loss, self.reg_d, self.reg_g, self.train
        )
    }
}

/// The tiny model that uses the entry `kind` `name`.
fn model_for(kind: Kind, name: &str) -> Option<Parts> {
    let d = Parts::d_with;
    let reg = |r: &str| Parts { reg_d: r.into(), ..Parts::default() };
    let train = |t: &str| Parts { train: t.into(), ..Parts::default() };
    Some(match kind {
        Kind::Layer => d(match name {
            "linear" => "flatten\n linear(8)",
            "conv" => "conv(8, kernel: 3, padding: 1)",
            "deconv" => "deconv(8, kernel: 4, stride: 2, padding: 1)",
            "embedding" => "let e = y |> embedding(4)\n concat(e)",
            "constant" => "constant(8, height: 14, width: 14)",
            "upsample" => "upsample(2)",
            "pixel_shuffle" => "pixel_shuffle(2)",
            "avgpool" | "maxpool" | "downsample" => return Some(d(&format!("{name}(2)"))),
            "global_sum_pool" | "global_avg_pool" | "flatten" | "batchnorm" | "instancenorm" | "layernorm"
            | "pixelnorm" | "relu" | "leaky_relu" | "tanh" | "sigmoid" | "gelu" | "silu" | "dropout"
            | "gaussian_noise" | "noise_injection" => return Some(d(name)),
            "reshape" => "reshape(8, 14, 14)",
            "concat" => "let h\n concat(h)",
            "add" => "let h\n add(h)",
            "groupnorm" => "groupnorm(4)",
            "conditional_batchnorm" => "conditional_batchnorm(y)",
            "adain" => "let s = y |> embedding(8)\n adain(s)",
            "self_attention" => "self_attention(reduction: 2)",
            // In G: its reference batch is drawn from G's inputs.
            "virtual_batchnorm" => {
                let g = "linear(28 * 28)\n virtual_batchnorm(reference: 4)\n reshape(1, 28, 28)\n tanh";
                return Some(Parts { g: g.into(), ..Parts::default() });
            }
            "minibatch_discrimination" => "flatten\n minibatch_discrimination(kernels: 4, dims: 2)",
            "minibatch_stddev" => "minibatch_stddev(group: 2)",
            "projection" => "flatten\n projection(y)",
            "conditioning_augmentation" => return Some(Parts::stacked()),
            _ => return None,
        }),
        Kind::Wrapper => d(&format!("{name} conv(8, kernel: 3, padding: 1)")),
        Kind::Schedule => d(&format!("gaussian_noise(0.1, decay: {name} over 10 steps)")),
        Kind::Loss => match name {
            "auxiliary_classifier" => Parts::classified(),
            "semi_supervised" => Parts::semi_supervised(),
            "avb" => Parts { loss: name.into(), ..Parts::bigan() },
            "began" => Parts { loss: name.into(), d_out: "image".into(), d: String::new(), ..Parts::default() },
            _ => Parts { loss: name.into(), ..Parts::default() },
        },
        Kind::Output => match name {
            "logits" => Parts::classified(),
            "patch" => Parts::paired(),
            "joint" => Parts::stacked(),
            "classes" => Parts::semi_supervised(),
            _ => Parts { d_out: name.into(), ..Parts::default() },
        },
        Kind::Regularizer => match name {
            "weight_clip" => Parts { loss: "wasserstein".into(), reg_d: name.into(), ..Parts::default() },
            "feature_matching" => {
                Parts { d: "let features".into(), reg_g: "feature_matching(at: D.features)".into(), ..Parts::default() }
            }
            "nagarajan_kolter" => Parts { reg_g: name.into(), ..Parts::default() },
            "paired_feature_matching" => Parts { reg_g: name.into(), ..Parts::paired() },
            "color_consistency" => Parts { reg_g: name.into(), ..Parts::stacked() },
            _ => reg(name),
        },
        Kind::Optimizer => train(&format!("optimizer D: {name}")),
        Kind::TrainOption => match name {
            "ema" => train("ema G: 0.99"),
            "batches" => train("batches: mixed"),
            "fakes" => train("fakes: shared"),
            "truncation" => train("truncation: 0.5"),
            "style_mixing" => Parts {
                g: "let w = z { linear(8) }\n linear(28 * 28)\n reshape(1, 28, 28)\n adain(w)\n adain(w)\n tanh".into(),
                train: "style_mixing: 0.5".into(),
                ..Parts::default()
            },
            "unroll" => train("unroll: 2"),
            "unroll_gradient" => train("unroll: 2\n unroll_gradient: first_order"),
            // D reads labels: the buffer keeps them with the fakes.
            "replay" => train("replay(buffer: 8)"),
            "progressive" => return None, // needs stages: see `progressive_stages_train_unwarned`
            _ => train(&format!("{name}: 2")),
        },
        Kind::Periodic => train(&format!("{name} every 5 steps")),
        Kind::Watch => train(&format!("watch {{ {name}{} }}", if name == "nan" { "" } else { ": 10" })),
        Kind::Data => match name {
            "mnist" | "fashion_mnist" => Parts::data(&format!("{name}(split: test)"), 1, 28),
            "cifar10" => Parts::data("cifar10(split: test)", 3, 32),
            "images" => Parts::data("images(path: \"pictures\", size: 8)", 3, 8),
            "paired" => Parts { data: "paired(path: \"facades\", size: 8)".into(), ..Parts::paired() },
            "ring" => Parts::data("ring(modes: 4)", 0, 0),
            "grid" => Parts::data("grid(modes: 4)", 0, 0),
            _ => return None,
        },
        Kind::Distribution => Parts { latent: format!("{name}(4)"), ..Parts::default() },
        Kind::Condition if name == "paired" => Parts::paired(),
        Kind::Condition if name == "embeddings" => Parts {
            data: "mnist(split: test, embeddings: \"captions.npy\")".into(),
            stacked: Some("embeddings(4)"),
            ..Parts::stacked()
        },
        Kind::Condition => Parts::default(),
        Kind::Metric => match name {
            "modes" => Parts { evaluate: name.into(), ..Parts::data("ring(modes: 4)", 0, 0) },
            "test_error" => Parts { evaluate: name.into(), ..Parts::semi_supervised() },
            "reconstruction" | "linear_probe" => Parts { evaluate: name.into(), ..Parts::bigan() },
            "elbo" => Parts { evaluate: name.into(), loss: "avb".into(), ..Parts::bigan() },
            "l1" => Parts { evaluate: name.into(), ..Parts::paired() },
            "stage_gap" => Parts { evaluate: name.into(), ..Parts::stacked() },
            "class_accuracy" => Parts { evaluate: name.into(), ..Parts::classified() },
            _ => Parts { evaluate: name.into(), ..Parts::default() },
        },
    })
}

/// What `ganc check` and `ganc train` say of one model: its check diagnostics, and the
/// runtime's refusals (empty when it plans and lowers).
fn run(text: &str) -> (Vec<Diagnostic>, Vec<Diagnostic>) {
    run_at(Path::new("tiny.gan"), text)
}

/// [`run`] for the text of the file at `path` (whose imports are read beside it).
fn run_at(path: &Path, text: &str) -> (Vec<Diagnostic>, Vec<Diagnostic>) {
    let analysis = check_source(path, text, &FsLoader);
    assert!(!analysis.has_errors(), "the tiny model does not check:\n{text}\n{:#?}", analysis.diagnostics);
    let model = analysis.model.expect("a model");
    let mut refused = ganc_runtime::plan::plan(&model).err().unwrap_or_default();
    let device = burn::tensor::Device::flex().autodiff();
    if let Err(ganc_runtime::run::TrainError::Unsupported(d)) = ganc_runtime::run::networks(&model, &device) {
        refused.extend(d);
    }
    (analysis.diagnostics, refused)
}

fn has(diags: &[Diagnostic], code: &str, name: &str) -> bool {
    diags.iter().any(|d| d.code.id == code && d.message.contains(&format!("`{name}")))
}

fn codes(diags: &[Diagnostic]) -> Vec<String> {
    diags.iter().map(|d| format!("{}: {}", d.code.id, d.message)).collect()
}

fn agrees(spec: &Spec, text: &str) -> Result<(), String> {
    let (checked, refused) = run(text);
    let warned = |code| checked.iter().any(|d| d.code.id == code);
    let ok = match spec.runtime {
        Runtime::Trains => refused.is_empty() && !warned("W0008") && !warned("W0007"),
        Runtime::NotYet => has(&refused, "E0501", spec.name) && has(&checked, "W0008", spec.name),
        Runtime::Implied => refused.is_empty() && has(&checked, "W0007", spec.name),
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{} `{}` is marked {:?}, but\n  ganc check: {:?}\n  ganc train: {:?}\n{text}",
            spec.kind.noun(),
            spec.name,
            spec.runtime,
            codes(&checked),
            codes(&refused)
        ))
    }
}

#[test]
fn every_entry_has_a_model() {
    let missing: Vec<String> = ENTRIES
        .iter()
        .filter(|s| model_for(s.kind, s.name).is_none() && s.name != "progressive")
        .map(|s| format!("{} `{}`", s.kind.noun(), s.name))
        .collect();
    assert!(missing.is_empty(), "add a tiny model for: {}", missing.join(", "));
}

#[test]
fn the_runtime_does_what_each_entry_says() {
    let failures: Vec<String> = ENTRIES
        .iter()
        .filter_map(|spec| model_for(spec.kind, spec.name).map(|parts| (spec, parts.text())))
        .filter_map(|(spec, text)| agrees(spec, &text).err())
        .collect();
    assert!(failures.is_empty(), "{} disagreement(s):\n{}", failures.len(), failures.join("\n\n"));
}

#[test]
fn progressive_stages_train_unwarned() {
    let text = "data mnist(split: test)\nlatent z ~ normal(4)\n\
        generator G(z) -> image {\n grow 14 { linear(4 * 14 * 14) reshape(4, 14, 14) } to_rgb { conv(1, kernel: 1) }\n\
         grow 28 { upsample conv(4, kernel: 3, padding: 1) } to_rgb { conv(1, kernel: 1) }\n tanh\n}\n\
        discriminator D(image) -> logit {\n shrink 28 { avgpool(2) } from_rgb { conv(4, kernel: 1) }\n\
         shrink 14 { flatten linear(1) } from_rgb { conv(4, kernel: 1) }\n}\n\
        loss non_saturating\ntrain { progressive(fade: 2 steps, hold: 2 steps) }\n";
    let (checked, refused) = run(text);
    let warned = checked.iter().any(|d| matches!(d.code.id, "W0008" | "W0007"));
    assert!(refused.is_empty() && !warned, "{:?}\n{:?}", codes(&checked), codes(&refused));
}

#[test]
fn structures_the_runtime_refuses_are_warned() {
    let label_trick_with_hinge =
        Parts { loss: "hinge".into(), reg_d: "label_smoothing(real: 0.9)".into(), ..Parts::default() };
    let replay_with_encoder = Parts { train: "replay(buffer: 8)".into(), ..Parts::bigan() };
    let vbn_in_d = Parts::d_with("virtual_batchnorm\n let h = y |> embedding(4)\n virtual_batchnorm").text();
    let unconditional_acgan = Parts { g: Parts::default().g, g_in: "z".into(), ..Parts::classified() };
    let penalized_acgan = Parts { reg_d: "r1(gamma: 1)".into(), ..Parts::classified() };
    let tiny = Path::new("tiny.gan");
    for (what, path, text) in [
        ("auxiliary_classifier with an unconditional G", tiny, unconditional_acgan.text()),
        ("auxiliary_classifier with a penalty", tiny, penalized_acgan.text()),
        ("virtual_batchnorm in D", tiny, vbn_in_d),
        ("label_smoothing", tiny, label_trick_with_hinge.text()),
        ("replay with an encoder", tiny, replay_with_encoder.text()),
    ] {
        let (checked, refused) = run_at(path, &text);
        assert!(
            checked.iter().any(|d| d.code.id == "W0008"),
            "{what}: no W0008 from ganc check:\n{:?}",
            codes(&checked)
        );
        assert!(refused.iter().any(|d| d.code.id == "E0501"), "{what}: ganc train does not refuse it:\n{text}");
        let spans = |diags: &[Diagnostic], code: &str| -> BTreeSet<(usize, usize)> {
            diags.iter().filter(|d| d.code.id == code).map(|d| (d.primary.span.start, d.primary.span.end)).collect()
        };
        assert_eq!(
            spans(&checked, "W0008"),
            spans(&refused, "E0501"),
            "{what}: a warning at each refusal\n{:?}\n{:?}",
            codes(&checked),
            codes(&refused)
        );
    }
    // A label trick with a loss that has targets, and `unroll: 0`, ask for nothing refused.
    let fine = Parts {
        loss: "least_squares".into(),
        reg_d: "label_flip(p: 0.1)".into(),
        train: "unroll: 0".into(),
        ..Parts::default()
    };
    let (checked, refused) = run(&fine.text());
    assert!(
        refused.is_empty() && !checked.iter().any(|d| d.code.id == "W0008"),
        "{:?} {:?}",
        codes(&checked),
        codes(&refused)
    );
}

/// `nagarajan_kolter` with each layer in D: `ganc check` warns (`W0008`) exactly where
/// `ganc train` refuses (`E0501`), which is exactly where the runtime cannot build D's parameter
/// gradients ([`ganc_check::param_grads::PARAMETER_GRADIENT_LAYERS`]).
#[test]
fn parameter_gradients_are_refused_exactly_where_they_are_not_written() {
    use ganc_runtime::burn::tensor::{Distribution, Int, Tensor, TensorData};
    use ganc_runtime::growth::Growth;
    use ganc_runtime::layers::Ctx;
    use ganc_runtime::param_grad::{loss_and_grads, Side};
    use ganc_runtime::value::Value;
    let device = burn::tensor::Device::flex().autodiff();
    let ctx = Ctx { step: 0, training: true, growth: Growth::FULL };
    let mut failures = Vec::new();
    for spec in ENTRIES.iter().filter(|s| s.kind == Kind::Layer) {
        let Some(parts) = model_for(spec.kind, spec.name).filter(|p| !p.d.is_empty()) else { continue };
        let text = Parts { reg_g: "nagarajan_kolter".into(), ..parts }.text();
        let (checked, refused) = run(&text);
        let listed = ganc_check::param_grads::PARAMETER_GRADIENT_LAYERS.contains(&spec.name);
        let (warned, refuses) = (has(&checked, "W0008", spec.name), has(&refused, "E0501", spec.name));
        let analysis = check_source(Path::new("tiny.gan"), &text, &FsLoader);
        let model = analysis.model.expect("a model");
        let d = ganc_runtime::network::lower(model.network("D").unwrap(), &device).expect("lowers");
        let side = |target: f32| {
            let x = Value::Image(Tensor::random([2, 1, 28, 28], Distribution::Uniform(-1.0, 1.0), &device));
            let y = Value::Labels(Tensor::<1, Int>::from_data(TensorData::new(vec![1i64, 3], [2]), &device));
            Side { inputs: vec![x, y], targets: Tensor::from_data(TensorData::new(vec![target; 2], [2, 1]), &device) }
        };
        let written =
            loss_and_grads(&d, &ganc_runtime::losses::Loss::NonSaturating, side(1.0), side(0.0), &ctx).is_ok();
        if warned == listed || refuses == listed || written != listed {
            failures.push(format!(
                "`{}`: listed {listed}, warned {warned}, refused {refuses}, runtime writes it {written}",
                spec.name
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
