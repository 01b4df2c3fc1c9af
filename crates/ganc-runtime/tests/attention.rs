//! Self-attention (Zhang et al. 2018): with `gamma = 0` the layer is the identity; each
//! position's attention weights are a distribution over the positions; permuting the positions
//! of the input permutes the output the same way; its written input gradient equals burn's
//! autodiff gradient; its parameter count is the checker's.

mod common;

use common::{assert_close, model, serial, values};
use ganc_runtime::burn::module::{Module, Param};
use ganc_runtime::burn::tensor::{Device, Distribution, Int, Tensor, TensorData};
use ganc_runtime::growth::Growth;
use ganc_runtime::input_grad::output_and_input_grad;
use ganc_runtime::layers::{Ctx, Differentiable, Layer, SelfAttention};
use ganc_runtime::network::{Net, Node};
use ganc_runtime::value::Value;

const CTX: Ctx = Ctx { step: 0, training: true, growth: Growth::FULL };

/// A model whose critic holds `layers` after a convolution to 8 channels at 14x14.
fn text(layers: &str) -> String {
    format!(
        "data mnist(split: test)\nlatent z ~ normal(4)\n\
         generator G(z) -> image {{ linear(8 * 7 * 7) reshape(8, 7, 7) self_attention(reduction: 4) \
         upsample conv(8, kernel: 3, padding: 1) self_attention(reduction: 2) upsample conv(1, kernel: 3, padding: 1) tanh }}\n\
         discriminator D(image) -> logit {{ conv(8, kernel: 4, stride: 2, padding: 1) leaky_relu(0.2) {layers} \
         flatten linear(1) }}\nloss non_saturating\n"
    )
}

/// The critic of `text(layers)`, lowered on `device`, and the checker's network.
fn critic(layers: &str, device: &Device) -> (Net, ganc_check::ir::Network) {
    let m = model(&text(layers));
    let ir = m.network("D").unwrap().clone();
    (ganc_runtime::network::lower(&ir, device).expect("lowers"), ir)
}

/// Every self-attention layer of `nodes`.
fn attentions(nodes: &mut [Node]) -> Vec<&mut SelfAttention> {
    let mut out = Vec::new();
    for node in nodes {
        match node {
            Node::Layer(Layer::SelfAttention(a)) => out.push(a),
            Node::Residual(r) => out.extend(attentions(&mut r.main)),
            Node::Block(b) => out.extend(attentions(&mut b.body)),
            _ => {}
        }
    }
    out
}

/// The layer `self_attention(reduction, heads)` on 8 channels, its gate set to `gamma`.
fn layer(reduction: usize, heads: usize, gamma: f32, device: &Device) -> SelfAttention {
    let (mut net, _) = critic(&format!("self_attention(reduction: {reduction}, heads: {heads})"), device);
    let mut found = attentions(&mut net.body);
    let a = found.pop().expect("one attention layer");
    set_gamma(a, gamma, device);
    SelfAttention {
        query: a.query.clone(),
        key: a.key.clone(),
        value: a.value.clone(),
        gamma: a.gamma.clone(),
        heads: a.heads,
    }
}

fn set_gamma(a: &mut SelfAttention, gamma: f32, device: &Device) {
    a.gamma = Param::from_tensor(Tensor::from_data(TensorData::new(vec![gamma], [1]), device));
}

fn batch(b: usize, c: usize, h: usize, w: usize, device: &Device) -> Tensor<4> {
    Tensor::random([b, c, h, w], Distribution::Normal(0.0, 1.0), device)
}

#[test]
fn gamma_zero_is_the_identity() {
    let _rng = serial();
    let device = Device::flex();
    device.seed(1);
    let a = layer(2, 1, 0.0, &device);
    let x = batch(3, 8, 5, 6, &device);
    let y = a.forward(Value::Image(x.clone()), None, &CTX).image();
    assert_eq!(values(y), values(x));
    // And a fresh layer starts at gamma = 0.
    let (mut net, _) = critic("self_attention(reduction: 2)", &device);
    assert_eq!(values(attentions(&mut net.body)[0].gamma.val()), vec![0.0]);
}

#[test]
fn each_positions_attention_weights_sum_to_one() {
    let _rng = serial();
    let device = Device::flex();
    device.seed(2);
    for heads in [1, 2] {
        let a = layer(2, heads, 0.5, &device);
        let w = a.weights(batch(2, 8, 4, 3, &device));
        assert_eq!(w.dims(), [2, heads, 12, 12]);
        assert!(values(w.clone()).iter().all(|v| *v >= 0.0));
        for s in values(w.sum_dim(3)) {
            assert!((s - 1.0).abs() < 1e-5, "a row sums to {s}");
        }
    }
}

#[test]
fn permuting_the_positions_permutes_the_output() {
    let _rng = serial();
    let device = Device::flex();
    device.seed(3);
    let (b, c, h, w) = (2, 8, 4, 5);
    let n = h * w;
    // A fixed permutation of the 20 positions (7 is coprime with 20).
    let perm: Vec<i64> = (0..n as i64).map(|i| (i * 7 + 3) % n as i64).collect();
    let index = Tensor::<1, Int>::from_data(TensorData::new(perm, [n]), &device);
    let permute = |t: Tensor<4>| t.reshape([b, c, n]).select(2, index.clone()).reshape([b, c, h, w]);
    for heads in [1, 2] {
        let a = layer(2, heads, 0.9, &device);
        let x = batch(b, c, h, w, &device);
        let y = a.forward(Value::Image(x.clone()), None, &CTX).image();
        let y_of_permuted = a.forward(Value::Image(permute(x.clone())), None, &CTX).image();
        // Not the identity: the attended values count.
        let moved = values(y.clone() - x).iter().fold(0f32, |m, v| m.max(v.abs()));
        assert!(moved > 1e-3, "the layer left its input as it was");
        assert_close(&values(y_of_permuted), &values(permute(y)), 1e-5, &format!("heads {heads}"));
    }
}

#[test]
fn the_input_gradient_equals_autodiff() {
    let _rng = serial();
    let device = Device::flex().autodiff();
    device.seed(4);
    for layers in [
        "self_attention(reduction: 2)",
        "self_attention(reduction: 4, heads: 2) leaky_relu(0.2) conv(8, kernel: 4, stride: 2, padding: 1) self_attention",
    ] {
        let (mut net, _) = critic(layers, &device);
        for (i, a) in attentions(&mut net.body).into_iter().enumerate() {
            set_gamma(a, 0.7 + 0.2 * i as f32, &device);
        }
        let x = Tensor::random([3, 1, 28, 28], Distribution::Uniform(-1.0, 1.0), &device);
        let (_, ours) = output_and_input_grad(&net, vec![Value::Image(x.clone())], &CTX);
        let x = x.require_grad();
        let grads = net.forward(vec![Value::Image(x.clone())], &CTX).flat().sum().backward();
        let theirs = x.grad(&grads).unwrap();
        assert_close(&values(ours.flat()), &values(theirs), 1e-4, layers);
    }
}

#[test]
fn the_parameter_count_is_the_checkers() {
    let _rng = serial();
    let device = Device::flex();
    for (reduction, heads) in [(1, 1), (2, 1), (8, 1), (4, 2)] {
        let (mut net, ir) = critic(&format!("self_attention(reduction: {reduction}, heads: {heads})"), &device);
        let checker = ir.layers().iter().find(|l| l.name == "self_attention").unwrap().params;
        let a = attentions(&mut net.body).pop().unwrap();
        assert_eq!(a.num_params() as u64, checker, "reduction {reduction}, heads {heads}");
        assert_eq!(net.num_params() as u64, ir.param_count().unwrap());
    }
}

#[test]
fn self_attention_trains_in_g_and_d() {
    let _rng = serial();
    let dir = common::temp("attention");
    common::write_mnist(&dir, 16);
    let text = format!("{}train {{ batch: 4 steps: 2 }}\n", text("self_attention(reduction: 2)"));
    let opts =
        ganc_runtime::run::TrainOptions { data_dir: Some(dir.clone()), ..ganc_runtime::run::TrainOptions::default() };
    let (result, _) = common::run(&text.replace("split: test", "split: train"), &dir.join("run"), opts);
    result.expect("trains");
}
