//! The training tricks and optimizers each do what they say: label flipping, instance noise,
//! weight clipping, mixed batches, several D updates per step, SGD, RMSprop, truncation and the
//! latent distributions, each on a tiny ring model against the same model without it.

mod common;

use common::{assert_resumes_exactly, model, run, serial, temp, trainer, weights, RING};
use ganc_runtime::burn::optim::GradientsParams;
use ganc_runtime::burn::tensor::{Device, Tensor, TensorData};
use ganc_runtime::growth::Growth;
use ganc_runtime::layers::Ctx;
use ganc_runtime::plan::{plan, Latent};
use ganc_runtime::run::TrainOptions;
use ganc_runtime::trainer::{optimizer, StepMetrics, Trainer};
use ganc_runtime::value::Value;
use ganc_runtime::{network::Net, sample};

/// The ring with one more line in `train { }`.
fn with_option(line: &str) -> String {
    RING.replace("seed: 3", &format!("seed: 3\n    {line}"))
}

/// The ring with a regularizer on D.
fn with_regularizer(r: &str) -> String {
    format!("{RING}\nregularize D {{ {r} }}\n")
}

/// `steps` steps of a fresh trainer for `text`: the last step's metrics and the trainer.
fn steps(text: &str, steps: usize) -> (StepMetrics, Trainer) {
    let (mut t, data) = trainer(text);
    let mut m = StepMetrics::default();
    for _ in 0..steps {
        m = t.step(&data, true);
    }
    (m, t)
}

fn d_loss(text: &str) -> f64 {
    steps(text, 1).0.d_loss
}

#[test]
fn label_flipping_changes_the_targets_of_d() {
    let _rng = serial();
    let base = d_loss(RING);
    assert_eq!(d_loss(&with_regularizer("label_flip(p: 0)")), base);
    assert_ne!(d_loss(&with_regularizer("label_flip(p: 0.5)")), base);
}

#[test]
fn instance_noise_changes_what_d_sees() {
    let _rng = serial();
    let base = d_loss(RING);
    assert_eq!(d_loss(&with_regularizer("instance_noise(std: 0)")), base);
    assert_ne!(d_loss(&with_regularizer("instance_noise(std: 1)")), base);
}

#[test]
fn instance_noise_decays_to_nothing_on_its_schedule() {
    let _rng = serial();
    // Networks that do not move: the runs differ only by the noise added to what D sees.
    let frozen = with_option("optimizer G: sgd(lr: 1e-30)\n    optimizer D: sgd(lr: 1e-30)");
    let d_losses = |text: &str| {
        let (mut t, data) = trainer(text);
        // Read the weights first: burn draws them when first read, and the noise would draw first.
        let _ = (weights(&t.g), weights(&t.d));
        (0..7).map(|_| t.step(&data, false).d_loss).collect::<Vec<f64>>()
    };
    let plain = d_losses(&frozen);
    for kind in ["linear", "cosine", "exponential"] {
        let noisy =
            d_losses(&format!("{frozen}\nregularize D {{ instance_noise(std: 1, decay: {kind} over 4 steps) }}\n"));
        assert!(noisy[..4].iter().zip(&plain).all(|(a, b)| a != b), "{kind}: noise on steps 1-4");
        assert_eq!(noisy[4..], plain[4..], "{kind}: none from step 5 on");
    }
}

#[test]
fn weight_clipping_keeps_every_weight_of_d_within_c() {
    let _rng = serial();
    let c = 0.01;
    let outside = |t: &Trainer| weights(&t.d).iter().filter(|w| w.abs() > c).count();
    assert!(outside(&steps(RING, 1).1) > 0, "the unclipped D has larger weights");
    // WGAN's critic.
    let critic = RING.replace("-> logit", "-> score").replace("non_saturating", "wasserstein");
    let (_, clipped) = steps(&format!("{critic}\nregularize D {{ weight_clip(c: {c}) }}\n"), 3);
    assert_eq!(outside(&clipped), 0);
    // The generator is not clipped.
    assert!(weights(&clipped.g).iter().any(|w| w.abs() > c));
}

#[test]
fn mixed_batches_share_batch_statistics_of_d() {
    let _rng = serial();
    let batchnorm =
        RING.replace("linear(16) leaky_relu(0.2) linear(1)", "linear(16) batchnorm leaky_relu(0.2) linear(1)");
    let mixed = |text: &str| text.replace("seed: 3", "seed: 3\n    batches: mixed");
    // Without a batch-dependent layer, one batch of both is two batches.
    assert!((d_loss(&mixed(RING)) - d_loss(RING)).abs() < 1e-6);
    // With batchnorm, real and fake are normalized together.
    assert!((d_loss(&mixed(&batchnorm)) - d_loss(&batchnorm)).abs() > 1e-3);
}

#[test]
fn shared_fakes_show_g_the_batch_d_was_shown() {
    let _rng = serial();
    // A critic that does not move: G's loss, -mean D(fake), is then minus the mean score D's
    // step reports for its fakes exactly when G's step takes those same fakes.
    let critic = RING.replace("-> logit", "-> score").replace("non_saturating", "wasserstein");
    let still = critic.replace("seed: 3", "seed: 3\n    optimizer D: sgd(lr: 1e-30)");
    let (m, _) = steps(&still.replace("seed: 3", "seed: 3\n    fakes: shared"), 1);
    assert!((m.g_loss + m.d_fake).abs() < 1e-6, "shared: G's loss {} vs D's fake score {}", m.g_loss, m.d_fake);
    let (fresh, _) = steps(&still, 1);
    assert!((fresh.g_loss + fresh.d_fake).abs() > 1e-4, "fresh latents give G another batch");
    // D's update is the same either way.
    assert!((m.d_loss - fresh.d_loss).abs() < 1e-6);
}

#[test]
fn d_steps_updates_d_on_that_many_batches_per_step() {
    let _rng = serial();
    // G barely moves, so two steps of one D update see what one step of two D updates sees.
    let frozen_g = with_option("optimizer G: sgd(lr: 1e-30)");
    let twice = frozen_g.replace("seed: 3", "seed: 3\n    d_steps: 2");
    let (m2, two_updates) = steps(&twice, 1);
    let (m1, two_steps) = steps(&frozen_g, 2);
    let (_, one_step) = steps(&frozen_g, 1);
    let distance = |a: &Net, b: &Net| weights(a).iter().zip(weights(b)).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max);
    assert!(distance(&two_updates.d, &two_steps.d) < 1e-6);
    assert!((m2.d_loss - m1.d_loss).abs() < 1e-6);
    assert!(distance(&two_updates.d, &one_step.d) > 1e-5);
}

/// D = `linear(1)` trained by the optimizer of `line` on the loss `sum(D(x))`, whose gradient
/// is `(sum of x, n)` for the weights and bias; the parameters after each step.
fn linear_d_under(line: &str, x: &[f32], updates: usize) -> (f64, Vec<Vec<f32>>) {
    let text = with_option(line).replace("linear(16) leaky_relu(0.2) linear(1)", "linear(1)");
    let m = model(&text);
    let p = plan(&m).unwrap();
    let device = Device::flex().autodiff();
    device.seed(1);
    let (_, mut d) = ganc_runtime::run::networks(&m, &device).unwrap();
    let mut opt = optimizer(&p.opt_d);
    let ctx = Ctx { step: 0, training: true, growth: Growth::FULL };
    let mut params = vec![weights(&d)];
    for _ in 0..updates {
        let x = Tensor::<2>::from_data(TensorData::new(x.to_vec(), [x.len() / 2, 2]), &device);
        let loss = d.forward(vec![Value::Flat(x)], &ctx).flat().sum();
        let mut grads = loss.backward();
        let grads = GradientsParams::from_module(&mut grads, &d);
        d = opt.step(p.opt_d.lr(), d, grads);
        params.push(weights(&d));
    }
    (p.opt_d.lr(), params)
}

const X: [f32; 8] = [0.5, -1.0, 2.0, 0.25, -0.5, 1.0, 1.5, -2.0];

/// The gradient of `sum(D(x))` for `linear(1)`: the sums of x's columns, then the batch size.
fn gradient() -> [f32; 3] {
    [X.iter().step_by(2).sum(), X.iter().skip(1).step_by(2).sum(), (X.len() / 2) as f32]
}

fn assert_moved(before: &[f32], after: &[f32], by: impl Fn(usize) -> f32) {
    assert_eq!(before.len(), 3);
    for i in 0..3 {
        let (moved, want) = (after[i] - before[i], by(i));
        assert!((moved - want).abs() <= 1e-6 * want.abs().max(1.0), "parameter {i}: moved {moved}, expected {want}");
    }
}

#[test]
fn sgd_steps_by_the_gradient_times_the_learning_rate_with_momentum() {
    let _rng = serial();
    let g = gradient();
    let (lr, p) = linear_d_under("optimizer D: sgd(lr: 0.1)", &X, 2);
    let lr = lr as f32;
    assert_moved(&p[0], &p[1], |i| -lr * g[i]);
    assert_moved(&p[1], &p[2], |i| -lr * g[i]);
    // With momentum, the second step adds the first one's velocity (the gradient is constant).
    let (_, p) = linear_d_under("optimizer D: sgd(lr: 0.1, momentum: 0.9)", &X, 2);
    assert_moved(&p[0], &p[1], |i| -lr * g[i]);
    assert_moved(&p[1], &p[2], |i| -lr * 1.9 * g[i]);
}

#[test]
fn rmsprop_scales_the_first_step_by_the_running_mean_square() {
    let _rng = serial();
    let g = gradient();
    // The first mean square is (1 - alpha) g^2: each parameter moves by lr / sqrt(1 - alpha).
    let (lr, p) = linear_d_under("optimizer D: rmsprop(lr: 0.001, alpha: 0.99)", &X, 1);
    assert_moved(&p[0], &p[1], |i| -(lr as f32) * g[i].signum() / 0.01f32.sqrt());
}

#[test]
fn truncation_draws_latents_near_zero_at_sampling() {
    let _rng = serial();
    let spread = |text: &str| {
        let dir = temp("truncation");
        run(text, &dir, TrainOptions { steps: Some(1), ..TrainOptions::default() }).0.expect("trains");
        let loaded = sample::load(&dir, "cpu", false).unwrap();
        let (xy, _) = sample::sample(&loaded, 200, 1);
        std::fs::remove_dir_all(&dir).ok();
        xy.chunks(2).map(|p| (p[0] - xy[0]).abs().max((p[1] - xy[1]).abs())).fold(0.0, f32::max)
    };
    assert!(spread(RING) > 1e-2);
    // A tiny threshold is drawn at once, and every latent is almost zero.
    assert!(spread(&with_option("truncation: 1e-9")) < 1e-5);
}

#[test]
fn uniform_and_sphere_latents_reach_the_plan() {
    for (line, latent) in [
        ("latent z ~ uniform(4, low: -2, high: 0.5)", Latent::Uniform(4, -2.0, 0.5)),
        ("latent z ~ sphere(4)", Latent::Sphere(4)),
    ] {
        let p = plan(&model(&RING.replace("latent z ~ normal(4)", line))).unwrap();
        assert_eq!(p.g_inputs, vec![("z".to_string(), latent)]);
    }
}

#[test]
fn historical_averaging_keeps_the_mean_of_the_weights_and_penalizes_the_distance() {
    let _rng = serial();
    let text = format!(
        "{RING}\nregularize G {{ historical_averaging(weight: 0.5) }}\nregularize D {{ historical_averaging(weight: 0.5) }}\n"
    );
    let (mut t, data) = trainer(&text);
    let (mut seen_g, mut seen_d) = (Vec::new(), Vec::new());
    let mean = |seen: &[Vec<f32>]| -> Vec<f32> {
        (0..seen[0].len()).map(|i| seen.iter().map(|w| w[i]).sum::<f32>() / seen.len() as f32).collect()
    };
    for k in 0..4 {
        seen_g.push(weights(&t.g));
        seen_d.push(weights(&t.d));
        let m = t.step(&data, true);
        let (avg_g, avg_d) = (mean(&seen_g), mean(&seen_d));
        let close = |a: &[f32], b: &[f32]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-6);
        assert!(close(&weights(t.averages.0.as_ref().unwrap()), &avg_g), "G's average after {k} updates");
        assert!(close(&weights(t.averages.1.as_ref().unwrap()), &avg_d), "D's average after {k} updates");
        // D's penalty: half the squared distance of the weights it was updated from to their mean.
        let want: f32 = 0.5 * seen_d[k].iter().zip(&avg_d).map(|(w, a)| (w - a) * (w - a)).sum::<f32>();
        assert!((m.penalty - want as f64).abs() < 1e-6 * (1.0 + want as f64), "step {k}: {} vs {want}", m.penalty);
        assert!(k == 0 || want > 0.0, "the weights moved away from their mean");
    }
}

#[test]
fn feature_matching_adds_the_feature_gap_to_g_and_closes_it() {
    let _rng = serial();
    // A frozen D with named features; G's step sees D's fakes, so the runs differ only in the term.
    let base = RING
        .replace("leaky_relu(0.2) linear(1)", "leaky_relu(0.2) let features linear(1)")
        .replace("seed: 3", "seed: 3\n    fakes: shared\n    optimizer D: sgd(lr: 1e-30)");
    let with = |w: f64| format!("{base}\nregularize G {{ feature_matching(at: D.features, weight: {w}) }}\n");
    let g_loss = |text: &str| steps(text, 1).0.g_loss;
    let (plain, one, two) = (g_loss(&base), g_loss(&with(1.0)), g_loss(&with(2.0)));
    assert!(one - plain > 1e-6, "the gap adds to G's loss: {plain} -> {one}");
    assert!(((two - plain) - 2.0 * (one - plain)).abs() < 1e-5, "linear in the weight: {plain} {one} {two}");
    // Trained on it, G moves the mean of D's features on its samples toward the real ones'.
    let gap = |t: &Trainer, data: &ganc_data::Data| {
        let device = t.device.clone();
        device.seed(5);
        let ctx = Ctx { step: 0, training: false, growth: Growth::FULL };
        let real = data.batch(9, 0, 512);
        let real = Value::Flat(Tensor::<2>::from_data(TensorData::new(real.x, [512, 2]), &device));
        let z = Tensor::<2>::random([512, 4], ganc_runtime::burn::tensor::Distribution::Normal(0.0, 1.0), &device);
        let fake = t.g.forward(vec![Value::Flat(z)], &ctx);
        let features = |x: Value| t.d.forward_with(vec![x], &ctx).1["features"].clone().flat().mean_dim(0);
        (features(real) - features(fake)).powi_scalar(2).sum().into_scalar::<f32>()
    };
    // Trained on it, G moves the mean of D's features on its samples toward the real ones'
    // (against a frozen D the adversarial loss alone drives G's samples far from them).
    let trained = |w: f64| {
        let (mut t, data) = trainer(&with(w).replace("seed: 3", "seed: 3\n    optimizer G: adam(lr: 1e-2)"));
        let before = gap(&t, &data);
        for _ in 0..60 {
            t.step(&data, false);
        }
        (before, gap(&t, &data))
    };
    let ((before, matched), (_, unmatched)) = (trained(10.0), trained(0.0));
    assert!(matched < 0.6 * before && matched < 0.1 * unmatched, "gap {before} -> {matched} (without: {unmatched})");
}

#[test]
fn a_run_with_averaged_and_matched_players_resumed_equals_an_uninterrupted_one() {
    let _rng = serial();
    let text = format!(
        "{}\nregularize G {{ feature_matching(at: D.features) historical_averaging(weight: 0.1) }}\nregularize D {{ historical_averaging(weight: 0.1) }}\n",
        RING.replace("steps: 10", "steps: 10\n    log every 1 steps")
            .replace("leaky_relu(0.2) linear(1)", "leaky_relu(0.2) let features linear(1)")
    );
    assert_resumes_exactly(&text, "averages", "average_d.bpk");
}

#[test]
fn relativistic_g_reads_the_real_batch_d_was_shown() {
    let _rng = serial();
    // Paired RSGAN: D's loss is mean softplus(f - r), G's mean softplus(r - f); with the same
    // batches and a D that does not move, their difference is mean(r - f), exactly what D's step
    // reports as its mean real and fake outputs.
    let text = RING
        .replace("-> logit", "-> score")
        .replace("loss non_saturating", "loss relativistic(average: false)")
        .replace("seed: 3", "seed: 3\n    fakes: shared\n    optimizer D: sgd(lr: 1e-30)");
    let (m, _) = steps(&text, 1);
    let want = m.d_real - m.d_fake;
    assert!((m.g_loss - m.d_loss - want).abs() < 1e-5, "G {} - D {} vs {want}", m.g_loss, m.d_loss);
}

#[test]
fn replay_shows_d_old_fakes_from_a_buffer_kept_in_the_checkpoint() {
    let _rng = serial();
    let losses = |text: &str| {
        let (mut t, data) = trainer(text);
        let m: Vec<(f64, f64)> = (0..3).map(|_| t.step(&data, false)).map(|m| (m.d_loss, m.d_fake)).collect();
        (m, t)
    };
    let (plain, _) = losses(RING);
    let (none_old, _) = losses(&with_option("replay(buffer: 40, p: 0.0)"));
    assert_eq!(plain, none_old, "p: 0 shows D only fresh fakes");
    let (all_old, t) = losses(&with_option("replay(buffer: 40, p: 1.0)"));
    assert_eq!(plain[0], all_old[0], "the first batch has nothing to replay");
    assert_ne!(plain[1], all_old[1], "later batches are old fakes");
    // 3 steps of 32 fresh fakes enter a buffer of 40: full.
    assert_eq!(t.replay.as_ref().map(|b| b.len()), Some(40));
    // The buffer survives a resume: a resumed run equals the uninterrupted one.
    assert_resumes_exactly(&with_option("replay(buffer: 40, p: 0.5)\n    log every 1 steps"), "replay", "replay.f32");
}

#[test]
fn dropout_kept_at_sampling_drops_units_when_g_samples() {
    let _rng = serial();
    // `a` before the dropout, `h` after it, in G sampling (not training).
    let at_sampling = |keep: bool| {
        let text = RING.replace(
            "generator G(z) -> point { linear(16) relu linear(2) }",
            &format!(
                "generator G(z) -> point {{ linear(16) let a dropout(p: 0.5, keep_at_sample: {keep}) let h relu linear(2) }}"
            ),
        );
        let (t, _) = trainer(&text);
        let ctx = Ctx { step: 0, training: false, growth: Growth::FULL };
        let z = Tensor::<2>::random([64, 4], ganc_runtime::burn::tensor::Distribution::Normal(0.0, 1.0), &t.device);
        let (_, named) = t.g.forward_with(vec![Value::Flat(z)], &ctx);
        let values = |name: &str| named[name].clone().flat().into_data().try_to_vec::<f32>().unwrap();
        (values("a"), values("h"))
    };
    let (a, h) = at_sampling(false);
    assert_eq!(a, h, "without keep_at_sample, sampling runs G without dropout");
    let (a, h) = at_sampling(true);
    let dropped = h.iter().filter(|&&v| v == 0.0).count() as f64 / h.len() as f64;
    assert!((0.4..0.6).contains(&dropped), "{dropped} of the units dropped at p 0.5");
    assert!(
        a.iter().zip(&h).all(|(a, h)| *h == 0.0 || (h - 2.0 * a).abs() <= 1e-6 * a.abs().max(1.0)),
        "kept units scaled by 1/(1-p)"
    );
}

/// A tiny BEGAN on the ring: D an autoencoder of points.
fn began(lambda_k: f64) -> String {
    RING.replace(
        "-> logit { linear(16) leaky_relu(0.2) linear(1) }",
        "-> point { linear(16) leaky_relu(0.2) linear(2) }",
    )
    .replace("loss non_saturating", &format!("loss began(gamma: 0.5, lambda_k: {lambda_k})"))
    .replace("steps: 10", "steps: 10\n    log every 1 steps")
}

#[test]
fn began_weighs_the_fakes_by_k_which_follows_its_control_law() {
    let _rng = serial();
    let (mut t, data) = trainer(&began(0.5));
    let mut k = 0.0;
    for step in 1..=6 {
        let m = t.step(&data, false);
        // D's loss is L(x) - k_t L(G(z_D)), with the k of before the step.
        assert!((m.d_loss - (m.d_real - k * m.d_fake)).abs() < 1e-5, "step {step}: {m:?} with k {k}");
        // G's loss is L(G(z_G)); then k_{t+1} = clip(k_t + lambda_k (gamma L(x) - L(G(z_G))), 0, 1).
        let balance = 0.5 * m.d_real - m.g_loss;
        k = (k + 0.5 * balance).clamp(0.0, 1.0);
        let (k_after, m_global) = m.equilibrium.expect("BEGAN reports k and M_global");
        assert!((k_after - k).abs() < 1e-9, "step {step}: k {k_after} vs {k}");
        assert!((m_global - (m.d_real + balance.abs())).abs() < 1e-9, "M_global {m_global}");
    }
    assert!(k > 0.0, "k moved: {k}");
}

#[test]
fn a_began_run_resumed_equals_an_uninterrupted_one_and_keeps_k() {
    let _rng = serial();
    let text = began(0.5);
    assert_resumes_exactly(&text, "began", "state.json");
    let dir = temp("began-columns");
    run(&text, &dir, TrainOptions { steps: Some(3), ..TrainOptions::default() }).0.expect("trains");
    let csv = std::fs::read_to_string(dir.join("metrics.csv")).unwrap();
    assert!(csv.lines().next().unwrap().ends_with(",k,m_global"), "{csv}");
    let state = std::fs::read_to_string(dir.join("checkpoint/state.json")).unwrap();
    assert!(state.contains("began_k"), "{state}");
    std::fs::remove_dir_all(&dir).ok();
}
