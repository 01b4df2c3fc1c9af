//! Stacked generators (StackGAN++): one pass draws every stage's image, each judged by the
//! discriminator of its own stage; conditioning augmentation's KL and the colour-consistency
//! terms enter G's loss in proportion to their weights; mismatched pairs teach the joint D's
//! conditional head the class of an image; a run leaves a grid per stage, measures the stage
//! gap and resumes exactly; and a user's `.npy` of per-sample embeddings conditions G and D.

mod common;

use common::{assert_resumes_exactly_on, model, run, serial, temp, write_mnist};
use ganc_runtime::burn::tensor::{Device, Int, Tensor, TensorData};
use ganc_runtime::growth::Growth;
use ganc_runtime::layers::Ctx;
use ganc_runtime::network::Net;
use ganc_runtime::run::{networks, values, TrainError, TrainOptions};
use ganc_runtime::trainer::Trainer;
use ganc_runtime::value::Value;
use std::path::Path;

/// A stacked G of three stages (7, 14, 28) and a joint D per stage; `REG` is G's regularizer
/// and `KL` the augmentation's KL weight.
const STACKED: &str = r#"
data mnist(split: train)
latent z ~ normal(8)
condition y ~ labels
generator G(z, y) -> image {
    let c = y |> embedding(4) |> conditioning_augmentation(4, kl: KL)
    concat(c)
    linear(4 * 7 * 7)
    reshape(4, 7, 7)
    grow 7 { conv(4, kernel: 3, padding: 1) relu } to_rgb { conv(1, kernel: 3, padding: 1) }
    grow 14 { upsample(2) conv(4, kernel: 3, padding: 1) relu } to_rgb { conv(1, kernel: 3, padding: 1) }
    grow 28 { upsample(2) conv(4, kernel: 3, padding: 1) relu } to_rgb { conv(1, kernel: 3, padding: 1) }
    tanh
}
discriminator D(image, y) -> joint at stages: 3 {
    conv(4, kernel: 3, padding: 1)
    leaky_relu(0.2)
    flatten
    let f
    let u = f |> linear(1)
    let e = y |> embedding(4)
    concat(e)
    linear(8)
    leaky_relu(0.2)
    linear(1)
    concat(u)
}
loss non_saturating
regularize G { REG }
train {
    batch: 8
    steps: 4
    seed: 1
    sample every 4 steps
    log every 1 steps
}
evaluate every 4 steps { stage_gap }
"#;

fn stacked(reg: &str, kl: &str) -> String {
    STACKED.replace("REG", reg).replace("KL", kl)
}

fn ctx() -> Ctx {
    Ctx { step: 0, training: false, growth: Growth::FULL }
}

#[test]
fn one_pass_draws_every_stage_and_each_stage_has_its_own_judge() {
    let _turn = serial();
    let m = model(&stacked("", "1.0"));
    let device = Device::flex();
    device.seed(3);
    let (g, d) = networks(&m, &device).expect("lowers");
    let n = 5;
    let z = Value::Flat(Tensor::random([n, 8], ganc_runtime::burn::tensor::Distribution::Default, &device));
    let y = Value::Labels(Tensor::<1, Int>::from_data(TensorData::new(vec![0i64, 1, 2, 3, 4], [n]), &device));
    let fake = g.forward(vec![z, y.clone()], &ctx());
    let Value::Stacked(stages) = fake.clone() else { panic!("a stacked G gives every stage: {fake:?}") };
    let sides: Vec<[usize; 4]> = stages.iter().map(|s| s.dims()).collect();
    assert_eq!(sides, vec![[n, 1, 28, 28], [n, 1, 14, 14], [n, 1, 7, 7]], "the top stage first");
    // `tanh` after the stages ends every stage's image.
    for s in &stages {
        assert!(values(Value::Image(s.clone())).iter().all(|v| v.abs() < 1.0));
    }
    // D: three networks, the k-th judging stage k as it is (not the top stage pooled), each
    // giving [conditional, unconditional]; their outputs side by side.
    assert_eq!(d.coarser.len(), 2);
    let out = values(d.forward(vec![fake, y.clone()], &ctx()));
    assert_eq!(out.len(), n * 6);
    let top = Net { coarser: Vec::new(), ..d.clone() };
    let judges = std::iter::once(&top).chain(d.coarser.iter());
    for (k, (judge, stage)) in judges.zip(&stages).enumerate() {
        let own = values(judge.forward(vec![Value::Image(stage.clone()), y.clone()], &ctx()));
        for i in 0..n {
            for h in 0..2 {
                let (a, b) = (out[i * 6 + 2 * k + h], own[i * 2 + h]);
                assert!((a - b).abs() < 1e-5, "stage {k}, sample {i}, head {h}: {a} vs {b}");
            }
        }
    }
}

/// G's loss at the first step of `text` on the synthetic digits under `data`.
fn first_g_loss(text: &str, data: &Path) -> f64 {
    let m = model(text);
    let plan = ganc_runtime::plan::plan(&m).expect("plans");
    let device = Device::flex().autodiff();
    device.seed(plan.seed);
    let (g, d) = networks(&m, &device).expect("lowers");
    let set = ganc_data::open(&plan.source, data).expect("the digits");
    Trainer::new(plan, g, d, device).step(&set, false).g_loss
}

#[test]
fn the_kl_and_colour_terms_enter_g_loss_in_proportion_to_their_weights() {
    let _turn = serial();
    let data = temp("stacked-terms");
    write_mnist(&data, 40);
    // The first step's fakes do not depend on G's regularizers: only the terms differ.
    let base = first_g_loss(&stacked("", "0.0"), &data);
    for (what, one, two) in [
        ("kl", stacked("", "1.0"), stacked("", "2.0")),
        (
            "colour",
            stacked("color_consistency(mean: 1.0, covariance: 5.0)", "0.0"),
            stacked("color_consistency(mean: 2.0, covariance: 10.0)", "0.0"),
        ),
    ] {
        let (once, twice) = (first_g_loss(&one, &data) - base, first_g_loss(&two, &data) - base);
        assert!(once > 1e-6, "{what}: the term adds {once}");
        assert!((twice - 2.0 * once).abs() < 1e-3 * once.max(1e-3), "{what}: {once} at weight w, {twice} at 2w");
    }
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn a_stacked_run_leaves_a_grid_per_stage_and_measures_the_stage_gap() {
    let _turn = serial();
    let data = temp("stacked-data");
    write_mnist(&data, 40);
    let out = temp("stacked-run");
    let text = stacked("color_consistency", "1.0");
    let (result, _) = run(&text, &out, TrainOptions { data_dir: Some(data.clone()), ..TrainOptions::default() });
    let dir = result.expect("trains");
    // 10 classes x 8 columns, 2px gaps, at each stage's side.
    for side in [7u32, 14, 28] {
        let grid = image::open(dir.join(format!("samples/stage{side}_step_000004.png"))).expect("a grid per stage");
        assert_eq!((grid.width(), grid.height()), (8 * side + 9 * 2, 10 * side + 11 * 2), "stage {side}");
    }
    let csv = std::fs::read_to_string(dir.join("evaluate.csv")).unwrap();
    let last = csv.lines().last().unwrap();
    assert!(csv.starts_with("step,stage_gap"), "{csv}");
    let gap: f64 = last.split(',').nth(1).unwrap().parse().unwrap();
    assert!(gap > 0.0 && gap < 2.0, "{gap}");
    let _ = std::fs::remove_dir_all(&data);
    let _ = std::fs::remove_dir_all(&out);
}

/// How much higher D's conditional head scores the first 100 synthetic digits with their own
/// class than with the next digit's, after 100 steps of the stacked model, with or without the
/// matching-aware pairs in D's loss.
fn class_margin(data: &Path, matching: bool) -> f64 {
    let fast = "steps: 4\n    optimizer D: adam(lr: 2e-3, betas: (0.5, 0.999))";
    let m = model(&stacked("", "0.1").replace("steps: 4", fast));
    let mut plan = ganc_runtime::plan::plan(&m).expect("plans");
    assert!(plan.joint, "`-> joint` plans the matching-aware pairs");
    plan.joint = matching;
    let device = Device::flex().autodiff();
    device.seed(plan.seed);
    let (g, d) = networks(&m, &device).expect("lowers");
    let set = ganc_data::open(&plan.source, data).expect("the digits");
    let mut t = Trainer::new(plan, g, d, device.clone());
    for _ in 0..100 {
        t.step(&set, false);
    }
    let b = set.slice(0, 100);
    let x = Value::Image(Tensor::from_data(TensorData::new(b.x, [100, 1, 28, 28]), &device));
    let classes: Vec<i64> = b.labels.unwrap().iter().map(|&l| i64::from(l)).collect();
    let y = Value::Labels(Tensor::<1, Int>::from_data(TensorData::new(classes, [100]), &device));
    // The mean over the samples and D's three stages.
    let conditional = |y: Value| {
        let out = ganc_runtime::joint::conditional(t.d.forward(vec![x.clone(), y], &ctx()).flat());
        values(Value::Flat(out)).iter().map(|v| f64::from(*v)).sum::<f64>() / 300.0
    };
    conditional(y.clone()) - conditional(ganc_runtime::joint::mismatched(&y).expect("100 samples"))
}

#[test]
fn mismatched_pairs_teach_the_conditional_head_which_class_an_image_shows() {
    let _turn = serial();
    let data = temp("stacked-matching");
    write_mnist(&data, 200);
    let (with, without) = (class_margin(&data, true), class_margin(&data, false));
    assert!(
        with > 0.03 && with > 20.0 * without.abs(),
        "right class minus wrong class: {with} with, {without} without"
    );
    let _ = std::fs::remove_dir_all(&data);
}

/// A little-endian float32 `.npy` of `rows` x `cols`.
fn write_npy(path: &Path, rows: usize, cols: usize, values: &[f32]) {
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {cols}), }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend((header.len() as u16).to_le_bytes());
    bytes.extend(header.as_bytes());
    bytes.extend(values.iter().flat_map(|v| v.to_le_bytes()));
    std::fs::write(path, bytes).unwrap();
}

const EMBEDDED: &str = r#"
data mnist(split: train, embeddings: "captions.npy")
latent z ~ normal(8)
condition t ~ embeddings(DIM)
generator G(z, t) -> image {
    let c = t |> conditioning_augmentation(4)
    concat(c)
    linear(28 * 28)
    reshape(1, 28, 28)
    tanh
}
discriminator D(image, t) -> joint {
    conv(4, kernel: 4, stride: 2, padding: 1)
    leaky_relu(0.2)
    flatten
    let f
    let u = f |> linear(1)
    concat(t)
    linear(1)
    concat(u)
}
loss non_saturating
train { batch: 8 steps: 3 seed: 1 }
"#;

#[test]
fn per_sample_embeddings_from_a_users_file_condition_g_and_d() {
    let _turn = serial();
    let data = temp("embedded-data");
    write_mnist(&data, 40);
    // Each image's "caption": its label, one-hot in the first 10 of 12 values, then noise.
    let rows: Vec<f32> =
        (0..40).flat_map(|i| (0..12).map(move |j| if j == i % 10 { 1.0 } else { 0.01 * j as f32 })).collect();
    write_npy(&data.join("captions.npy"), 40, 12, &rows);
    let out = temp("embedded-run");
    let opts = || TrainOptions { data_dir: Some(data.clone()), ..TrainOptions::default() };
    let (result, _) = run(&EMBEDDED.replace("DIM", "12"), &out, opts());
    let dir = result.expect("trains on the embeddings");
    assert!(dir.join("samples/step_000003.png").exists());
    // A width other than the file's is refused before training, with the file's width.
    let (refused, _) = run(&EMBEDDED.replace("DIM", "16"), &temp("embedded-wrong"), opts());
    match refused {
        Err(TrainError::Refused { message, help }) => {
            assert!(message.contains("12") && message.contains("16"), "{message}");
            assert!(help.contains("embeddings(12)"), "{help}");
        }
        other => panic!("a wrong width trains: {other:?}"),
    }
    let _ = std::fs::remove_dir_all(&data);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn a_stacked_run_resumed_from_its_checkpoint_equals_the_uninterrupted_run() {
    let _turn = serial();
    let data = temp("stacked-resume-data");
    write_mnist(&data, 40);
    let text = stacked("color_consistency", "1.0");
    assert_resumes_exactly_on(&text, "stacked", "d.bpk", Some(&data));
    let _ = std::fs::remove_dir_all(&data);
}
