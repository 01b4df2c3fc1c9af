//! The runtime on tiny models: lowered shapes equal the checker's, a ring run learns, resume is
//! exact, sampling needs no data, bad checkpoints and unsupported constructs give errors.

mod common;

use common::{model, serial, temp, write_mnist};
use ganc_runtime::growth::Growth;
use ganc_runtime::layers::Ctx;
use ganc_runtime::run::{train, TrainError, TrainOptions};
use ganc_runtime::value::Value;
use ganc_runtime::{burn, sample};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

const RING: &str = r#"
data ring(8)
latent z ~ normal(4)
generator G(z) -> point { linear(64) relu linear(64) relu linear(2) }
discriminator D(point) -> logit { linear(64) leaky_relu(0.2) linear(64) leaky_relu(0.2) linear(1) }
loss non_saturating
train {
    batch: 128
    steps: 400
    seed: 3
    optimizer G: adam(lr: 1e-3, betas: (0.5, 0.999))
    optimizer D: adam(lr: 1e-3, betas: (0.5, 0.999))
    log every 1 steps
    sample every 400 steps
    checkpoint every 100 steps
}
"#;

/// Every layer the runtime lowers, in one conditional image model.
const ALL_LAYERS: &str = r#"
data mnist(split: test)
latent z ~ normal(16)
condition y ~ labels
generator G(z, y) -> image {
    let e = y |> embedding(8)
    concat(e)
    linear(32 * 7 * 7, init: normal)
    layernorm
    reshape(32, 7, 7)
    deconv(16, kernel: 4, stride: 2, padding: 1)
    batchnorm
    relu
    let k = z { constant(16, height: 14, width: 14) noise_injection }
    add(k)
    conditional_batchnorm(y)
    adain(e)
    self_attention(reduction: 4)
    let skip
    residual { conv(16, kernel: 3, padding: 1) groupnorm(4) gelu } skip { add(skip) }
    upsample
    conv(8, kernel: 3, padding: 1)
    instancenorm
    silu
    concat(e)
    conv(1, kernel: 3, padding: 1)
    dropout(0.1)
    tanh
}
discriminator D(image, y) -> logit {
    gaussian_noise(0.1, decay: linear over 100 steps)
    conv(8, kernel: 4, stride: 2, padding: 1)
    leaky_relu(0.2)
    self_attention(reduction: 2, heads: 2)
    conv(32, kernel: 3, padding: 1)
    pixel_shuffle(2)
    maxpool
    let t
    let s = t { global_sum_pool }
    let a = t { global_avg_pool }
    avgpool
    flatten
    linear(16)
    sigmoid
    let f
    concat(f)
    concat(s)
    concat(a)
    minibatch_discrimination(kernels: 4, dims: 2)
    projection(y)
}
loss least_squares
train { batch: 4 steps: 2 }
"#;

#[test]
fn every_lowered_layer_gives_the_shape_the_checker_inferred() {
    let _rng = serial();
    let m = model(ALL_LAYERS);
    let device = burn::tensor::Device::flex().autodiff();
    let (g, d) = ganc_runtime::run::networks(&m, &device).expect("lowers");
    let ctx = Ctx { step: 0, training: true, growth: Growth::FULL };
    let z = Value::Flat(burn::tensor::Tensor::zeros([2, 16], &device));
    let y = Value::Labels(burn::tensor::Tensor::from_data(burn::tensor::TensorData::new(vec![1i64, 7], [2]), &device));
    for (net, ir, inputs) in [
        (&g, m.generator().unwrap(), vec![z, y.clone()]),
        (&d, m.network("D").unwrap(), vec![Value::Image(burn::tensor::Tensor::zeros([2, 1, 28, 28], &device)), y]),
    ] {
        let traced = net.trace(inputs, &ctx);
        let inferred: Vec<Vec<usize>> =
            ir.layers().iter().map(|l| l.output.dims().unwrap().iter().map(|x| *x as usize).collect()).collect();
        assert_eq!(traced, inferred, "{}", ir.name);
    }
}

fn ring_run(dir: &Path, steps: u64, resume: bool) -> PathBuf {
    let m = model(RING);
    let opts = TrainOptions {
        steps: Some(steps),
        out: Some(dir.to_path_buf()),
        resume: resume.then(|| dir.to_path_buf()),
        device: "cpu".into(),
        ..TrainOptions::default()
    };
    train(&m, RING, Path::new("ring.gan"), &opts, &AtomicBool::new(false), &mut |_| {}).expect("trains")
}

fn metrics(run: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(run.join("metrics.csv")).unwrap();
    // Every column but steps/s, which is a timing.
    text.lines().skip(1).map(|l| l.split(',').take(9).map(String::from).collect()).collect()
}

#[test]
fn a_ring_run_learns_and_leaves_plots_samples_and_a_checkpoint() {
    let _rng = serial();
    let dir = temp("ring");
    let run = ring_run(&dir, 400, false);
    let rows = metrics(&run);
    assert_eq!(rows.len(), 400);
    let d_loss = |r: &Vec<String>| r[1].parse::<f64>().unwrap();
    let first = d_loss(&rows[0]);
    let late = rows[300..].iter().map(d_loss).sum::<f64>() / 100.0;
    assert!(late < first, "D's loss went from {first} to {late}");
    for f in
        ["loss.png", "samples/step_000400.png", "checkpoint/g.bpk", "checkpoint/state.json", "model.gan", "run.json"]
    {
        assert!(run.join(f).exists(), "{f} missing");
    }
    // G's samples move toward the modes: distance to the nearest mode drops.
    let loaded = sample::load(&run, "cpu", true).unwrap();
    let (xy, shape) = sample::sample(&loaded, 1000, 5);
    assert_eq!(shape, vec![1000, 2]);
    let ring = ganc_data::Mixture::ring(8, 2.0, 0.02);
    let trained = ring.nearest(&xy).iter().map(|(_, d)| *d as f64).sum::<f64>() / 1000.0;
    let untrained_dir = temp("ring0");
    let run0 = ring_run(&untrained_dir, 1, false);
    let (xy0, _) = sample::sample(&sample::load(&run0, "cpu", true).unwrap(), 1000, 5);
    let untrained = ring.nearest(&xy0).iter().map(|(_, d)| *d as f64).sum::<f64>() / 1000.0;
    assert!(trained < 0.6 * untrained, "mean distance to a mode: {untrained} -> {trained}");
    std::fs::remove_dir_all(&dir).ok();
    std::fs::remove_dir_all(&untrained_dir).ok();
}

#[test]
fn a_resumed_run_equals_an_uninterrupted_one() {
    let _rng = serial();
    let (a, b) = (temp("whole"), temp("halves"));
    ring_run(&a, 12, false);
    ring_run(&b, 5, false);
    ring_run(&b, 12, true);
    assert_eq!(metrics(&a), metrics(&b));
    std::fs::remove_dir_all(&a).ok();
    std::fs::remove_dir_all(&b).ok();
}

#[test]
fn mnist_trains_and_samples_without_the_data() {
    let _rng = serial();
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/dcgan_mnist.gan"))
        .unwrap_or_else(|_| ALL_LAYERS.replace("split: test", "split: train"));
    let m = model(&text);
    let dir = temp("mnist");
    let data = temp("mnist-data");
    write_mnist(&data, 20);
    let opts = TrainOptions {
        steps: Some(2),
        batch: Some(8),
        out: Some(dir.clone()),
        device: "cpu".into(),
        data_dir: Some(data.clone()),
        ..TrainOptions::default()
    };
    let run = train(&m, &text, Path::new("dcgan.gan"), &opts, &AtomicBool::new(false), &mut |_| {}).expect("trains");
    let loaded = sample::load(&run, "cpu", true).unwrap();
    let (x, shape) = sample::sample(&loaded, 3, 0);
    assert_eq!(shape, vec![3, 1, 28, 28]);
    assert!(x.iter().all(|v| v.is_finite() && (-1.0..=1.0).contains(v)));
    let out = dir.join("g.safetensors");
    let count = ganc_runtime::export::export(&loaded, &out).unwrap();
    assert!(count >= 4);
    let bytes = std::fs::read(&out).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    assert!(st.names().iter().any(|n| n.ends_with("weight")), "{:?}", st.names());
    std::fs::remove_dir_all(&dir).ok();
    std::fs::remove_dir_all(&data).ok();
}

#[test]
fn a_corrupt_checkpoint_is_an_error_not_a_panic() {
    let _rng = serial();
    let dir = temp("corrupt");
    let run = ring_run(&dir, 2, false);
    std::fs::write(run.join("checkpoint/g.bpk"), b"garbage").unwrap();
    assert!(sample::load(&run, "cpu", true).is_err());
    std::fs::write(run.join("checkpoint/state.json"), b"{").unwrap();
    assert!(sample::load(&run, "cpu", true).is_err());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn unsupported_constructs_are_refused_at_their_span() {
    let _rng = serial();
    let text =
        RING.replace("loss non_saturating", "discriminator D2(point) -> logit { linear(1) }\nloss non_saturating");
    let m = model(&text);
    let opts = TrainOptions {
        steps: Some(1),
        out: Some(temp("unsupported")),
        device: "cpu".into(),
        ..TrainOptions::default()
    };
    match train(&m, &text, Path::new("x.gan"), &opts, &AtomicBool::new(false), &mut |_| {}) {
        Err(TrainError::Unsupported(diags)) => {
            assert_eq!(diags[0].code.id, "E0501");
            let at = diags[0].primary.span.start;
            assert!(text[at..].starts_with("D2"), "{}", &text[at..at + 20]);
        }
        other => panic!("expected E0501, got {other:?}"),
    }
}

#[test]
fn missing_data_names_the_path() {
    let _rng = serial();
    let m = model(ALL_LAYERS);
    let opts = TrainOptions {
        steps: Some(1),
        out: Some(temp("nodata")),
        device: "cpu".into(),
        data_dir: Some(temp("empty")),
        ..TrainOptions::default()
    };
    match train(&m, ALL_LAYERS, Path::new("x.gan"), &opts, &AtomicBool::new(false), &mut |_| {}) {
        Err(TrainError::Data(e)) => assert!(e.path.to_string_lossy().contains("mnist"), "{e}"),
        other => panic!("expected a data error, got {other:?}"),
    }
}
