//! The semi-supervised GAN (Salimans et al. 2016): D learns the classes from a few labelled
//! images and reports its error on the test split; G's loss, trained by feature matching alone,
//! is exactly the feature gap.

mod common;

use common::{run, serial, temp};
use ganc_runtime::run::TrainOptions;
use ganc_runtime::trainer::StepMetrics;
use rand::{RngExt, SeedableRng};
use std::path::{Path, PathBuf};

/// Ten easy classes of 28x28 images: class `l` lights rows `2l..2l+3`, with every pixel
/// jittered, written as the train (`n` images) and test (`n / 2`) splits under `dir/mnist/`.
fn write_bars(dir: &Path, n: usize) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(9);
    for (split, count) in [(ganc_data::Split::Train, n), (ganc_data::Split::Test, n / 2)] {
        let labels: Vec<u8> = (0..count).map(|i| (i % 10) as u8).collect();
        let images: Vec<u8> = labels
            .iter()
            .flat_map(|&l| {
                (0..28 * 28)
                    .map(|p| (p / 28, p % 28))
                    .map(move |(r, _)| (2 * l as usize..2 * l as usize + 3).contains(&r))
            })
            .map(|lit| if lit { rng.random_range(150..=255) } else { rng.random_range(0..=60) })
            .collect();
        ganc_data::write_idx(&dir.join("mnist"), split, 28, 28, &images, &labels).unwrap();
    }
}

/// A small semi-supervised MLP on the bars, with `loss` and G's feature-matching `weight`.
fn model(loss: &str, weight: f64) -> String {
    format!(
        r#"
data mnist(split: train, labels: 20)
latent z ~ uniform(16)
generator G(z) -> image {{ linear(64) relu linear(784) reshape(1, 28, 28) tanh }}
discriminator D(image) -> classes {{
    flatten
    linear(64)
    leaky_relu(0.2)
    let features
    linear(10)
}}
loss {loss}
regularize G {{ feature_matching(at: D.features, weight: {weight}) }}
train {{
    batch: 20
    steps: 60
    seed: 4
    optimizer G: adam(lr: 1e-3, betas: (0.5, 0.999))
    optimizer D: adam(lr: 1e-3, betas: (0.5, 0.999))
    log every 1 steps
    sample every 60 steps
    checkpoint every 60 steps
}}
evaluate every 30 steps {{ test_error }}
"#
    )
}

fn data_dir(name: &str) -> PathBuf {
    let dir = temp(name);
    write_bars(&dir, 400);
    dir
}

fn column(run: &Path, file: &str, name: &str) -> Vec<f64> {
    let text = std::fs::read_to_string(run.join(file)).unwrap();
    let mut lines = text.lines();
    let at = lines.next().unwrap().split(',').position(|c| c == name).unwrap_or_else(|| panic!("no {name}"));
    lines.map(|l| l.split(',').nth(at).unwrap().parse().unwrap()).collect()
}

#[test]
fn d_learns_the_classes_from_two_labels_each_and_reports_its_test_error() {
    let _turn = serial();
    let dir = data_dir("ssl-learns");
    let opts = TrainOptions { data_dir: Some(dir.clone()), ..TrainOptions::default() };
    let (result, _) = run(&model("semi_supervised", 1.0), &dir.join("run"), opts);
    let run = result.expect("trains");
    let errors = column(&run, "evaluate.csv", "test_error");
    assert_eq!(column(&run, "evaluate.csv", "step"), vec![30.0, 60.0]);
    // Chance is 0.9; 20 labelled images of these classes are enough for a small MLP.
    assert!(errors[1] < 0.2, "test error {errors:?}");
    let accuracy = column(&run, "metrics.csv", "d_accuracy");
    assert!(accuracy.last().unwrap() > &0.9, "labelled-batch accuracy {accuracy:?}");
    std::fs::remove_dir_all(&dir).ok();
}

/// The metrics of the first `steps` steps of `text` on the bars.
fn first_steps(text: &str, name: &str, steps: u64) -> Vec<StepMetrics> {
    let dir = data_dir(name);
    let m = common::model(text);
    let plan = ganc_runtime::plan::plan(&m).expect("trains");
    let device = ganc_runtime::burn::tensor::Device::flex().autodiff();
    device.seed(plan.seed);
    let (g, d) = ganc_runtime::run::networks(&m, &device).unwrap();
    let data = ganc_data::open(&plan.source, &dir).unwrap();
    let mut t = ganc_runtime::trainer::Trainer::new(plan.clone(), g, d, device);
    t.labelled = Some(data.labelled_subset(plan.labelled.unwrap(), plan.seed).unwrap());
    let out = (0..steps).map(|_| t.step(&data, false)).collect();
    std::fs::remove_dir_all(&dir).ok();
    out
}

#[test]
fn g_trained_by_feature_matching_alone_has_the_feature_gap_as_its_loss() {
    let _turn = serial();
    // D's updates do not read G's feature-matching weight, so both runs see the same D and the
    // same fakes at the first step: G's loss doubles with the weight when it is the gap alone.
    let g_loss = |loss: &str, weight: f64| first_steps(&model(loss, weight), "ssl-fm", 1)[0].g_loss;
    let (one, two) = (g_loss("semi_supervised", 1.0), g_loss("semi_supervised", 2.0));
    assert!(one > 0.0 && (two - 2.0 * one).abs() < 1e-5 * two, "{one} {two}");
    // With the adversarial term, -log D(G(z)) is added and does not double.
    let non_saturating = "semi_supervised(generator: non_saturating)";
    let (one, two) = (g_loss(non_saturating, 1.0), g_loss(non_saturating, 2.0));
    assert!((two - 2.0 * one).abs() > 1e-2, "{one} {two}");
}

#[test]
fn without_the_unlabelled_term_d_loss_is_the_labelled_cross_entropy() {
    let _turn = serial();
    // D's loss is CE(labelled) + w * (softplus(-s_real) + softplus(s_fake)) for the scores
    // s = logsumexp(logits): with w = 0 it is the cross-entropy of ten near-uniform logits at the
    // first step (about log 10); with w = 1 the real/fake term, positive, is added.
    let d_loss = |w: &str| first_steps(&model(&format!("semi_supervised(unlabelled: {w})"), 1.0), "ssl-d", 1)[0].d_loss;
    let (alone, both) = (d_loss("0.0"), d_loss("1.0"));
    assert!((alone - 10f64.ln()).abs() < 0.3, "labelled CE at the start: {alone}");
    assert!(both > alone + 0.1, "{alone} {both}");
}
