//! D's parameter gradients as a differentiable graph, and what reads them: the exact Unrolled GAN
//! (Metz et al. 2016) and the Nagarajan-Kolter regularizer (2017). First order against burn's own
//! backward pass; second order against PyTorch's double backward (`fixtures/torch_unroll.py`).

mod common;

use common::{assert_close, assert_resumes_exactly, fixture, floats, model, serial, trainer, values, RING};
use ganc_runtime::burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use ganc_runtime::burn::optim::GradientsParams;
use ganc_runtime::burn::tensor::{Device, Distribution, Tensor, TensorData};
use ganc_runtime::growth::Growth;
use ganc_runtime::layers::Ctx;
use ganc_runtime::losses::Loss;
use ganc_runtime::network::Net;
use ganc_runtime::param_grad::{loss_and_grads, Side};
use ganc_runtime::plan::Optimizer;
use ganc_runtime::unroll::{ahead, Rule, Unroll};
use ganc_runtime::value::Value;

const CTX: Ctx = Ctx { step: 0, training: true, growth: Growth::FULL };

/// The discriminator of `fixtures/torch_unroll.py`.
const UNROLL_D: &str = "conv(4, kernel: 4, stride: 2, padding: 1) leaky_relu(0.2) \
     conv(6, kernel: 4, stride: 2, padding: 1) tanh flatten linear(8) leaky_relu(0.2) linear(1)";

/// D of a model on MNIST-sized images with the body `d`, lowered on `device`.
fn image_d(d: &str, device: &Device) -> Net {
    let text = format!(
        "data mnist(split: test)\nlatent z ~ normal(4)\n\
         generator G(z) -> image {{ linear(784) reshape(1, 28, 28) tanh }}\n\
         discriminator D(image) -> logit {{ {d} }}\nloss non_saturating\n"
    );
    let m = model(&text);
    ganc_runtime::network::lower(m.network("D").unwrap(), device).unwrap_or_else(|e| panic!("{e:?}"))
}

/// Sets a network's parameters, in visiting order, keeping whether each takes a gradient.
struct Set(Vec<Vec<f32>>);

impl ModuleMapper for Set {
    fn map_float<const D: usize>(&mut self, p: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let values = self.0.remove(0);
        p.map(|t| {
            let n = Tensor::from_data(TensorData::new(values, t.shape()), &t.device());
            if t.is_require_grad() {
                n.require_grad()
            } else {
                n
            }
        })
    }
}

/// Every parameter's gradient in `grads`, flattened in visiting order.
fn collect(net: &Net, grads: &GradientsParams) -> Vec<Vec<f32>> {
    struct Out<'g>(&'g GradientsParams, Vec<Vec<f32>>);
    impl ModuleVisitor for Out<'_> {
        fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<D>>) {
            let g = self.0.get::<D>(p.id).map(values).unwrap_or_default();
            self.1.push(g);
        }
    }
    let mut out = Out(grads, Vec::new());
    net.visit(&mut out);
    out.1
}

fn side(x: Value, target: f32, device: &Device) -> Side {
    let n = x.batch();
    Side { inputs: vec![x], targets: Tensor::from_data(TensorData::new(vec![target; n], [n, 1]), device) }
}

#[test]
fn parameter_gradients_equal_burns_first_order_gradients() {
    let _rng = serial();
    let device = Device::flex().autodiff();
    device.seed(5);
    // Strided, padded and unpadded convolutions, a transposed convolution with output padding,
    // layer norm, pooling and a residual sum between linear layers.
    let bodies = [
        UNROLL_D,
        "conv(3, kernel: 5) leaky_relu(0.2) deconv(2, kernel: 3, stride: 2, padding: 1, output_padding: 1) \
         layernorm leaky_relu(0.2) avgpool(kernel: 2) residual { conv(2, kernel: 3, padding: 1) tanh } flatten linear(1)",
    ];
    for (i, body) in bodies.iter().enumerate() {
        let d = image_d(body, &device);
        for loss in [Loss::NonSaturating, Loss::Wasserstein, Loss::Hinge, Loss::LeastSquares { a: 0.0, b: 1.0, c: 1.0 }]
        {
            let real = Value::Image(Tensor::random([3, 1, 28, 28], Distribution::Uniform(-1.0, 1.0), &device));
            let fake = Value::Image(Tensor::random([2, 1, 28, 28], Distribution::Uniform(-1.0, 1.0), &device));
            let (t_real, t_fake) = loss.targets();
            let (value, ours) = loss_and_grads(
                &d,
                &loss,
                side(real.clone(), t_real as f32, &device),
                side(fake.clone(), t_fake as f32, &device),
                &CTX,
            )
            .expect("written");
            let mut raw = value.backward();
            let theirs = GradientsParams::from_module(&mut raw, &d);
            let mut ours_by_param = Vec::new();
            struct Ids(Vec<ganc_runtime::burn::module::ParamId>);
            impl ModuleVisitor for Ids {
                fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<D>>) {
                    self.0.push(p.id);
                }
            }
            let mut ids = Ids(Vec::new());
            d.visit(&mut ids);
            for id in &ids.0 {
                ours_by_param.push(ours.get(*id).cloned().map(values).unwrap_or_default());
            }
            for (k, (a, b)) in ours_by_param.iter().zip(collect(&d, &theirs)).enumerate() {
                assert_close(a, &b, 1e-4, &format!("D {i}, {loss:?}, parameter {k}"));
            }
        }
    }
}

#[test]
fn unrolled_and_nagarajan_kolter_match_pytorch_double_backward() {
    let _rng = serial();
    let f = fixture("torch_unroll.json");
    let device = Device::flex().autodiff();
    let params: Vec<Vec<f32>> = f["params"].as_array().unwrap().iter().map(floats).collect();
    let mut d = image_d(UNROLL_D, &device).map(&mut Set(params));
    let image = |key: &str| Tensor::<4>::from_data(TensorData::new(floats(&f[key]), [4, 1, 28, 28]), &device);
    let (real, fake) = (Value::Image(image("real")), image("fake"));
    // D's ordinary update, as the trainer makes it before G's step.
    let lr = f["lr"].as_f64().unwrap();
    let spec = Optimizer::Adam { lr, betas: (0.5, 0.999), eps: 1e-8, weight_decay: 0.0 };
    let mut opt = ganc_runtime::trainer::optimizer(&spec);
    let (loss, _) = loss_and_grads(
        &d,
        &Loss::NonSaturating,
        side(real.clone(), 1.0, &device),
        side(Value::Image(fake.clone()), 0.0, &device),
        &CTX,
    )
    .expect("written");
    let mut raw = loss.backward();
    let grads = GradientsParams::from_module(&mut raw, &d);
    d = opt.step(lr, d, grads);
    let frozen = d.clone().no_grad();
    let k = f["k"].as_u64().unwrap() as usize;
    for (key, exact) in [("exact", true), ("first_order", false)] {
        let x = fake.clone().require_grad();
        let rule = Rule::of(&spec, &opt, &frozen).expect("Adam is written");
        let (real_side, fake_side) = (side(real.clone(), 1.0, &device), side(Value::Image(x.clone()), 0.0, &device));
        let looked =
            ahead(&frozen, rule, &Loss::NonSaturating, &real_side, &fake_side, Unroll { steps: k, exact }, &CTX)
                .expect("written");
        let g_loss = Loss::NonSaturating.generator(looked.forward(vec![Value::Image(x.clone())], &CTX).flat(), None);
        let value = g_loss.clone().into_scalar::<f32>() as f64;
        let expected = f[key]["value"].as_f64().unwrap();
        assert!((value - expected).abs() < 1e-4 * expected.abs(), "{key}: G loss {value} vs PyTorch {expected}");
        let grad = values(x.grad(&g_loss.backward()).expect("the fakes get a gradient"));
        assert_close(&grad, &floats(&f[key]["grad"]), 2e-3, &format!("{key}: G's gradient"));
    }
    // The two differ by the second-order term: the test above tells them apart.
    let (a, b) = (floats(&f["exact"]["grad"]), floats(&f["first_order"]["grad"]));
    assert!(a.iter().zip(&b).any(|(x, y)| (x - y).abs() > 0.1 * a.iter().fold(0f32, |m, v| m.max(v.abs()))));
    let eta = f["nagarajan_kolter"]["eta"].as_f64().unwrap();
    let x = fake.require_grad();
    let (_, grads) = loss_and_grads(
        &frozen,
        &Loss::NonSaturating,
        side(real, 1.0, &device),
        side(Value::Image(x.clone()), 0.0, &device),
        &CTX,
    )
    .expect("written");
    let nk = grads.squared_norm().expect("D has parameters").mul_scalar(eta);
    let value = nk.clone().into_scalar::<f32>() as f64;
    let expected = f["nagarajan_kolter"]["value"].as_f64().unwrap();
    assert!((value - expected).abs() < 1e-4 * expected.abs(), "NK: {value} vs PyTorch {expected}");
    let grad = values(x.grad(&nk.backward()).expect("the fakes get a gradient"));
    assert_close(&grad, &floats(&f["nagarajan_kolter"]["grad"]), 2e-3, "NK: G's gradient");
}

/// G's loss after one step of the ring model with `lines` in `train { }` and `reg` on G.
fn first_g_loss(lines: &str, reg: &str) -> f64 {
    let text = format!("{}\nregularize G {{ {reg} }}\n", RING.replace("seed: 3", &format!("seed: 3\n    {lines}")));
    let (mut t, data) = trainer(&text);
    t.step(&data, false).g_loss
}

#[test]
fn g_looks_ahead_at_a_d_that_moves_and_at_the_same_d_when_d_cannot_move() {
    let _rng = serial();
    let sgd = |lr: &str| format!("optimizer D: sgd(lr: {lr})");
    let plain = first_g_loss(&sgd("1e-30"), "");
    // A D whose updates change nothing: the looked-ahead D is D, and so is G's loss.
    let still = first_g_loss(&format!("{}\n    unroll: 3", sgd("1e-30")), "");
    assert_eq!(still, plain, "unrolling a D that does not move");
    // A D that moves: G's loss is read from D three steps ahead, which has learnt to score these
    // very fakes lower, so G's non-saturating loss is higher.
    let moving = first_g_loss(&format!("{}\n    unroll: 3", sgd("0.5")), "");
    let plain_moving = first_g_loss(&sgd("0.5"), "");
    assert!(moving > plain_moving + 1e-3, "unrolled {moving} vs plain {plain_moving}");
    // Adam's look-ahead from D's moments, and its first-order variant, read the same D.
    let exact = first_g_loss("unroll: 2", "");
    let first = first_g_loss("unroll: 2\n    unroll_gradient: first_order", "");
    assert_eq!(exact, first, "the two variants differ only in G's gradient");
}

#[test]
fn the_nagarajan_kolter_term_scales_with_eta() {
    let _rng = serial();
    let plain = first_g_loss("", "");
    let once = first_g_loss("", "nagarajan_kolter(weight: 1)") - plain;
    let twice = first_g_loss("", "nagarajan_kolter(weight: 2)") - plain;
    assert!(once > 0.0, "a squared norm: {once}");
    assert!((twice - 2.0 * once).abs() < 1e-5 * twice.abs().max(1.0), "{twice} vs 2 x {once}");
}

#[test]
fn unrolled_runs_resumed_equal_uninterrupted_ones() {
    let _rng = serial();
    let text = RING.replace("steps: 10", "steps: 10\n    log every 1 steps\n    unroll: 2");
    let text = format!("{text}\nregularize G {{ nagarajan_kolter(weight: 0.1) }}\n");
    assert_resumes_exactly(&text, "unrolled", "opt_d.bpk");
}
