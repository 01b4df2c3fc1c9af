//! Gradient penalties: the hand-built input gradient equals burn's own first-order gradient for
//! every layer a critic may hold; the penalty's parameter gradients equal central finite
//! differences and PyTorch's double backward (`fixtures/torch_penalty.py`).

mod common;

use ganc_check::{check_source, FsLoader};
use ganc_runtime::burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use ganc_runtime::burn::optim::GradientsParams;
use ganc_runtime::burn::tensor::{Device, Distribution, Int, Tensor, TensorData};
use ganc_runtime::growth::Growth;
use ganc_runtime::input_grad::output_and_input_grad;
use ganc_runtime::layers::Ctx;
use ganc_runtime::network::Net;
use ganc_runtime::penalty::{At, Batch, Penalty};
use ganc_runtime::value::Value;
use rand::SeedableRng;
use std::path::Path;

/// burn's random generator is global: tests that initialise networks take turns.
static RNG: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    RNG.lock().unwrap_or_else(|e| e.into_inner())
}

const CTX: Ctx = Ctx { step: 0, training: true, growth: Growth::FULL };

/// A whole model around the critic `d` (the generator only has to check).
fn critic(data: &str, d: &str, device: &Device) -> Net {
    let (g, sig) = if data.starts_with("ring") {
        ("linear(2)", "D(point) -> logit")
    } else if d.contains("concat(e)") {
        ("linear(784) reshape(1, 28, 28) tanh", "D(image, y) -> logit")
    } else {
        ("linear(784) reshape(1, 28, 28) tanh", "D(image) -> logit")
    };
    let cond = if d.contains("concat(e)") { "condition y ~ labels\n" } else { "" };
    let g_sig = if cond.is_empty() { "G(z)" } else { "G(z, y)" };
    let text = format!(
        "data {data}\nlatent z ~ normal(4)\n{cond}generator {g_sig} -> {} {{ {g} }}\n\
         discriminator {sig} {{ {d} }}\nloss wasserstein\n",
        if data.starts_with("ring") { "point" } else { "image" }
    );
    let analysis = check_source(Path::new("critic.gan"), &text, &FsLoader);
    assert!(!analysis.has_errors(), "{text}\n{:#?}", analysis.diagnostics);
    let model = analysis.model.unwrap();
    let d_ir = model.network("D").unwrap();
    ganc_runtime::network::lower(d_ir, device).unwrap_or_else(|e| panic!("{e:?}"))
}

/// Critics covering every layer with an input gradient: strided and padded convolutions with
/// odd sizes, norms, pooling, upsampling, each activation, residual, `let`, `add`, `concat`
/// (of an image and of a vector tiled over an image).
const IMAGE_CRITICS: [&str; 3] = [
    "conv(4, kernel: 2) leaky_relu(0.2) conv(6, kernel: 3, stride: 2) instancenorm tanh \
     conv(6, kernel: 3, stride: 2, padding: 1) let h residual { conv(6, kernel: 3, padding: 1) gelu groupnorm(3) } \
     concat(h) silu upsample avgpool(kernel: 2) sigmoid layernorm relu flatten linear(1)",
    "conv(8, kernel: 4, stride: 2, padding: 1) leaky_relu(0.2) avgpool(kernel: 2) \
     residual { conv(8, kernel: 3, padding: 1) leaky_relu(0.2) } skip { conv(8, kernel: 1) } \
     gaussian_noise(0.0) flatten linear(16) leaky_relu(0.2) linear(1)",
    "let e = y |> embedding(3) conv(4, kernel: 4, stride: 2, padding: 1) concat(e) leaky_relu(0.2) \
     conv(4, kernel: 4, stride: 2, padding: 1) flatten linear(1)",
];
const RING_CRITIC: &str = "linear(16) let a leaky_relu(0.2) linear(16) silu add(a) let b = a { linear(8) gelu } \
     concat(b) layernorm tanh linear(8) sigmoid linear(1)";

fn image_batch(n: usize, device: &Device) -> Value {
    Value::Image(Tensor::random([n, 1, 28, 28], Distribution::Uniform(-1.0, 1.0), device))
}

fn labels(n: usize, device: &Device) -> Value {
    let v: Vec<i64> = (0..n as i64).map(|i| i % 10).collect();
    Value::Labels(Tensor::<1, Int>::from_data(TensorData::new(v, [n]), device))
}

fn to_vec(v: Value) -> Vec<f32> {
    v.flat().into_data().try_to_vec::<f32>().unwrap()
}

fn assert_close(a: &[f32], b: &[f32], rel: f32, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    let scale = b.iter().fold(0f32, |m, v| m.max(v.abs())).max(1e-6);
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= rel * scale, "{what}[{i}]: {x} vs {y} (scale {scale})");
    }
}

#[test]
fn input_gradient_equals_burns_first_order_gradient() {
    let _rng = serial();
    let device = Device::flex().autodiff();
    device.seed(11);
    let mut cases: Vec<(Net, Vec<Value>)> = IMAGE_CRITICS
        .iter()
        .map(|d| {
            let net = critic("mnist(split: test)", d, &device);
            let mut inputs = vec![image_batch(3, &device)];
            if net.inputs.len() > 1 {
                inputs.push(labels(3, &device));
            }
            (net, inputs)
        })
        .collect();
    let ring = critic("ring(8)", RING_CRITIC, &device);
    let points = Value::Flat(Tensor::random([5, 2], Distribution::Normal(0.0, 2.0), &device));
    cases.push((ring, vec![points]));
    for (i, (net, inputs)) in cases.into_iter().enumerate() {
        let (_, ours) = output_and_input_grad(&net, inputs.clone(), &CTX);
        let mut inputs = inputs;
        let x = inputs[0].clone().map(|t| t.require_grad(), |t| t.require_grad());
        inputs[0] = x.clone();
        let out = net.forward(inputs, &CTX).flat().sum();
        let grads = out.backward();
        let theirs = match x {
            Value::Image(t) => Value::Image(t.grad(&grads).unwrap()),
            Value::Flat(t) => Value::Flat(t.grad(&grads).unwrap()),
            Value::Labels(_) | Value::Stacked(_) => unreachable!(),
        };
        assert_close(&to_vec(ours), &to_vec(theirs), 1e-4, &format!("critic {i}"));
    }
}

/// The gradient of every float parameter, in visiting order (zeros where a parameter does not
/// reach the loss).
struct Grads<'a> {
    grads: &'a GradientsParams,
    out: Vec<Vec<f32>>,
}

impl ModuleVisitor for Grads<'_> {
    fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<D>>) {
        let g = self.grads.get::<D>(p.id).map(|g| g.into_data().try_to_vec::<f32>().unwrap());
        self.out.push(g.unwrap_or_else(|| vec![0.0; p.val().shape().num_elements()]));
    }
}

/// Replaces the parameters, in visiting order, by `values` (or adds `h` to one element).
struct Set {
    values: Vec<Vec<f32>>,
    next: usize,
}

impl ModuleMapper for Set {
    fn map_float<const D: usize>(&mut self, p: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let values = self.values[self.next].clone();
        self.next += 1;
        p.map(|t| {
            let (ad, rg) = (t.is_autodiff(), t.is_require_grad());
            let mut n = Tensor::from_data(TensorData::new(values, t.shape()), &t.device());
            if ad && rg {
                n = n.require_grad();
            }
            n
        })
    }
}

fn params(net: &Net) -> Vec<Vec<f32>> {
    #[derive(Default)]
    struct Values(Vec<Vec<f32>>);
    impl ModuleVisitor for Values {
        fn visit_float<const D: usize>(&mut self, p: &Param<Tensor<D>>) {
            self.0.push(p.val().into_data().try_to_vec::<f32>().unwrap());
        }
    }
    let mut v = Values::default();
    net.visit(&mut v);
    v.0
}

fn with_params(net: Net, values: Vec<Vec<f32>>) -> Net {
    net.map(&mut Set { values, next: 0 })
}

/// The penalty at `x` and, when the net is on an autodiff device, its parameter gradients.
fn penalty_and_grads(net: &Net, p: &Penalty, x: &Value) -> (f64, Vec<Vec<f32>>) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(0);
    let batch = Batch { real: x, fake: x, real_labels: None, fake_labels: None };
    let value = p.value(net, &batch, &mut rng, &CTX);
    let scalar = value.clone().into_scalar::<f32>() as f64;
    let mut raw = value.backward();
    let grads = GradientsParams::from_module(&mut raw, net);
    let mut collect = Grads { grads: &grads, out: Vec::new() };
    net.visit(&mut collect);
    (scalar, collect.out)
}

#[test]
fn penalty_parameter_gradients_equal_finite_differences() {
    let _rng = serial();
    let device = Device::flex().autodiff();
    device.seed(3);
    // Smooth critics, so that a finite step crosses no kink.
    let cases = [
        (
            "mnist(split: test)",
            "conv(4, kernel: 4, stride: 2, padding: 1) tanh conv(4, kernel: 4, stride: 2, padding: 1) \
          layernorm silu flatten linear(8) gelu linear(1)",
        ),
        ("ring(8)", "linear(16) tanh let a linear(16) silu add(a) layernorm linear(1)"),
    ];
    for (data, body) in cases {
        let net = critic(data, body, &device);
        let x = if data.starts_with("ring") {
            Value::Flat(Tensor::random([6, 2], Distribution::Normal(0.0, 1.0), &device))
        } else {
            image_batch(2, &device)
        };
        for p in [
            Penalty { weight: 10.0, center: 1.0, at: At::Real, every: 1 },
            Penalty { weight: 5.0, center: 0.0, at: At::Real, every: 1 },
        ] {
            let (_, grads) = penalty_and_grads(&net, &p, &x);
            let base = params(&net);
            let plain = net.valid();
            let x_plain = x.clone().map(|t| t.inner(), |t| t.inner());
            let eval = |values: Vec<Vec<f32>>| {
                let n = with_params(plain.clone(), values);
                let mut rng = rand::rngs::StdRng::seed_from_u64(0);
                let batch = Batch { real: &x_plain, fake: &x_plain, real_labels: None, fake_labels: None };
                p.value(&n, &batch, &mut rng, &CTX).into_scalar::<f32>() as f64
            };
            let h = 1e-2f32;
            for (k, values) in base.iter().enumerate() {
                // Three entries of every parameter tensor.
                for j in [0, values.len() / 2, values.len() - 1] {
                    let mut up = base.clone();
                    up[k][j] += h;
                    let mut down = base.clone();
                    down[k][j] -= h;
                    let numeric = (eval(up) - eval(down)) / (2.0 * h as f64);
                    let analytic = grads[k][j] as f64;
                    let tol = 2e-2 * numeric.abs().max(analytic.abs()) + 2e-3;
                    assert!(
                        (numeric - analytic).abs() <= tol,
                        "{data} {p:?} param {k}[{j}]: finite differences {numeric}, autodiff {analytic}"
                    );
                }
            }
        }
    }
}

#[test]
fn penalty_matches_pytorch_double_backward() {
    let _rng = serial();
    let f = common::fixture("torch_penalty.json");
    let floats = common::floats;
    let device = Device::flex().autodiff();
    let body = "conv(8, kernel: 4, stride: 2, padding: 1) leaky_relu(0.2) conv(16, kernel: 4, stride: 2, padding: 1) \
                layernorm leaky_relu(0.2) conv(4, kernel: 3) tanh flatten linear(1)";
    let net = critic("mnist(split: test)", body, &device);
    let values: Vec<Vec<f32>> = f["params"].as_array().unwrap().iter().map(floats).collect();
    let shapes: Vec<usize> = params(&net).iter().map(Vec::len).collect();
    assert_eq!(shapes, values.iter().map(Vec::len).collect::<Vec<_>>(), "parameter order and sizes");
    let net = with_params(net, values);
    for (key, x, p) in [
        ("wgan_gp", "x_hat", Penalty { weight: 10.0, center: 1.0, at: At::Real, every: 1 }),
        ("r1", "real", Penalty { weight: 5.0, center: 0.0, at: At::Real, every: 1 }),
    ] {
        let x = Value::Image(Tensor::from_data(TensorData::new(floats(&f[x]), [4, 1, 28, 28]), &device));
        let (value, grads) = penalty_and_grads(&net, &p, &x);
        let expected = f[key]["value"].as_f64().unwrap();
        assert!((value - expected).abs() <= 1e-4 * expected.abs(), "{key}: {value} vs PyTorch {expected}");
        for (k, g) in f[key]["grads"].as_array().unwrap().iter().enumerate() {
            assert_close(&grads[k], &floats(g), 1e-3, &format!("{key} grad of parameter {k}"));
        }
    }
}

#[test]
fn every_penalty_trains_and_lazy_ones_skip_updates() {
    use ganc_runtime::run::{train, TrainOptions};
    let _rng = serial();
    for (i, reg) in [
        "gradient_penalty(weight: 10, center: 1, at: interpolates)",
        "gradient_penalty(weight: 10, center: 0, at: real_and_fake)",
        "gradient_penalty(weight: 1, center: 0, at: fake)",
        "r1(gamma: 10, every: 2)",
        "r2(gamma: 10)",
        "dragan(weight: 10, k: 1, c: 0.5)",
    ]
    .iter()
    .enumerate()
    {
        let text = format!(
            "data ring(8)\nlatent z ~ normal(4)\ngenerator G(z) -> point {{ linear(16) relu linear(2) }}\n\
             discriminator D(point) -> logit {{ linear(16) leaky_relu(0.2) linear(1) }}\nloss non_saturating\n\
             regularize D {{ {reg} }}\ntrain {{ batch: 32 steps: 6 seed: 2 log every 1 steps }}\n"
        );
        let analysis = check_source(Path::new("p.gan"), &text, &FsLoader);
        let model = analysis.model.unwrap_or_else(|| panic!("{reg}: {:#?}", analysis.diagnostics));
        let dir = std::env::temp_dir().join(format!("ganc-penalty-{i}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let opts = TrainOptions { out: Some(dir.clone()), device: "cpu".into(), ..TrainOptions::default() };
        train(&model, &text, Path::new("p.gan"), &opts, &std::sync::atomic::AtomicBool::new(false), &mut |_| {})
            .unwrap_or_else(|e| panic!("{reg}: {e}"));
        let csv = std::fs::read_to_string(dir.join("metrics.csv")).unwrap();
        let column = csv.lines().next().unwrap().split(',').position(|c| c == "penalty").unwrap();
        let penalties: Vec<f64> =
            csv.lines().skip(1).map(|l| l.split(',').nth(column).unwrap().parse().unwrap()).collect();
        assert_eq!(penalties.len(), 6, "{reg}");
        for (k, p) in penalties.iter().enumerate() {
            let lazy_skip = reg.contains("every: 2") && k % 2 == 1;
            if lazy_skip {
                assert_eq!(*p, 0.0, "{reg}: step {} should skip the penalty", k + 1);
            } else {
                assert!(p.is_finite() && *p > 0.0, "{reg}: penalty {p} at step {}", k + 1);
            }
        }
        std::fs::remove_dir_all(&dir).ok();
    }
}
