//! The gradient of a discriminator's output with respect to its input, built from ordinary,
//! differentiable burn operations, so that a penalty on it trains with one `backward()`.
//!
//! burn's autodiff is first-order only: `x.grad(&grads)` is a constant, and a loss made from it
//! cannot be differentiated again. But ganc knows its closed set of layers, so each layer that
//! may stand in a penalized critic gets its vector-Jacobian product written by hand with tensor
//! operations (a strided convolution's input gradient is the transposed convolution with the
//! same weight, a linear layer's is the product with the transposed weight, an activation's is
//! the incoming gradient times its derivative, ...). [`output_and_input_grad`] runs D forward,
//! keeping each layer's input, then these products in reverse: the result is grad_x sum(D(x))
//! as an autodiff graph of D's parameters, exactly as PyTorch's `create_graph=True` builds it.

use crate::layers::{Ctx, Layer, Op, OpKind, SampleNorm};
use crate::network::{Net, Node};
use crate::value::Value;
use burn::nn::PaddingConfig2d;
use burn::tensor::module::{avg_pool2d, conv2d, conv_transpose2d};
use burn::tensor::ops::{AvgPoolOptions, ConvOptions, ConvTransposeOptions};
use burn::tensor::Tensor;
use std::collections::HashMap;

/// What the reverse pass needs of one node of the forward pass.
enum Step<'a> {
    /// A layer, its input and the second value it read (boxed: tensors are large).
    Layer(Box<LayerStep<'a>>),
    /// `residual`: the two paths' steps.
    Residual { main: Vec<Step<'a>>, skip: Vec<Step<'a>> },
    /// `let name` (of the current value) or `let name = from { body }`.
    Let { name: &'a str, from: Option<&'a str>, body: Vec<Step<'a>> },
    /// An expanded block.
    Block(Vec<Step<'a>>),
}

/// A layer of the forward pass and what it read.
struct LayerStep<'a> {
    layer: &'a Layer,
    input: Value,
    second: Option<(String, Value)>,
}

/// Runs `net` on `inputs` and returns its output and the gradient of the output's sum over the
/// batch with respect to the first input (per sample, the gradient of that sample's score:
/// ganc's critics mix no samples when a penalty applies). Both are differentiable.
pub fn output_and_input_grad(net: &Net, inputs: Vec<Value>, ctx: &Ctx) -> (Value, Value) {
    let mut env: HashMap<String, Value> = net.inputs.iter().cloned().zip(inputs).collect();
    let x = env.get(&net.inputs[0]).cloned().expect("a network has an input");
    let (out, steps) = forward(&net.body, x.clone(), &mut env, ctx);
    let ones = out.clone().map(|t| t.ones_like(), |t| t.ones_like());
    let mut grads = HashMap::new();
    let mut gx = backward(&steps, ones, &mut grads);
    if let Some(more) = grads.remove(&net.inputs[0]) {
        gx = add(gx, more);
    }
    (out, gx.reshape(&x.per_sample()))
}

fn forward<'a>(nodes: &'a [Node], mut x: Value, env: &mut HashMap<String, Value>, ctx: &Ctx) -> (Value, Vec<Step<'a>>) {
    let mut steps = Vec::with_capacity(nodes.len());
    for node in nodes {
        match node {
            Node::Layer(layer) => {
                let second = match layer {
                    Layer::Op(Op { kind: OpKind::Concat(name) | OpKind::Add(name) }) => {
                        env.get(name).cloned().map(|v| (name.clone(), v))
                    }
                    _ => None,
                };
                let out = layer.forward(x.clone(), second.as_ref().map(|(_, v)| v.clone()), ctx);
                steps.push(Step::Layer(Box::new(LayerStep { layer, input: x, second })));
                x = out;
            }
            Node::Residual(r) => {
                let (a, main) = forward(&r.main, x.clone(), env, ctx);
                let (b, skip) = forward(&r.skip, x, env, ctx);
                x = add(a, b);
                steps.push(Step::Residual { main, skip });
            }
            Node::Let(l) => {
                let (value, body) = match &l.from {
                    None => (x.clone(), Vec::new()),
                    Some(from) => {
                        let start = env.get(from).cloned().expect("the checker resolved every name");
                        forward(&l.body, start, env, ctx)
                    }
                };
                env.insert(l.name.clone(), value);
                steps.push(Step::Let { name: &l.name, from: l.from.as_deref(), body });
            }
            Node::Block(b) => {
                let (out, body) = forward(&b.body, x, env, ctx);
                x = out;
                steps.push(Step::Block(body));
            }
        }
    }
    (x, steps)
}

/// The gradient with respect to the input of `steps`, given the gradient `g` of their output;
/// gradients reaching named values collect in `grads`.
fn backward(steps: &[Step<'_>], mut g: Value, grads: &mut HashMap<String, Value>) -> Value {
    for step in steps.iter().rev() {
        g = match step {
            Step::Layer(step) => layer_vjp(step, g, grads),
            Step::Residual { main, skip } => {
                let a = backward(main, g.clone(), grads);
                let b = backward(skip, g, grads);
                add(a, b)
            }
            Step::Let { name, from: None, .. } => match grads.remove(*name) {
                Some(more) => add(g, more),
                None => g,
            },
            Step::Let { name, from: Some(from), body } => {
                if let Some(gn) = grads.remove(*name) {
                    let gf = backward(body, gn, grads);
                    accumulate(grads, from, gf);
                }
                g
            }
            Step::Block(body) => backward(body, g, grads),
        };
    }
    g
}

fn accumulate(grads: &mut HashMap<String, Value>, name: &str, g: Value) {
    if matches!(g, Value::Labels(_)) {
        return;
    }
    let total = match grads.remove(name) {
        Some(prev) => add(prev, g),
        None => g,
    };
    grads.insert(name.to_string(), total);
}

fn add(a: Value, b: Value) -> Value {
    match (a, b) {
        (Value::Image(a), Value::Image(b)) => Value::Image(a + b),
        (Value::Labels(_), other) | (other, Value::Labels(_)) => other,
        (a, b) => Value::Flat(a.flat() + b.flat()),
    }
}

/// `g` times the derivative `d` of an element-wise function, both of the input's kind.
fn times(g: Value, d: Value) -> Value {
    match (g, d) {
        (Value::Image(g), Value::Image(d)) => Value::Image(g * d),
        (g, d) => Value::Flat(g.flat() * d.flat()),
    }
}

/// The derivative of an element-wise activation at `x`, as a value of `x`'s kind.
fn derivative(kind: &OpKind, x: &Value) -> Value {
    let f2 = |t: Tensor<2>| activation_derivative(kind, t);
    let f4 = |t: Tensor<4>| activation_derivative(kind, t);
    x.clone().map(f2, f4)
}

fn activation_derivative<const D: usize>(kind: &OpKind, x: Tensor<D>) -> Tensor<D> {
    use burn::tensor::activation::{sigmoid, tanh};
    match kind {
        OpKind::Relu => x.greater_elem(0.0).float(),
        OpKind::LeakyRelu(s) => x.greater_elem(0.0).float() * (1.0 - *s) + *s,
        OpKind::Tanh => tanh(x).powi_scalar(2).neg() + 1.0,
        OpKind::Sigmoid => {
            let s = sigmoid(x);
            s.clone() * (s.neg() + 1.0)
        }
        // gelu(x) = x Phi(x): Phi(x) + x phi(x).
        OpKind::Gelu => {
            let cdf = ((x.clone() / std::f64::consts::SQRT_2).erf() + 1.0) * 0.5;
            let pdf = (x.clone().powi_scalar(2) * -0.5).exp() / (2.0 * std::f64::consts::PI).sqrt();
            cdf + x * pdf
        }
        // silu(x) = x s(x): s + x s (1 - s).
        OpKind::Silu => {
            let s = sigmoid(x.clone());
            s.clone() + x * s.clone() * (s.neg() + 1.0)
        }
        _ => x.ones_like(),
    }
}

/// The input gradient of normalizing `x` `[B, G, N]` over its last axis, given the gradient
/// `gy` of the normalized values (before scale and shift).
fn norm_vjp(x: Tensor<3>, gy: Tensor<3>, eps: f64) -> Tensor<3> {
    let mean = x.clone().mean_dim(2);
    let var = x.clone().var_bias(2);
    let std = (var + eps).sqrt();
    let xhat = (x - mean) / std.clone();
    let m1 = gy.clone().mean_dim(2);
    let m2 = (gy.clone() * xhat.clone()).mean_dim(2);
    (gy - m1 - xhat * m2) / std
}

/// Group normalization's input gradient on an image `[B, C, H, W]` with `groups` groups and an
/// optional per-channel scale.
fn group_norm_vjp(x: Tensor<4>, g: Tensor<4>, groups: usize, gamma: Option<Tensor<1>>, eps: f64) -> Tensor<4> {
    let [b, c, h, w] = x.dims();
    let g = match gamma {
        Some(gamma) => g * gamma.reshape([1, c, 1, 1]),
        None => g,
    };
    let n = c / groups * h * w;
    norm_vjp(x.reshape([b, groups, n]), g.reshape([b, groups, n]), eps).reshape([b, c, h, w])
}

/// The input gradient of one layer of the forward pass, given its output's gradient `g`.
fn layer_vjp(step: &LayerStep<'_>, g: Value, grads: &mut HashMap<String, Value>) -> Value {
    let LayerStep { layer, input, .. } = step;
    let shape = input.per_sample();
    match layer {
        Layer::Linear(m) => Value::Flat(g.flat().matmul(m.weight.val().transpose())).reshape(&shape),
        Layer::Conv(m) => {
            let [_, _, h, w] = input.clone().image().dims();
            let [kh, kw] = m.kernel_size;
            let (ph, pw) = match m.padding {
                PaddingConfig2d::Explicit(top, left, _, _) => (top, left),
                _ => (0, 0),
            };
            let out_pad = |size: usize, p: usize, k: usize, d: usize, s: usize| (size + 2 * p - d * (k - 1) - 1) % s;
            let options = ConvTransposeOptions::new(
                m.stride,
                [ph, pw],
                [out_pad(h, ph, kh, m.dilation[0], m.stride[0]), out_pad(w, pw, kw, m.dilation[1], m.stride[1])],
                m.dilation,
                m.groups,
            );
            Value::Image(conv_transpose2d(g.image(), m.weight.val(), None, options))
        }
        Layer::Deconv(m) => {
            let options = ConvOptions::new(m.stride, m.padding, m.dilation, m.groups);
            Value::Image(conv2d(g.image(), m.weight.val(), None, options))
        }
        Layer::LayerNorm(SampleNorm { norm, eps }) => {
            let x = input.clone().flat();
            let [b, n] = x.dims();
            let gy = g.flat() * norm.gamma.val().reshape([1, n]);
            Value::Flat(norm_vjp(x.reshape([b, 1, n]), gy.reshape([b, 1, n]), *eps).reshape([b, n])).reshape(&shape)
        }
        Layer::InstanceNorm(m) => Value::Image(group_norm_vjp(
            input.clone().image(),
            g.image(),
            m.num_channels,
            m.gamma.as_ref().map(|p| p.val()),
            m.epsilon,
        )),
        Layer::GroupNorm(m) => Value::Image(group_norm_vjp(
            input.clone().image(),
            g.image(),
            m.num_groups,
            m.gamma.as_ref().map(|p| p.val()),
            m.epsilon,
        )),
        // The plan refuses batch norm in a penalized critic; embeddings read labels, which
        // have no gradient.
        Layer::BatchNorm(_) | Layer::Embedding(_) => g,
        Layer::Op(op) => op_vjp(&op.kind, step, shape, g, grads),
    }
}

/// The input gradient of a weightless layer whose input has per-sample `shape`.
fn op_vjp(
    kind: &OpKind,
    step: &LayerStep<'_>,
    shape: Vec<usize>,
    g: Value,
    grads: &mut HashMap<String, Value>,
) -> Value {
    let LayerStep { input, second, .. } = step;
    match kind {
        OpKind::Relu | OpKind::LeakyRelu(_) | OpKind::Tanh | OpKind::Sigmoid | OpKind::Gelu | OpKind::Silu => {
            times(g, derivative(kind, input))
        }
        // Nearest upsampling copies each pixel to a k x k block: its gradient sums the block.
        OpKind::Upsample { scale, .. } => {
            let k = *scale;
            let pooled = avg_pool2d(g.image(), AvgPoolOptions::new([k, k]).with_stride([k, k]));
            Value::Image(pooled * (k * k) as f64)
        }
        // Average pooling over k x k blocks spreads each gradient evenly over its block.
        OpKind::AvgPool(k) => {
            let g = g.image();
            let [b, c, h, w] = g.dims();
            let spread: Tensor<6> = g.reshape([b, c, h, 1, w, 1]).expand([b, c, h, *k, w, *k]);
            Value::Image(spread.reshape([b, c, h * k, w * k]) / (k * k) as f64)
        }
        OpKind::Flatten | OpKind::Reshape(_) | OpKind::GaussianNoise { .. } | OpKind::Dropout { .. } => {
            g.reshape(&shape)
        }
        OpKind::Add(_) => {
            if let Some((name, _)) = second {
                accumulate(grads, name, g.clone());
            }
            g
        }
        OpKind::Concat(_) => {
            let Some((name, other)) = second else { return g };
            let mine = shape[0];
            match g {
                Value::Image(t) => {
                    let [b, c, h, w] = t.dims();
                    let a = t.clone().narrow(1, 0, mine);
                    let rest = t.narrow(1, mine, c - mine);
                    let theirs = match other {
                        Value::Image(_) => Value::Image(rest),
                        // A vector tiled over the image: its gradient sums over the positions.
                        _ => Value::Flat(rest.sum_dims(&[2, 3]).reshape([b, c - mine])),
                    };
                    accumulate(grads, name, theirs);
                    match input {
                        // The input was the tiled vector.
                        Value::Flat(_) => Value::Flat(a.sum_dims(&[2, 3]).reshape([b, mine])),
                        _ => Value::Image(a.reshape([b, mine, h, w])),
                    }
                }
                flat => {
                    let t = flat.flat();
                    let n = t.dims()[1];
                    let x_features: usize = shape.iter().product();
                    accumulate(grads, name, Value::Flat(t.clone().narrow(1, x_features, n - x_features)));
                    Value::Flat(t.narrow(1, 0, x_features)).reshape(&shape)
                }
            }
        }
    }
}
