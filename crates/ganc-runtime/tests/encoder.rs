//! BiGAN / ALI (Donahue et al. 2017; Dumoulin et al. 2017): D scores (data, code) pairs and G and
//! E train together to swap them, so that E learns to invert G: G(E(x)) comes back to x. A run
//! checkpoints the encoder, resumes it exactly, and measures it on the test split.

mod common;

use common::{run, serial, temp, write_mnist};
use ganc_runtime::burn::module::Module;
use ganc_runtime::burn::tensor::{Device, Tensor};
use ganc_runtime::growth::Growth;
use ganc_runtime::layers::Ctx;
use ganc_runtime::run::TrainOptions;
use ganc_runtime::trainer::Trainer;
use ganc_runtime::value::Value;

/// D of the ring models: it scores (point, code) pairs.
const PAIR_D: &str = r#"discriminator D(point, z) -> logit {
    let code = z |> linear(64)
    linear(64)
    leaky_relu(0.2)
    concat(code)
    linear(64)
    leaky_relu(0.2)
    linear(1)
}
"#;

/// BiGAN on the 8-Gaussian ring with a 2-D latent.
fn ring_bigan() -> String {
    format!(
        r#"
data ring(8)
latent z ~ normal(2)
generator G(z) -> point {{ linear(64) relu linear(64) relu linear(2) }}
encoder E(point) -> z {{ linear(64) leaky_relu(0.2) linear(64) leaky_relu(0.2) linear(2) }}
{PAIR_D}
loss non_saturating
train {{
    batch: 64
    steps: 3000
    seed: 3
    optimizer G: adam(lr: 1e-3, betas: (0.5, 0.999))
    optimizer E: adam(lr: 1e-3, betas: (0.5, 0.999))
    optimizer D: adam(lr: 1e-3, betas: (0.5, 0.999))
}}
"#
    )
}

/// `‖G(E(x)) - x‖²` over a batch of real points, relative to `‖x‖²` (networks in evaluation
/// mode).
fn reconstruction_error(t: &Trainer, data: &ganc_data::Data) -> f64 {
    let device = Device::flex();
    let batch = data.batch(99, 0, 1000);
    let x = Tensor::<2>::from_data(ganc_runtime::burn::tensor::TensorData::new(batch.x, [1000, 2]), &device);
    let ctx = Ctx { step: u64::MAX, training: false, growth: Growth::FULL };
    let (e, _) = t.encoder.as_ref().expect("an encoder");
    let code = e.valid().forward(vec![Value::Flat(x.clone())], &ctx);
    let back = t.g.valid().forward(vec![code], &ctx).flat();
    let num = (back - x.clone()).powi_scalar(2).sum().into_scalar::<f32>() as f64;
    num / x.powi_scalar(2).sum().into_scalar::<f32>() as f64
}

#[test]
fn the_encoder_learns_to_invert_the_generator() {
    let _turn = serial();
    let (mut t, data) = common::trainer(&ring_bigan());
    let before = reconstruction_error(&t, &data);
    // Adversarial training oscillates: the last four measurements, 250 steps apart.
    let mut last = Vec::new();
    for step in 1..=t.plan.steps {
        t.step(&data, false);
        if step + 750 >= t.plan.steps && step % 250 == 0 {
            last.push(reconstruction_error(&t, &data));
        }
    }
    let after = last.iter().sum::<f64>() / last.len() as f64;
    assert!(before > 0.5, "an untrained G(E(x)) is far from x: {before}");
    assert!(after < 0.5 * before, "G(E(x)) should come back to x: {before} -> {last:?}");
}

/// A tiny BiGAN on generated MNIST-like images, measured on their test split.
const MNIST_BIGAN: &str = r#"
data mnist(split: train)
latent z ~ normal(8)
generator G(z) -> image { linear(32) relu linear(784) reshape(1, 28, 28) tanh }
encoder E(image) -> z { flatten linear(32) leaky_relu(0.2) linear(8) }
discriminator D(image, z) -> logit {
    let code = z |> linear(16)
    flatten
    linear(16)
    leaky_relu(0.2)
    concat(code)
    linear(1)
}
loss non_saturating
train {
    batch: 10
    steps: 6
    seed: 2
    log every 1 steps
    checkpoint every 3 steps
}
evaluate every 3 steps { reconstruction linear_probe }
"#;

#[test]
fn a_bigan_run_measures_its_encoder_and_resumes_it() {
    let _turn = serial();
    let dir = temp("bigan-run");
    write_mnist(&dir, 100);
    let opts = TrainOptions { data_dir: Some(dir.clone()), ..TrainOptions::default() };
    let run = run(MNIST_BIGAN, &dir.join("run"), opts).0.expect("trains");
    assert!(run.join("checkpoint/e.bpk").exists() && run.join("checkpoint/opt_e.bpk").exists());
    // The last grid of reconstructions: 4 rows of training images, each followed by G(E(x)).
    let grid = image::open(run.join("samples/reconstructions_step_000006.png")).expect("a reconstruction grid");
    let first = image::open(run.join("samples/step_000006.png")).expect("a sample grid");
    assert_eq!(grid.width(), first.width(), "8 images a row, as the 8x8 sample grid");
    assert_eq!(grid.height(), first.height(), "8 rows: 4 of images, 4 of reconstructions");
    let (header, rows) = ganc_runtime::metrics::table(&run.join("evaluate.csv")).expect("evaluate.csv");
    assert_eq!(header, ["step", "reconstruction", "linear_probe"]);
    assert_eq!(rows.len(), 2);
    for row in &rows {
        assert!(row[1].is_finite() && row[1] > 0.0, "reconstruction {row:?}");
        assert!((0.0..=1.0).contains(&row[2]), "linear probe accuracy {row:?}");
    }
}

#[test]
fn a_bigan_resumes_exactly_with_its_encoder() {
    let _turn = serial();
    let logged = ring_bigan().replace("seed: 3", "seed: 3\n    log every 1 steps");
    common::assert_resumes_exactly(&logged, "bigan-resume", "opt_e.bpk");
}

/// AVB with an encoder whose posterior is known, `q(z|x) = N(μ(x), 1)` for `μ(x) = a·x + b`
/// (`linear(1)` plus the unit noise), frozen (learning rates of 1e-12), so that only D learns.
fn ring_avb() -> String {
    format!(
        r#"
data ring(8)
latent z ~ normal(1)
latent noise ~ normal(1)
generator G(z) -> point {{ linear(16) relu linear(2) }}
encoder E(point, noise) -> z {{ linear(1) add(noise) }}
{PAIR_D}
loss avb(sigma: 1.0)
train {{
    batch: 128
    steps: 2000
    seed: 5
    optimizer G: sgd(lr: 1e-12)
    optimizer E: sgd(lr: 1e-12)
    optimizer D: adam(lr: 1e-3, betas: (0.5, 0.999))
}}
"#
    )
}

#[test]
fn avb_discriminator_estimates_the_kl_of_the_posterior_to_the_prior() {
    let _turn = serial();
    let (mut t, data) = common::trainer(&ring_avb());
    for _ in 0..t.plan.steps {
        t.step(&data, false);
    }
    let device = Device::flex();
    let ctx = Ctx { step: u64::MAX, training: false, growth: Growth::FULL };
    let batch = data.batch(77, 0, 4000);
    let x =
        Value::Flat(Tensor::<2>::from_data(ganc_runtime::burn::tensor::TensorData::new(batch.x, [4000, 2]), &device));
    let (e, _) = t.encoder.as_ref().expect("an encoder");
    let e = e.valid();
    // μ(x): the encoder with zero noise; KL(N(μ, 1) ‖ N(0, 1)) = μ² / 2.
    let mu = e.forward(vec![x.clone(), Value::Flat(Tensor::zeros([4000, 1], &device))], &ctx).flat();
    let kl = mu.clone().powi_scalar(2).mean().into_scalar::<f32>() as f64 / 2.0;
    let eps = Tensor::<2>::random([4000, 1], ganc_runtime::burn::tensor::Distribution::Normal(0.0, 1.0), &device);
    let z = Value::Flat(mu + eps);
    let estimate = t.d.valid().forward(vec![x, z], &ctx).flat().mean().into_scalar::<f32>() as f64;
    eprintln!("KL {kl}, D's estimate {estimate}");
    assert!(kl > 0.2, "the posterior differs from the prior: KL {kl}");
    assert!((estimate - kl).abs() < 0.2 * kl, "D's mean logit on posterior pairs {estimate} vs the KL {kl}");
}
