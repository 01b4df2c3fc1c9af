//! Differentially private D training (DP-SGD, Abadi et al. 2016): every sample's gradient is
//! clipped to norm C, the noise has the standard deviation the accountant assumes, the private
//! step is the ordinary one when neither clips nor noises, and a run reports the ε the accountant
//! gives and stops within its budget.

mod common;

use common::{run, serial, temp, weights, write_mnist};
use ganc_runtime::burn::module::{ModuleVisitor, Param};
use ganc_runtime::burn::optim::GradientsParams;
use ganc_runtime::burn::tensor::{Device, Tensor};
use ganc_runtime::growth::Growth;
use ganc_runtime::layers::Ctx;
use ganc_runtime::privacy::{self, Privacy};
use ganc_runtime::run::{TrainError, TrainOptions};
use ganc_runtime::trainer::Trainer;
use ganc_runtime::value::Value;
use std::path::Path;

/// A small MLP GAN on 28x28 images, with `regularize` and D's optimizer `opt_d`.
fn model(regularize: &str, opt_d: &str, steps: u64) -> String {
    format!(
        r#"
data mnist(split: train)
latent z ~ normal(8)
generator G(z) -> image {{ linear(32) relu linear(784) reshape(1, 28, 28) tanh }}
discriminator D(image) -> logit {{ flatten linear(16) leaky_relu(0.2) linear(1) }}
loss non_saturating
{regularize}
train {{
    batch: 10
    steps: {steps}
    seed: 5
    optimizer D: {opt_d}
    log every 1 steps
}}
"#
    )
}

/// A trainer for `text` on the CPU with the generated MNIST of `dir`, and that data.
fn trainer(text: &str, dir: &Path) -> (Trainer, ganc_data::Data) {
    let m = common::model(text);
    let plan = ganc_runtime::plan::plan(&m).expect("a model the runtime trains");
    let device = Device::flex().autodiff();
    device.seed(plan.seed);
    let (g, d) = ganc_runtime::run::networks(&m, &device).expect("lowers");
    let data = ganc_data::open(&plan.source, dir).expect("the generated MNIST");
    (Trainer::new(plan, g, d, device), data)
}

/// The L2 norm of `grads` over `net`'s parameters, summed here rather than by the runtime.
fn norm(net: &ganc_runtime::network::Net, grads: &GradientsParams) -> f64 {
    struct Squares<'a>(&'a GradientsParams, f64);
    impl ModuleVisitor for Squares<'_> {
        fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<D>>) {
            if let Some(g) = self.0.get::<D>(p.id) {
                self.1 += common::values(g).iter().map(|v| (*v as f64).powi(2)).sum::<f64>();
            }
        }
    }
    let mut v = Squares(grads, 0.0);
    ganc_runtime::burn::module::Module::visit(net, &mut v);
    v.1.sqrt()
}

/// D's weights after one step of the trainer for `text`, before and after.
fn one_step(text: &str, dir: &Path, privacy: Option<Privacy>) -> (Vec<f32>, Vec<f32>) {
    let (mut t, data) = trainer(text, dir);
    if privacy.is_some() {
        t.plan.privacy = privacy;
    }
    let before = weights(&t.d);
    t.step(&data, true);
    (before, weights(&t.d))
}

fn distance(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(x, y)| ((x - y) as f64).powi(2)).sum::<f64>().sqrt()
}

#[test]
fn clipping_bounds_every_per_sample_gradient_and_keeps_the_small_ones() {
    let _turn = serial();
    let dir = temp("privacy-clip");
    write_mnist(&dir, 40);
    let (t, data) = trainer(&model("", "sgd(lr: 0.1)", 1), &dir);
    let batch = data.batch(5, 0, 10);
    let x = ganc_runtime::burn::tensor::Tensor::<4>::from_data(
        ganc_runtime::burn::tensor::TensorData::new(batch.x, [10, 1, 28, 28]),
        &t.device,
    );
    let ctx = Ctx { step: 0, training: true, growth: Growth::FULL };
    let per_sample: Vec<GradientsParams> = (0..10)
        .map(|i| {
            let out = t.d.forward(vec![Value::Image(x.clone().narrow(0, i, 1))], &ctx).flat();
            // Any per-sample loss: its gradients differ in size from sample to sample.
            let loss = (out.clone() * out).sum() + Tensor::<1>::ones([1], &t.device);
            GradientsParams::from_module(&mut loss.backward(), &t.d)
        })
        .collect();
    let raw: Vec<f64> = per_sample.iter().map(|g| norm(&t.d, g)).collect();
    let mut sorted = raw.clone();
    sorted.sort_by(f64::total_cmp);
    let c = 0.5 * (sorted[4] + sorted[5]);
    assert!(sorted[0] < c && c < sorted[9] && sorted[0] > 0.0, "{raw:?}");
    for (g, raw) in per_sample.iter().zip(&raw) {
        let (clipped, measured) = privacy::clip(&t.d, g, c);
        let after = norm(&t.d, &clipped);
        assert!((measured - raw).abs() <= 1e-4 * raw, "the runtime measured {measured}, here {raw}");
        assert!(after <= c * (1.0 + 1e-5), "a clipped gradient of norm {after} > C = {c}");
        if *raw <= c {
            assert!((after - raw).abs() <= 1e-5 * raw, "a gradient within C changed: {raw} -> {after}");
        } else {
            assert!((after - c).abs() <= 1e-5 * c, "a gradient above C is scaled to C: {raw} -> {after}");
        }
    }
}

#[test]
fn a_private_step_that_neither_clips_nor_noises_is_the_ordinary_step() {
    let _turn = serial();
    let dir = temp("privacy-same");
    write_mnist(&dir, 40);
    let text = model("", "sgd(lr: 0.5)", 1);
    let open = Privacy { clip: 1e9, noise: Some(0.0), delta: 1e-5, budget: None };
    let (before, ordinary) = one_step(&text, &dir, None);
    let (_, private) = one_step(&text, &dir, Some(open));
    let moved = distance(&before, &ordinary);
    assert!(moved > 1e-3, "the ordinary step moved D by {moved}");
    let gap = distance(&ordinary, &private);
    assert!(gap < 1e-4 * moved, "mean of per-sample gradients != batch gradient: {gap} vs a move of {moved}");
}

#[test]
fn the_clipped_mean_moves_d_by_at_most_c() {
    let _turn = serial();
    let dir = temp("privacy-bound");
    write_mnist(&dir, 40);
    // SGD with lr 1: D moves by the private gradient itself, the mean of clipped gradients.
    let text = model("", "sgd(lr: 1.0)", 1);
    let (before, ordinary) = one_step(&text, &dir, None);
    let c = 0.05;
    assert!(distance(&before, &ordinary) > 2.0 * c, "the bound must bite");
    let clipped = Privacy { clip: c, noise: Some(0.0), delta: 1e-5, budget: None };
    let (before, private) = one_step(&text, &dir, Some(clipped));
    let moved = distance(&before, &private);
    assert!(moved <= c * (1.0 + 1e-4) && moved > 0.2 * c, "D moved by {moved} with C = {c}");
}

#[test]
fn the_noise_has_standard_deviation_sigma_c_over_the_batch() {
    let _turn = serial();
    let dir = temp("privacy-noise");
    write_mnist(&dir, 40);
    let text = model("", "sgd(lr: 1.0)", 1);
    // The clipped signal (norm <= C / B over ~12,600 weights) is negligible beside the noise.
    let (c, sigma) = (1e-3, 4.0);
    let noisy = Privacy { clip: c, noise: Some(sigma), delta: 1e-5, budget: None };
    let (before, after) = one_step(&text, &dir, Some(noisy));
    let moves: Vec<f64> = before.iter().zip(&after).map(|(a, b)| (b - a) as f64).collect();
    let n = moves.len() as f64;
    let mean = moves.iter().sum::<f64>() / n;
    let std = (moves.iter().map(|m| (m - mean).powi(2)).sum::<f64>() / n).sqrt();
    let expected = sigma * c / 10.0;
    assert!(n > 10_000.0);
    assert!((std / expected - 1.0).abs() < 0.05, "noise std {std}, expected sigma C / B = {expected}");
    assert!(mean.abs() < 5.0 * expected / n.sqrt(), "the noise has mean {mean}");
}

/// The `epsilon` column of a run's `metrics.csv`, by step.
fn epsilons(run: &Path) -> Vec<(u64, f64)> {
    let (header, rows) = ganc_runtime::metrics::table(&run.join("metrics.csv")).expect("metrics.csv");
    ganc_runtime::metrics::column(&header, &rows, "epsilon")
}

fn run_json(run: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(run.join("run.json")).unwrap()).unwrap()
}

#[test]
fn a_run_reports_the_accountants_epsilon_and_stops_within_its_budget() {
    let _turn = serial();
    let dir = temp("privacy-budget");
    write_mnist(&dir, 100);
    let text = model("regularize D { differential_privacy(clip: 1.0, noise: 1.5, epsilon: 2.0) }", "adam", 1000);
    let opts = TrainOptions { data_dir: Some(dir.clone()), ..TrainOptions::default() };
    let (result, warnings) = run(&text, &dir.join("run"), opts);
    let run = result.expect("trains");
    // Batches of 10 of 100 images: q = 0.1.
    let accountant = ganc_privacy::Accountant::new(0.1, 1.5, 1e-5).unwrap();
    let eps = epsilons(&run);
    let (last, spent) = *eps.last().expect("logged steps");
    assert!(last < 1000, "the budget stopped the run (at step {last})");
    assert!(
        warnings.iter().any(|w| w.contains("allows") && w.contains(&format!("stops at step {last}"))),
        "{warnings:?}"
    );
    for (step, e) in &eps {
        assert!((e - accountant.epsilon_after(*step)).abs() < 1e-9, "step {step}: {e}");
    }
    assert!(spent <= 2.0 && accountant.epsilon_after(last + 1) > 2.0, "stopped at step {last}, epsilon {spent}");
    let json = run_json(&run);
    let recorded = json["privacy"]["epsilon"].as_f64().expect("epsilon in run.json");
    assert!((recorded - spent).abs() < 1e-12, "run.json {recorded}, metrics.csv {spent}");
    assert_eq!(json["privacy"]["sample_rate"].as_f64(), Some(0.1));
}

#[test]
fn without_noise_the_budget_is_spent_over_the_whole_run() {
    let _turn = serial();
    let dir = temp("privacy-calibrate");
    write_mnist(&dir, 100);
    let text = model("regularize D { differential_privacy(clip: 1.0, epsilon: 3.0) }", "adam", 12);
    let opts = TrainOptions { data_dir: Some(dir.clone()), ..TrainOptions::default() };
    let run = run(&text, &dir.join("run"), opts).0.expect("trains");
    let (last, spent) = *epsilons(&run).last().unwrap();
    assert_eq!(last, 12, "every step runs");
    assert!(spent <= 3.0 && spent > 2.99, "the calibrated noise spends {spent} of 3.0");
    let sigma = run_json(&run)["privacy"]["noise"].as_f64().unwrap();
    assert_eq!(ganc_privacy::noise_for_budget(0.1, 12, 1e-5, 3.0), Some(sigma));
}

#[test]
fn a_budget_spent_by_one_step_is_refused_with_help() {
    let _turn = serial();
    let dir = temp("privacy-refused");
    write_mnist(&dir, 100);
    let text = model("regularize D { differential_privacy(noise: 0.5, epsilon: 0.1) }", "adam", 10);
    let opts = TrainOptions { data_dir: Some(dir.clone()), ..TrainOptions::default() };
    match run(&text, &dir.join("run"), opts).0 {
        Err(TrainError::Refused { message, help }) => {
            assert!(message.contains("before the first step"), "{message}");
            assert!(help.contains("raise `epsilon`"), "{help}");
        }
        other => panic!("expected a privacy error, got {other:?}"),
    }
}
