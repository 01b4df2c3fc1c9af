//! Conditional and style-based layers do what their papers say: the projection head is
//! `linear(h) + <embed(y), h>`, conditional batchnorm with one scale and shift for every class is
//! batchnorm, written input gradients equal burn's autodiff, `--class` and the grid's rows fix the
//! class, truncation at psi = 0 gives one image for every z, and noise changes fine detail only.

mod common;

use common::{assert_close, model, run, serial, temp, write_mnist};
use ganc_runtime::burn::module::{Module, ModuleVisitor, Param};
use ganc_runtime::burn::nn::BatchNormConfig;
use ganc_runtime::burn::tensor::{Device, Distribution, Int, Tensor, TensorData};
use ganc_runtime::growth::Growth;
use ganc_runtime::input_grad::output_and_input_grad;
use ganc_runtime::layers::{ConditionalBatchNorm, Ctx, Differentiable, Layer, Projection};
use ganc_runtime::network::{for_each_layer_mut, Net, Node};
use ganc_runtime::run::TrainOptions;
use ganc_runtime::sample::{load, sample_with, Loaded, Request, RequestError};
use ganc_runtime::value::Value;
use std::path::Path;

const TRAIN: Ctx = Ctx { step: 0, training: true, growth: Growth::FULL };

fn floats<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().unwrap()
}

fn labels(v: &[i64], device: &Device) -> Tensor<1, Int> {
    Tensor::from_data(TensorData::new(v.to_vec(), [v.len()]), device)
}

#[test]
fn projection_is_linear_plus_the_inner_product_with_the_class_embedding() {
    let _rng = serial();
    let device = Device::flex();
    let (b, n, classes) = (4, 6, 3);
    let head = Projection::new(n, classes, "y".into(), &device);
    let h = Tensor::<2>::random([b, n], Distribution::Normal(0.0, 1.0), &device);
    let y = [0i64, 2, 1, 2];
    let out = head.forward(Value::Flat(h.clone()), Some(Value::Labels(labels(&y, &device))), &TRAIN);
    let (hv, w) = (floats(h), floats(head.linear.weight.val()));
    let bias = floats(head.linear.bias.as_ref().unwrap().val())[0];
    let embed = floats(head.embed.weight.val());
    let by_hand: Vec<f32> = (0..b)
        .map(|i| {
            let row = &hv[i * n..(i + 1) * n];
            let e = &embed[y[i] as usize * n..(y[i] as usize + 1) * n];
            bias + row.iter().zip(&w).map(|(a, b)| a * b).sum::<f32>()
                + row.iter().zip(e).map(|(a, b)| a * b).sum::<f32>()
        })
        .collect();
    assert_close(&floats(out.flat()), &by_hand, 1e-5, "projection");
}

#[test]
fn conditional_batchnorm_with_one_scale_and_shift_for_all_classes_is_batchnorm() {
    let _rng = serial();
    let device = Device::flex().autodiff();
    let (c, classes) = (3, 4);
    let mut cbn = ConditionalBatchNorm::new(c, classes, 0.1, 1e-5, "y".into(), &device);
    let mut bn = BatchNormConfig::new(c).init(&device);
    let gamma = Tensor::<1>::random([c], Distribution::Normal(1.0, 0.5), &device);
    let beta = Tensor::<1>::random([c], Distribution::Normal(0.0, 0.5), &device);
    cbn.gamma = Param::from_tensor(gamma.clone().reshape([1, c]).repeat_dim(0, classes));
    cbn.beta = Param::from_tensor(beta.clone().reshape([1, c]).repeat_dim(0, classes));
    bn.gamma = Param::from_tensor(gamma);
    bn.beta = Param::from_tensor(beta);
    let y = || Some(Value::Labels(labels(&[0, 3, 1, 2, 1], &device)));
    for step in 0..3 {
        let x = Tensor::<4>::random([5, c, 4, 4], Distribution::Normal(step as f64, 2.0), &device);
        let ours = cbn.forward(Value::Image(x.clone()), y(), &TRAIN);
        assert_close(&floats(ours.image()), &floats(bn.forward(x)), 1e-5, "training");
    }
    // The running statistics too: the same outputs when not training.
    let x = Tensor::<4>::random([5, c, 4, 4], Distribution::Normal(0.0, 1.0), &device).inner();
    let y = Value::Labels(labels(&[0, 3, 1, 2, 1], &device).inner());
    let ours =
        cbn.valid().forward(Value::Image(x.clone()), Some(y), &Ctx { step: 3, training: false, growth: Growth::FULL });
    let bn = bn.valid();
    assert_close(&floats(ours.image()), &floats(bn.forward(x)), 1e-5, "running statistics");
    // And a class's own scale and shift act on its samples only.
    cbn.gamma = Param::from_tensor(
        Tensor::ones([classes, c], &device).mul_scalar(2.0).slice_assign([0..1, 0..c], Tensor::ones([1, c], &device)),
    );
    cbn.beta = Param::from_tensor(Tensor::zeros([classes, c], &device));
    let x = Tensor::<2>::random([4, c], Distribution::Normal(0.0, 1.0), &device);
    let plain =
        floats(cbn.forward(Value::Flat(x.clone()), Some(Value::Labels(labels(&[0, 0, 0, 0], &device))), &TRAIN).flat());
    let mixed = floats(cbn.forward(Value::Flat(x), Some(Value::Labels(labels(&[0, 1, 0, 1], &device))), &TRAIN).flat());
    for i in 0..4 * c {
        let factor = if (i / c) % 2 == 1 { 2.0 } else { 1.0 };
        assert!((mixed[i] - factor * plain[i]).abs() < 1e-5, "sample {}: {} vs {}", i / c, mixed[i], plain[i]);
    }
}

/// A conditional model on 28x28 images with the critic `d`.
fn conditional(d: &str) -> String {
    format!(
        "data mnist(split: test)\nlatent z ~ normal(4)\ncondition y ~ labels\n\
         generator G(z, y) -> image {{ linear(784) reshape(1, 28, 28) tanh }}\n\
         discriminator D(image, y) -> logit {{ {d} }}\nloss wasserstein\n"
    )
}

/// Sets the scales of the `noise_injection` layers of `nodes`, depth first, to the next of
/// `scales`.
fn set_scales(nodes: &mut [Node], scales: &mut std::slice::Iter<'_, f64>) {
    for_each_layer_mut(nodes, &mut |layer| {
        if let Layer::NoiseInjection(n) = layer {
            let s = scales.next().expect("a scale for every noise layer");
            n.scale = Param::from_tensor(n.scale.val().ones_like().mul_scalar(*s));
        }
    });
}

/// Sets the scale of the `noise_injection` layers of `net` to `scales` (one per layer, in order).
fn set_noise_scales(net: &mut Net, scales: &[f64]) {
    let mut it = scales.iter();
    set_scales(&mut net.body, &mut it);
    assert!(it.next().is_none(), "fewer noise layers than scales");
}

#[test]
fn input_gradients_of_projection_adain_noise_and_constant_equal_autodiff() {
    let _rng = serial();
    let device = Device::flex().autodiff();
    device.seed(5);
    for d in [
        "conv(4, kernel: 4, stride: 2, padding: 1) leaky_relu(0.2) flatten linear(8) projection(y)",
        "conv(4, kernel: 4, stride: 2, padding: 1) let h let s = h { flatten linear(8) tanh } \
         adain(s) leaky_relu(0.2) flatten projection(y)",
        "conv(4, kernel: 4, stride: 2, padding: 1) let s = y |> embedding(8) \
         adain(s) leaky_relu(0.2) flatten projection(y)",
        "conv(4, kernel: 4, stride: 2, padding: 1) let h let s = h { flatten linear(8) tanh } noise_injection \
         adain(s) leaky_relu(0.2) let k = h { constant(4, height: 14, width: 14) } add(k) flatten projection(y)",
    ] {
        let m = model(&conditional(d));
        let mut net = ganc_runtime::network::lower(m.network("D").unwrap(), &device).unwrap();
        if d.contains("noise_injection") {
            set_noise_scales(&mut net, &[0.7]);
        }
        let x = Tensor::<4>::random([3, 1, 28, 28], Distribution::Uniform(-1.0, 1.0), &device);
        let y = Value::Labels(labels(&[1, 7, 1], &device));
        // burn initialises weights on first use, from the same generator as the noise: a first
        // pass draws them, then each pass below draws the same noise.
        net.forward(vec![Value::Image(x.clone()), y.clone()], &TRAIN);
        device.seed(9);
        let (_, ours) = output_and_input_grad(&net, vec![Value::Image(x.clone()), y.clone()], &TRAIN);
        let x = x.require_grad();
        device.seed(9);
        let grads = net.forward(vec![Value::Image(x.clone()), y], &TRAIN).flat().sum().backward();
        let theirs = x.grad(&grads).unwrap();
        assert_close(&floats(ours.image()), &floats(theirs), 1e-4, d);
    }
}

/// A conditional G whose output depends on the class only: `tanh(constant + embed(y))`.
const BY_CLASS: &str = r#"
data mnist
latent z ~ normal(4)
condition y ~ labels
generator G(z, y) -> image {
    let e = y |> embedding(784)
    constant(1, height: 28, width: 28)
    flatten
    add(e)
    reshape(1, 28, 28)
    tanh
}
discriminator D(image, y) -> logit {
    conv(4, kernel: 4, stride: 2, padding: 1)
    leaky_relu(0.2)
    flatten
    projection(y)
}
loss hinge
train { batch: 8 steps: 2 seed: 2 sample every 2 steps }
"#;

/// Trains `text` for its steps on a small MNIST written for the test, and loads the run.
fn trained(text: &str, name: &str) -> (Loaded, std::path::PathBuf) {
    let dir = temp(name);
    write_mnist(&dir.join("data"), 20);
    let opts = TrainOptions { data_dir: Some(dir.join("data")), ..TrainOptions::default() };
    let (result, _) = run(text, &dir.join("run"), opts);
    let run = result.expect("trains");
    (load(&run, "cpu", true).expect("loads"), dir)
}

fn rows(values: &[f32], size: usize) -> Vec<&[f32]> {
    values.chunks(size).collect()
}

#[test]
fn class_sampling_fixes_the_class_and_grids_have_one_row_per_class() {
    let _rng = serial();
    let (loaded, dir) = trained(BY_CLASS, "by-class");
    let size = 28 * 28;
    let of_class = |class: usize| {
        sample_with(&loaded, 5, 1, &Request { class: Some(class), ..Request::default() }).expect("a class").values
    };
    let three = of_class(3);
    assert!(rows(&three, size).iter().all(|r| *r == rows(&three, size)[0]), "every sample is of class 3");
    assert_ne!(rows(&of_class(5), size)[0], rows(&three, size)[0]);
    let grid = sample_with(&loaded, 16, 1, &Request { rows_by_class: true, ..Request::default() }).unwrap();
    assert_eq!((grid.shape[0], grid.columns), (20, Some(2)), "16 samples round up to 10 rows of 2");
    for (i, r) in rows(&grid.values, size).iter().enumerate() {
        assert_eq!(*r, rows(&of_class(i / 2), size)[0], "sample {i} is in the row of class {}", i / 2);
    }
    let bad = |r: Request| sample_with(&loaded, 2, 0, &r).err();
    assert_eq!(
        bad(Request { class: Some(10), ..Request::default() }),
        Some(RequestError::NoSuchClass { class: 10, classes: 10 })
    );
    assert_eq!(bad(Request { truncation: Some(0.0), ..Request::default() }), Some(RequestError::Threshold(0.0)));
    // The training grid: 10 rows of 8, each image 28 pixels with 2-pixel gaps.
    let png = image::open(loaded.run.join("samples/step_000002.png")).unwrap();
    assert_eq!((png.width(), png.height()), (8 * 30 + 2, 10 * 30 + 2));
    std::fs::remove_dir_all(&dir).ok();
}

/// A style-based G (mapping, constant, noise, AdaIN) at 28x28.
const STYLE: &str = r#"
data mnist
latent z ~ normal(8)
generator G(z) -> image {
    let w = z { linear(8) leaky_relu(0.2) linear(8) }
    constant(8, height: 7, width: 7)
    noise_injection
    adain(w)
    upsample(2)
    conv(8, kernel: 3, padding: 1)
    noise_injection
    leaky_relu(0.2)
    adain(w)
    upsample(2)
    conv(8, kernel: 3, padding: 1)
    noise_injection
    leaky_relu(0.2)
    adain(w)
    conv(1, kernel: 1)
    tanh
}
discriminator D(image) -> logit { conv(8, kernel: 4, stride: 2, padding: 1) leaky_relu(0.2) flatten linear(1) }
loss non_saturating
regularize D { r1(gamma: 1) }
train { batch: 8 steps: 3 seed: 1 }
"#;

#[test]
fn truncation_to_psi_zero_gives_one_image_for_every_z() {
    let _rng = serial();
    let (mut loaded, dir) = trained(STYLE, "psi");
    let average = floats(loaded.generator.styles[0].running_average.val());
    assert!(average.iter().any(|v| *v != 0.0), "the average w is tracked and kept in the checkpoint");
    // Noise is drawn per sample: without it, only w tells the samples apart.
    set_noise_scales(&mut loaded.generator, &[0.0, 0.0, 0.0]);
    let spread = |psi: f64| {
        let s = sample_with(&loaded, 6, 4, &Request { truncation: Some(psi), ..Request::default() }).unwrap().values;
        let r = rows(&s, 28 * 28);
        r.iter().flat_map(|row| row.iter().zip(r[0]).map(|(a, b)| (a - b).abs())).fold(0f32, f32::max)
    };
    assert!(spread(0.0) < 1e-6, "psi 0: {}", spread(0.0));
    assert!(spread(1.0) > 1e-3, "psi 1: {}", spread(1.0));
    assert!(spread(0.5) < spread(1.0));
    std::fs::remove_dir_all(&dir).ok();
}

/// The energy of `d` `[H, W]` below and above the scale of `k x k` blocks: the block means,
/// and what is left.
fn low_and_high_energy(d: &[f32], h: usize, w: usize, k: usize) -> (f64, f64) {
    let (mut low, mut high) = (0.0, 0.0);
    for by in 0..h / k {
        for bx in 0..w / k {
            let px = |y: usize, x: usize| d[(by * k + y) * w + bx * k + x] as f64;
            let mean =
                (0..k).flat_map(|y| (0..k).map(move |x| (y, x))).map(|(y, x)| px(y, x)).sum::<f64>() / (k * k) as f64;
            for (y, x) in (0..k).flat_map(|y| (0..k).map(move |x| (y, x))) {
                low += mean * mean;
                high += (px(y, x) - mean).powi(2);
            }
        }
    }
    (low, high)
}

#[test]
fn noise_changes_fine_detail_only() {
    let _rng = serial();
    let m = model(STYLE);
    let plan = ganc_runtime::plan::plan(&m).unwrap();
    let device = Device::flex();
    device.seed(3);
    let (mut g, _) = ganc_runtime::run::networks(&m, &device).unwrap();
    // The noise of the full-resolution layer, as training makes it carry the finest detail.
    set_noise_scales(&mut g, &[0.0, 0.0, 0.5]);
    let loaded = Loaded {
        run: "none".into(),
        model: m,
        plan,
        generator: g,
        is_ema: false,
        device: device.clone(),
        growth: Growth::FULL,
    };
    // The same latents (the same sample seed), different noise (the device's seed).
    let draw = |seed: u64| {
        device.seed(seed);
        sample_with(&loaded, 4, 0, &Request::default()).unwrap().values
    };
    let (a, b) = (draw(1), draw(2));
    let diff: Vec<f32> = a.iter().zip(&b).map(|(x, y)| x - y).collect();
    let (low, high) = rows(&diff, 28 * 28)
        .iter()
        .map(|d| low_and_high_energy(d, 28, 28, 4))
        .fold((0.0, 0.0), |s, e| (s.0 + e.0, s.1 + e.1));
    assert!(high > 0.0, "the noise changes the image");
    assert!(high > 5.0 * low, "high-pass energy {high} against low-pass {low}");
}

#[test]
fn style_mixing_switches_to_the_second_style_at_the_crossover() {
    let _rng = serial();
    let m = model(STYLE);
    let device = Device::flex();
    device.seed(3);
    let (g, _) = ganc_runtime::run::networks(&m, &device).unwrap();
    // Noise scales start at 0: the output is a function of the latents.
    assert_eq!(g.adain_layers(), 3);
    let z = |seed: u64| {
        device.seed(seed);
        vec![Value::Flat(Tensor::random([2, 8], Distribution::Normal(0.0, 1.0), &device))]
    };
    let ctx = Ctx { step: 0, training: false, growth: Growth::FULL };
    let (first, second) = (g.forward(z(1), &ctx), g.forward(z(2), &ctx));
    let (_, styles) = g.forward_with(z(2), &ctx);
    let mixed = |k: usize| floats(g.forward_mixed(z(1), &ctx, &styles, k).0.flat());
    assert_close(&mixed(3), &floats(first.flat()), 1e-6, "crossover after the last layer");
    assert_close(&mixed(0), &floats(second.flat()), 1e-6, "crossover at the first layer");
    let (one, two) = (mixed(1), mixed(2));
    assert_ne!(one, two);
    // A run mixing every batch trains differently from one that does not.
    let mixing =
        STYLE.replace("train { batch: 8 steps: 3 seed: 1 }", "train { batch: 8 steps: 3 seed: 1 style_mixing: 1.0 }");
    assert_ne!(mixing, STYLE);
    let losses = |text: &str, name: &str| {
        let (loaded, dir) = trained(text, name);
        let csv = std::fs::read_to_string(loaded.run.join("metrics.csv")).unwrap();
        std::fs::remove_dir_all(&dir).ok();
        csv.lines().skip(1).map(|l| l.split(',').nth(2).unwrap().to_string()).collect::<Vec<_>>()
    };
    assert_ne!(losses(&mixing, "mixing"), losses(STYLE, "no-mixing"));
}

/// The trained parameters of a network: every float tensor but the running ones (batchnorm's
/// statistics, the style averages).
fn trained_parameters(net: &Net) -> u64 {
    struct Count {
        path: Vec<String>,
        n: u64,
    }
    impl ModuleVisitor for Count {
        fn enter_module(&mut self, name: &str, _: &str) {
            self.path.push(name.to_string());
        }
        fn exit_module(&mut self, _: &str, _: &str) {
            self.path.pop();
        }
        fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<D>>) {
            let last = self.path.last().map_or("", String::as_str);
            if !last.starts_with("running_") {
                self.n += p.val().shape().num_elements() as u64;
            }
        }
    }
    let mut count = Count { path: Vec::new(), n: 0 };
    net.visit(&mut count);
    count.n
}

#[test]
fn parameter_counts_equal_the_checkers() {
    let _rng = serial();
    let device = Device::flex();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/biggan_fashion.gan");
    let biggan = std::fs::read_to_string(&path).unwrap();
    let biggan = ganc_check::check_source(&path, &biggan, &ganc_check::FsLoader).model.expect("checks");
    for m in [model(BY_CLASS), model(STYLE), biggan] {
        for ir in &m.networks {
            let net = ganc_runtime::network::lower(ir, &device).unwrap();
            assert_eq!(Some(trained_parameters(&net)), ir.param_count(), "{}", ir.name);
        }
    }
}

#[test]
fn a_resumed_style_run_equals_an_uninterrupted_one() {
    let _rng = serial();
    let text = STYLE.replace(
        "train { batch: 8 steps: 3 seed: 1 }",
        "train { batch: 8 steps: 4 seed: 1 style_mixing: 0.5 log every 1 steps checkpoint every 2 steps }",
    );
    let dir = temp("style-resume");
    write_mnist(&dir.join("data"), 20);
    let train = |out: &str, steps: u64, resume: bool| {
        let out = dir.join(out);
        let opts = TrainOptions {
            steps: Some(steps),
            data_dir: Some(dir.join("data")),
            resume: resume.then(|| out.clone()),
            ..TrainOptions::default()
        };
        run(&text, &out, opts).0.expect("trains")
    };
    let whole = train("whole", 4, false);
    train("parts", 2, false);
    let parts = train("parts", 4, true);
    // Every column but the timing.
    let metrics = |run: &std::path::Path| {
        let csv = std::fs::read_to_string(run.join("metrics.csv")).unwrap();
        csv.lines().map(|l| l.rsplit_once(',').unwrap().0.to_string()).collect::<Vec<_>>()
    };
    assert_eq!(metrics(&whole), metrics(&parts));
    assert_eq!(metrics(&whole).len(), 5);
    let average =
        |run: &std::path::Path| floats(load(run, "cpu", true).unwrap().generator.styles[0].running_average.val());
    assert_eq!(average(&whole), average(&parts));
    std::fs::remove_dir_all(&dir).ok();
}

/// A small AC-GAN: G conditional, D with a score and ten class logits and no label input.
const ACGAN: &str = r#"
data mnist(split: train)
latent z ~ normal(8)
condition y ~ labels
generator G(z, y) -> image {
    let e = y |> embedding(4)
    concat(e)
    linear(28 * 28)
    reshape(1, 28, 28)
    tanh
}
discriminator D(image) -> logits {
    conv(4, kernel: 4, stride: 2, padding: 1)
    leaky_relu(0.2)
    flatten
    linear(11)
}
loss auxiliary_classifier(weight: WEIGHT)
train { batch: 32 steps: STEPS seed: 4 log every 1 steps optimizer D: adam(lr: 0.005, betas: (0.5, 0.999)) }
"#;

/// The columns `names` of every row of a run's metrics.csv.
fn columns(run: &std::path::Path, names: &[&str]) -> Vec<Vec<f64>> {
    let csv = std::fs::read_to_string(run.join("metrics.csv")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let at: Vec<usize> = names.iter().map(|n| header.iter().position(|h| h == n).expect(n)).collect();
    csv.lines()
        .skip(1)
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            at.iter().map(|&i| cells[i].parse().unwrap()).collect()
        })
        .collect()
}

#[test]
fn the_auxiliary_classifier_learns_the_classes_and_adds_its_cross_entropy_to_both_losses() {
    let _rng = serial();
    let dir = temp("acgan");
    write_mnist(&dir.join("data"), 200);
    let train = |weight: &str, steps: u64, name: &str| {
        let text = ACGAN.replace("WEIGHT", weight).replace("STEPS", &steps.to_string());
        let opts = TrainOptions { data_dir: Some(dir.join("data")), ..TrainOptions::default() };
        run(&text, &dir.join(name), opts).0.expect("trains")
    };
    // D's classifier learns the labels of the real images: about one in ten right at first; after
    // 60 steps near 70%, the most these images allow (the square's row is the class modulo 7, so
    // classes 7, 8 and 9 look like 0, 1 and 2).
    let trained = columns(&train("1.0", 60, "weighted"), &["d_accuracy"]);
    let (first, last) = (trained[0][0], trained.iter().rev().take(10).map(|r| r[0]).sum::<f64>() / 10.0);
    assert!(first < 0.35 && last > 0.55, "accuracy from {first} to {last}");
    // Without the class term, the losses are the plain GAN's: the same seed gives the same first
    // D score, and the weighted losses are larger by the (positive) cross-entropies.
    let plain = columns(&train("0.0", 1, "plain"), &["d_loss", "g_loss", "d_real"]);
    let weighted = columns(&train("1.0", 1, "one"), &["d_loss", "g_loss", "d_real"]);
    assert_eq!(plain[0][2], weighted[0][2], "D's score of the real batch");
    assert!(weighted[0][0] > plain[0][0] + 1.0 && weighted[0][1] > plain[0][1] + 1.0, "{weighted:?} vs {plain:?}");
    // Replayed fakes reach the classifier with the labels they were drawn for: with every fake
    // replayed from a buffer of early ones, D still learns the classes of the reals.
    let text =
        ACGAN.replace("WEIGHT", "1.0").replace("STEPS", "40").replace("seed: 4", "seed: 4 replay(buffer: 64, p: 1.0)");
    let opts = TrainOptions { data_dir: Some(dir.join("data")), ..TrainOptions::default() };
    let replayed = columns(&run(&text, &dir.join("replayed"), opts).0.expect("trains"), &["d_accuracy"]);
    assert!(replayed.last().unwrap()[0] > 0.4, "{replayed:?}");
    std::fs::remove_dir_all(&dir).ok();
}
