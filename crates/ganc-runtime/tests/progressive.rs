//! Progressive growing (Karras et al. 2017): the schedule, the fade-in of a new stage in G and
//! D (alpha 0 is the previous stage, alpha 1 the new one alone), the input gradient through a
//! fading critic, the shapes and parameters per stage as `ganc check` infers and counts them, a
//! run resumed mid-fade equal to the uninterrupted one, and `models/pggan_fashion.gan` training
//! through every resolution.

mod common;

use common::{model, serial, temp, value_vec, write_mnist};
use ganc_check::ir;
use ganc_runtime::burn::module::{Module, ModuleMapper, Param};
use ganc_runtime::burn::tensor::{Device, Distribution, Tensor};
use ganc_runtime::growth::{Growth, Schedule};
use ganc_runtime::input_grad::output_and_input_grad;
use ganc_runtime::layers::{AvgPool, Ctx, Differentiable, Upsample};
use ganc_runtime::network::{Net, Node, Stages};
use ganc_runtime::run::{train, TrainOptions};
use ganc_runtime::sample;
use ganc_runtime::value::Value;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

/// Three stages on MNIST (7 -> 14 -> 28), WGAN-GP with minibatch stddev in D's last stage.
const TINY: &str = r#"
data mnist(split: train)
latent z ~ normal(8)
generator G(z) -> image {
    grow 7 {
        pixelnorm
        linear(8 * 7 * 7)
        reshape(8, 7, 7)
        leaky_relu(0.2)
        pixelnorm
    } to_rgb {
        conv(1, kernel: 1)
    }
    grow 14 {
        upsample
        conv(4, kernel: 3, padding: 1)
        leaky_relu(0.2)
        pixelnorm
    } to_rgb {
        conv(1, kernel: 1)
    }
    grow 28 {
        upsample
        conv(4, kernel: 3, padding: 1)
        leaky_relu(0.2)
        pixelnorm
    } to_rgb {
        conv(1, kernel: 1)
    }
    tanh
}
discriminator D(image) -> score {
    shrink 28 {
        conv(4, kernel: 3, padding: 1)
        leaky_relu(0.2)
        avgpool(2)
    } from_rgb {
        conv(4, kernel: 1)
        leaky_relu(0.2)
    }
    shrink 14 {
        conv(8, kernel: 3, padding: 1)
        leaky_relu(0.2)
        avgpool(2)
    } from_rgb {
        conv(4, kernel: 1)
        leaky_relu(0.2)
    }
    shrink 7 {
        minibatch_stddev(group: 2)
        conv(8, kernel: 3, padding: 1)
        leaky_relu(0.2)
        flatten
        linear(1)
    } from_rgb {
        conv(8, kernel: 1)
        leaky_relu(0.2)
    }
}
loss wasserstein
regularize D {
    gradient_penalty(weight: 10, center: 1, at: interpolates)
}
train {
    batch: 4
    steps: 12
    seed: 2
    progressive(fade: 3 steps, hold: 2 steps)
    log every 1 steps
    sample every 4 steps
    checkpoint every 4 steps
}
"#;

fn ctx(stage: usize, alpha: f64) -> Ctx {
    Ctx { step: 0, training: true, growth: Growth { stage, alpha } }
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

fn networks(device: &Device) -> (Net, Net) {
    ganc_runtime::run::networks(&model(TINY), device).expect("lowers")
}

fn z(device: &Device) -> Value {
    Value::Flat(Tensor::random([4, 8], Distribution::Normal(0.0, 1.0), device))
}

fn image(side: usize, device: &Device) -> Value {
    Value::Image(Tensor::random([4, 1, side, side], Distribution::Uniform(-1.0, 1.0), device))
}

fn up(x: Value) -> Value {
    Upsample { scale: 2, bilinear: false }.forward(x, None, &ctx(0, 1.0))
}

fn pool(x: Value) -> Value {
    AvgPool(2).forward(x, None, &ctx(0, 1.0))
}

/// The stages of `net`.
fn stages(net: &mut Net) -> &mut Stages {
    net.body
        .iter_mut()
        .find_map(|n| match n {
            Node::Stages(s) => Some(s),
            _ => None,
        })
        .expect("the network has stages")
}

/// Adds 0.5 to every parameter.
struct Shift;

impl ModuleMapper for Shift {
    fn map_float<const D: usize>(&mut self, p: Param<Tensor<D>>) -> Param<Tensor<D>> {
        p.map(|t| t + 0.5)
    }
}

/// `net` with the head of its stage `index` (in source order) shifted.
fn shift_head(mut net: Net, index: usize) -> Net {
    let s = stages(&mut net);
    let head = std::mem::take(&mut s.stages[index].head);
    s.stages[index].head = head.into_iter().map(|n| n.map(&mut Shift)).collect();
    net
}

#[test]
fn the_schedule_holds_the_first_stage_then_fades_each_next_one_in() {
    let s = Schedule { fade: 4, hold: 2, resolutions: vec![4, 8, 16] };
    let at = |step| {
        let g = s.at(step);
        (s.resolution(g), g.alpha)
    };
    assert_eq!(at(0), (4, 1.0));
    assert_eq!(at(1), (4, 1.0));
    assert_eq!(at(2), (8, 0.0));
    assert_eq!(at(3), (8, 0.25));
    assert_eq!(at(5), (8, 0.75));
    assert_eq!(at(6), (8, 1.0));
    assert_eq!(at(7), (8, 1.0));
    assert_eq!(at(8), (16, 0.0));
    assert_eq!(at(11), (16, 0.75));
    assert_eq!(at(12), (16, 1.0));
    assert_eq!(at(1_000), (16, 1.0));
    // Alpha rises linearly over the fade.
    let alphas: Vec<f64> = (2..6).map(|t| s.at(t).alpha).collect();
    assert!(alphas.windows(2).all(|w| (w[1] - w[0] - 0.25).abs() < 1e-12), "{alphas:?}");
}

#[test]
fn real_images_are_pooled_to_the_stage_and_blended_while_it_fades_in() {
    let device = Device::flex();
    let s = Schedule { fade: 4, hold: 2, resolutions: vec![7, 14, 28] };
    let x = image(28, &device);
    let at = |stage, alpha| value_vec(s.real(x.clone(), Growth { stage, alpha }));
    assert_eq!(max_diff(&at(2, 1.0), &value_vec(x.clone())), 0.0);
    assert!(max_diff(&at(1, 1.0), &value_vec(pool(x.clone()))) < 1e-6);
    assert!(max_diff(&at(0, 1.0), &value_vec(pool(pool(x.clone())))) < 1e-6);
    // At alpha 0 the new resolution shows the previous one's pixels, repeated.
    assert!(max_diff(&at(2, 0.0), &value_vec(up(pool(x.clone())))) < 1e-6);
    assert!(max_diff(&at(1, 0.0), &value_vec(up(pool(pool(x.clone()))))) < 1e-6);
    let half: Vec<f32> =
        value_vec(up(pool(x.clone()))).iter().zip(value_vec(x.clone())).map(|(a, b)| 0.5 * a + 0.5 * b).collect();
    assert!(max_diff(&at(2, 0.5), &half) < 1e-6);
    // Sample grids show a stage's images with each pixel repeated up to the data's size.
    let low = pool(pool(x.clone()));
    let full = value_vec(s.to_full(low.clone(), Growth { stage: 0, alpha: 1.0 }));
    assert!(max_diff(&full, &value_vec(up(up(low)))) < 1e-6);
}

#[test]
fn at_alpha_0_a_new_stage_shows_the_previous_one_and_at_alpha_1_only_itself() {
    let _rng = serial();
    let device = Device::flex();
    device.seed(5);
    let (g, d) = networks(&device);
    let z = z(&device);
    for stage in [1, 2] {
        // G: the previous stage's image, upsampled.
        let new = g.forward(vec![z.clone()], &ctx(stage, 0.0));
        let old = g.forward(vec![z.clone()], &ctx(stage - 1, 1.0));
        assert!(max_diff(&value_vec(new), &value_vec(up(old))) < 1e-5, "G stage {stage}");
        // D: the previous stage's score on the downsampled image.
        let side = [7, 14, 28][stage];
        let x = image(side, &device);
        let new = d.forward(vec![x.clone()], &ctx(stage, 0.0));
        let old = d.forward(vec![pool(x)], &ctx(stage - 1, 1.0));
        assert!(max_diff(&value_vec(new), &value_vec(old)) < 1e-5, "D stage {stage}");
    }
    // The heads of the stage before the newest (G's `to_rgb` of stage 14, D's `from_rgb` of
    // stage 14) count while fading, not at alpha 1.
    let (x, x_changed) = (image(28, &device), |a: Vec<f32>, b: Vec<f32>| max_diff(&a, &b) > 1e-4);
    let g2 = shift_head(g.clone(), 1);
    let d2 = shift_head(d.clone(), 1);
    for (alpha, counts) in [(0.5, true), (1.0, false)] {
        let c = ctx(2, alpha);
        let (a, b) = (g.forward(vec![z.clone()], &c), g2.forward(vec![z.clone()], &c));
        assert_eq!(x_changed(value_vec(a), value_vec(b)), counts, "G at alpha {alpha}");
        let (a, b) = (d.forward(vec![x.clone()], &c), d2.forward(vec![x.clone()], &c));
        assert_eq!(x_changed(value_vec(a), value_vec(b)), counts, "D at alpha {alpha}");
    }
}

#[test]
fn the_input_gradient_of_a_fading_critic_equals_autodiff() {
    let _rng = serial();
    let device = Device::flex().autodiff();
    device.seed(6);
    let (_, d) = networks(&device);
    for (stage, side, alpha) in [(0, 7, 1.0), (1, 14, 0.3), (2, 28, 0.8), (2, 28, 1.0)] {
        let c = ctx(stage, alpha);
        let x = image(side, &device);
        let (_, ours) = output_and_input_grad(&d, vec![x.clone()], &c);
        let x = x.map(|t| t.require_grad(), |t| t.require_grad());
        let grads = d.forward(vec![x.clone()], &c).flat().sum().backward();
        let theirs = Value::Image(x.image().grad(&grads).unwrap());
        let (ours, theirs) = (value_vec(ours), value_vec(theirs));
        let scale = theirs.iter().fold(0f32, |m, v| m.max(v.abs()));
        assert!(max_diff(&ours, &theirs) <= 1e-4 * scale, "stage {stage} alpha {alpha}");
    }
}

/// Parameters of the layers under `nodes`, as `ganc check --summary` sums its rows.
fn summary_params(nodes: &[ir::Node]) -> u64 {
    nodes
        .iter()
        .map(|n| match n {
            ir::Node::Layer(l) => l.params,
            ir::Node::Let { body, .. } | ir::Node::Block { body, .. } => summary_params(body),
            ir::Node::Residual { main, skip, .. } => summary_params(main) + summary_params(skip),
            ir::Node::Stage { body, head, .. } => summary_params(body) + summary_params(head),
        })
        .sum()
}

#[test]
fn each_stage_has_the_parameters_ganc_check_counts() {
    let _rng = serial();
    let m = model(TINY);
    let device = Device::flex();
    let (mut g, mut d) = networks(&device);
    for (net, ir_net) in [(&mut g, m.generator().unwrap()), (&mut d, m.network("D").unwrap())] {
        let checked: Vec<u64> = ir_net
            .body
            .iter()
            .filter(|n| matches!(n, ir::Node::Stage { .. }))
            .map(|n| summary_params(std::slice::from_ref(n)))
            .collect();
        let lowered: Vec<u64> = stages(net)
            .stages
            .iter()
            .map(|s| {
                (s.body.iter().map(|n| n.num_params()).sum::<usize>()
                    + s.head.iter().map(|n| n.num_params()).sum::<usize>()) as u64
            })
            .collect();
        assert_eq!(checked.len(), 3);
        assert_eq!(lowered, checked, "{}", ir_net.name);
        assert_eq!(net.num_params() as u64, ir_net.param_count().unwrap(), "{}", ir_net.name);
    }
}

/// The layers under `nodes`, depth first.
fn layers(nodes: &[ir::Node]) -> Vec<&ir::Layer> {
    nodes
        .iter()
        .flat_map(|n| match n {
            ir::Node::Layer(l) => vec![l],
            ir::Node::Let { body, .. } | ir::Node::Block { body, .. } => layers(body),
            ir::Node::Residual { main, skip, .. } => [layers(main), layers(skip)].concat(),
            ir::Node::Stage { body, head, .. } => [layers(body), layers(head)].concat(),
        })
        .collect()
}

/// The checker's output shapes of the layers that run with `top` as the newest stage at alpha
/// 1: G's bodies up to it, its `to_rgb` and what follows the stages (on images of the stage's
/// `side`); D's newest `from_rgb`, and the bodies from there down.
fn checked_shapes(net: &ir::Network, top: usize, side: usize) -> Vec<Vec<usize>> {
    let parts: Vec<(&[ir::Node], &[ir::Node])> = net
        .body
        .iter()
        .filter_map(|n| match n {
            ir::Node::Stage { body, head, .. } => Some((&body[..], &head[..])),
            _ => None,
        })
        .collect();
    let after: Vec<ir::Node> = net.body.iter().filter(|n| !matches!(n, ir::Node::Stage { .. })).cloned().collect();
    let shapes = |ls: Vec<&ir::Layer>| -> Vec<Vec<usize>> {
        ls.iter().map(|l| l.output.dims().unwrap().iter().map(|d| *d as usize).collect()).collect()
    };
    if net.kind == ganc_syntax::ast::NetworkKind::Generator {
        let mut run = Vec::new();
        parts[..=top].iter().for_each(|(body, _)| run.extend(layers(body)));
        run.extend(layers(parts[top].1));
        let at_side = shapes(layers(&after)).into_iter().map(|d| vec![d[0], side, side]);
        shapes(run).into_iter().chain(at_side).collect()
    } else {
        let first = parts.len() - 1 - top;
        let mut run = layers(parts[first].1);
        parts[first..].iter().for_each(|(body, _)| run.extend(layers(body)));
        shapes(run)
    }
}

#[test]
fn every_stage_gives_the_shapes_the_checker_inferred() {
    let _rng = serial();
    let m = model(TINY);
    let device = Device::flex();
    let (g, d) = networks(&device);
    for top in 0..3 {
        let c = ctx(top, 1.0);
        let side = [7, 14, 28][top];
        assert_eq!(
            g.trace(vec![z(&device)], &c),
            checked_shapes(m.generator().unwrap(), top, side),
            "G at stage {top}"
        );
        assert_eq!(
            d.trace(vec![image(side, &device)], &c),
            checked_shapes(m.network("D").unwrap(), top, side),
            "D at {top}"
        );
    }
}

fn tiny_run(dir: &Path, data: &Path, steps: u64, resume: bool) -> PathBuf {
    let m = model(TINY);
    let opts = TrainOptions {
        steps: Some(steps),
        out: Some(dir.to_path_buf()),
        resume: resume.then(|| dir.to_path_buf()),
        device: "cpu".into(),
        data_dir: Some(data.to_path_buf()),
        ..TrainOptions::default()
    };
    train(&m, TINY, Path::new("tiny.gan"), &opts, &AtomicBool::new(false), &mut |_| {}).expect("trains")
}

/// `metrics.csv` without the timing column.
fn metrics(run: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(run.join("metrics.csv")).unwrap();
    let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
    let timing = header.iter().position(|c| *c == "steps_per_sec").unwrap();
    text.lines()
        .map(|l| l.split(',').enumerate().filter(|(i, _)| *i != timing).map(|(_, v)| v.to_string()).collect())
        .collect()
}

#[test]
fn a_run_resumed_mid_fade_equals_the_uninterrupted_one() {
    let _rng = serial();
    let (a, b, data) = (temp("grow-whole"), temp("grow-halves"), temp("grow-data"));
    write_mnist(&data, 16);
    tiny_run(&a, &data, 12, false);
    // The ninth step was the second of the 28 x 28 stage's fade (alpha 1/3).
    tiny_run(&b, &data, 9, false);
    let state = std::fs::read_to_string(b.join("checkpoint/state.json")).unwrap();
    let state: serde_json::Value = serde_json::from_str(&state).unwrap();
    assert_eq!(state["growth"]["stage"], 2);
    assert!((state["growth"]["alpha"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-9, "{state}");
    tiny_run(&b, &data, 12, true);
    let (whole, halves) = (metrics(&a), metrics(&b));
    assert_eq!(whole, halves);
    // Every resolution and the fades are in metrics.csv.
    let header = &whole[0];
    let (r, al) = (header.len() - 2, header.len() - 1);
    assert_eq!((&header[r][..], &header[al][..]), ("resolution", "alpha"));
    let seen: Vec<(String, String)> = whole[1..].iter().map(|row| (row[r].clone(), row[al].clone())).collect();
    let expected: Vec<(&str, f64)> = vec![
        ("7", 1.0),
        ("7", 1.0),
        ("14", 0.0),
        ("14", 1.0 / 3.0),
        ("14", 2.0 / 3.0),
        ("14", 1.0),
        ("14", 1.0),
        ("28", 0.0),
        ("28", 1.0 / 3.0),
        ("28", 2.0 / 3.0),
        ("28", 1.0),
        ("28", 1.0),
    ];
    assert_eq!(seen.len(), expected.len());
    for ((res, alpha), (want_res, want_alpha)) in seen.iter().zip(expected) {
        assert_eq!(res, want_res);
        assert!((alpha.parse::<f64>().unwrap() - want_alpha).abs() < 1e-9);
    }
    // Sample grids name their resolution and alpha; the samples of the run are full size.
    for f in ["step_000004_r14_a0.33.png", "step_000008_r28_a0.00.png", "step_000012_r28_a1.00.png"] {
        assert!(a.join("samples").join(f).exists(), "{f} missing");
    }
    let (x, shape) = sample::sample(&sample::load(&a, "cpu", true).unwrap(), 2, 0);
    assert_eq!(shape, vec![2, 1, 28, 28]);
    assert!(x.iter().all(|v| v.is_finite()));
    for dir in [a, b, data] {
        std::fs::remove_dir_all(dir).ok();
    }
}

#[test]
fn the_fashion_model_trains_through_every_resolution() {
    let _rng = serial();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/pggan_fashion.gan");
    let schedule = "progressive(fade: 60 steps, hold: 60 steps)";
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(schedule), "the model's schedule changed: update this test");
    let text = text.replace(schedule, "progressive(fade: 1 steps, hold: 1 steps)");
    let analysis = ganc_check::check_source(&path, &text, &ganc_check::FsLoader);
    assert!(!analysis.has_errors(), "{:#?}", analysis.diagnostics);
    let m = analysis.model.unwrap();
    let (dir, data) = (temp("fashion-run"), temp("fashion-data"));
    write_mnist(&data, 8);
    std::fs::rename(data.join("mnist"), data.join("fashion-mnist")).unwrap();
    let opts = TrainOptions {
        steps: Some(5),
        batch: Some(4),
        out: Some(dir.clone()),
        device: "cpu".into(),
        data_dir: Some(data.clone()),
        ..TrainOptions::default()
    };
    let mut seen = Vec::new();
    train(&m, &text, &path, &opts, &AtomicBool::new(false), &mut |e| {
        if let ganc_runtime::run::Event::Step(s, _) = e {
            seen.push(s.growth);
        }
    })
    .expect("trains");
    let expected = [(7, 1.0), (14, 0.0), (14, 1.0), (28, 0.0), (28, 1.0)];
    assert_eq!(seen, expected.map(Some).to_vec());
    for dir in [dir, data] {
        std::fs::remove_dir_all(dir).ok();
    }
}
