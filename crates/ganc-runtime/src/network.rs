//! A network as a tree of burn modules, built at run time from the checked IR.

use crate::layers::reparam::Weighted;
use crate::layers::{
    Activation, Add, AvgPool, Concat, Ctx, Decay, Dropout, Flatten, GaussianNoise, Layer, Op, OpKind, Reparametrized,
    Reshape, SampleNorm, Upsample,
};
use crate::value::Value;
use crate::walk::{walk, Flow, Observer};
use burn::module::Module;
use burn::nn::conv::{Conv2dConfig, ConvTranspose2dConfig};
use burn::nn::{
    BatchNormConfig, EmbeddingConfig, GroupNormConfig, Initializer, InstanceNormConfig, LayerNormConfig, LinearConfig,
    PaddingConfig2d,
};
use burn::tensor::Device;
use ganc_check::ir::{self, Shape};
use ganc_check::value::Const;
use ganc_diagnostics::Span;
use std::collections::HashMap;

/// One node of a network body.
// Nodes are built once per run and held in vectors; boxing the large layer variant would
// only add an indirection to every forward pass (and `Module` is not derived through `Box`).
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Node {
    /// A layer.
    Layer(Layer),
    /// `main(x) + skip(x)`.
    Residual(Residual),
    /// A named value.
    Let(LetNode),
    /// An expanded block.
    Block(BlockNode),
}

/// `residual { main } skip { skip }`.
#[derive(Module, Debug)]
pub struct Residual {
    /// Main path.
    pub main: Vec<Node>,
    /// Shortcut; empty is the identity.
    pub skip: Vec<Node>,
}

/// `let name` or `let name = from { body }`.
#[derive(Module, Debug)]
pub struct LetNode {
    /// The bound name.
    pub name: String,
    /// The source value, or the current value when absent.
    pub from: Option<String>,
    /// The pipeline from `from`.
    pub body: Vec<Node>,
}

/// An expanded block call.
#[derive(Module, Debug)]
pub struct BlockNode {
    /// The block's name.
    pub name: String,
    /// Its body.
    pub body: Vec<Node>,
}

/// A whole network.
#[derive(Module, Debug)]
pub struct Net {
    /// Input names, in order; the first is where the body starts.
    pub inputs: Vec<String>,
    /// The body.
    pub body: Vec<Node>,
}

impl Default for Net {
    /// An empty network (a placeholder while an optimizer owns the real one).
    fn default() -> Self {
        Net { inputs: Vec::new(), body: Vec::new() }
    }
}

impl Net {
    /// Runs the network on its inputs (in the order of [`Net::inputs`]).
    pub fn forward(&self, inputs: Vec<Value>, ctx: &Ctx) -> Value {
        walk(self, inputs, ctx, &mut ()).output.value
    }

    /// The per-sample output shape of every layer, depth first in source order: what the checker
    /// inferred, measured (the runtime's tests compare the two).
    pub fn trace(&self, inputs: Vec<Value>, ctx: &Ctx) -> Vec<Vec<usize>> {
        /// Records each layer's output shape.
        struct Shapes(Vec<Vec<usize>>);
        impl Observer<'_> for Shapes {
            fn layer(&mut self, layer: &Layer, input: Flow, second: Option<Flow>, _: usize, ctx: &Ctx) -> Value {
                let out = layer.forward(input.value, second.map(|s| s.value), ctx);
                self.0.push(out.per_sample());
                out
            }

            fn residual(&mut self, _: usize, _: usize, _: usize) {}
        }
        let mut shapes = Shapes(Vec::new());
        walk(self, inputs, ctx, &mut shapes);
        shapes.0
    }

    /// Runs the network and also returns every named value (for feature matching).
    pub fn forward_with(&self, inputs: Vec<Value>, ctx: &Ctx) -> (Value, HashMap<String, Value>) {
        let walked = walk(self, inputs, ctx, &mut ());
        (walked.output.value, walked.named.into_iter().map(|(name, flow)| (name, flow.value)).collect())
    }
}

/// A construct the runtime does not lower yet, with where it is written.
#[derive(Clone, Debug, PartialEq)]
pub struct Unsupported {
    /// What it is (`self_attention`, `spectral conv`, `grow` stages, ...).
    pub what: String,
    /// Where.
    pub span: Span,
}

/// Lowers a checked network onto `device`, or lists what the runtime cannot lower.
pub fn lower(net: &ir::Network, device: &Device) -> Result<Net, Vec<Unsupported>> {
    let mut missing = Vec::new();
    let body = lower_nodes(&net.body, device, &mut missing);
    if missing.is_empty() {
        Ok(Net { inputs: net.inputs.clone(), body })
    } else {
        Err(missing)
    }
}

fn lower_nodes(nodes: &[ir::Node], device: &Device, missing: &mut Vec<Unsupported>) -> Vec<Node> {
    let mut out = Vec::new();
    for node in nodes {
        match node {
            ir::Node::Layer(l) => {
                if let Some(layer) = lower_layer(l, device, missing).and_then(|layer| wrap(layer, l, missing)) {
                    out.push(Node::Layer(layer));
                }
            }
            ir::Node::Let { name, from, body, .. } => out.push(Node::Let(LetNode {
                name: name.clone(),
                from: from.clone(),
                body: lower_nodes(body, device, missing),
            })),
            ir::Node::Block { name, body, .. } => {
                out.push(Node::Block(BlockNode { name: name.clone(), body: lower_nodes(body, device, missing) }))
            }
            ir::Node::Residual { main, skip, .. } => out.push(Node::Residual(Residual {
                main: lower_nodes(main, device, missing),
                skip: lower_nodes(skip, device, missing),
            })),
            ir::Node::Stage { grows, span, .. } => missing.push(Unsupported {
                what: format!("progressive `{}` stages", if *grows { "grow" } else { "shrink" }),
                span: *span,
            }),
        }
    }
    out
}

fn dims(shape: &Shape) -> Vec<usize> {
    shape.dims().map(|d| d.iter().map(|x| *x as usize).collect()).unwrap_or_default()
}

fn initializer(args: &ganc_check::args::Args) -> Option<Initializer> {
    match args.name("init") {
        Some("normal") => Some(Initializer::Normal { mean: 0.0, std: 0.02 }),
        Some("xavier") => Some(Initializer::XavierUniform { gain: 1.0 }),
        Some("kaiming") => Some(Initializer::KaimingNormal { gain: std::f64::consts::SQRT_2, fan_out_only: false }),
        Some("orthogonal") => Some(Initializer::Orthogonal { gain: 1.0 }),
        _ => None,
    }
}

/// `layer` under the wrappers written before it (`spectral conv(...)`, `equalized linear(...)`).
fn wrap(layer: Layer, l: &ir::Layer, missing: &mut Vec<Unsupported>) -> Option<Layer> {
    let Some(first) = l.wrappers.first() else { return Some(layer) };
    let Ok(weighted) = Weighted::of(layer) else {
        missing.push(Unsupported { what: format!("`{first}` on a layer without weights"), span: l.span });
        return None;
    };
    let has = |name: &str| l.wrappers.iter().any(|w| w == name);
    Some(Layer::Reparametrized(Reparametrized::new(weighted, has("spectral").then_some(1), has("equalized"))))
}

fn lower_layer(l: &ir::Layer, device: &Device, missing: &mut Vec<Unsupported>) -> Option<Layer> {
    let a = &l.args;
    let input = dims(&l.input);
    let int = |n: &str| a.int(n).max(0) as usize;
    let bias = a.get("bias") != Some(&Const::Bool(false));
    let op = |kind: OpKind| Some(Layer::Op(Op { kind }));
    match l.name {
        "linear" => {
            let mut c = LinearConfig::new(input[0], int("features")).with_bias(bias);
            if let Some(i) = initializer(a) {
                c = c.with_initializer(i);
            }
            Some(Layer::Linear(c.init(device)))
        }
        "conv" => {
            let (k, s, p) = (int("kernel"), int("stride"), int("padding"));
            let mut c = Conv2dConfig::new([input[0], int("channels")], [k, k])
                .with_stride([s, s])
                .with_padding(PaddingConfig2d::Explicit(p, p, p, p))
                .with_bias(bias);
            if let Some(i) = initializer(a) {
                c = c.with_initializer(i);
            }
            Some(Layer::Conv(c.init(device)))
        }
        "deconv" => {
            let (k, s, p, op_) = (int("kernel"), int("stride"), int("padding"), int("output_padding"));
            let mut c = ConvTranspose2dConfig::new([input[0], int("channels")], [k, k])
                .with_stride([s, s])
                .with_padding([p, p])
                .with_padding_out([op_, op_])
                .with_bias(bias);
            if let Some(i) = initializer(a) {
                c = c.with_initializer(i);
            }
            Some(Layer::Deconv(c.init(device)))
        }
        "batchnorm" => Some(Layer::BatchNorm(
            BatchNormConfig::new(input[0]).with_momentum(a.float("momentum")).with_epsilon(a.float("eps")).init(device),
        )),
        "layernorm" => Some(Layer::LayerNorm(SampleNorm {
            norm: LayerNormConfig::new(input.iter().product()).with_epsilon(a.float("eps")).init(device),
            eps: a.float("eps"),
        })),
        "instancenorm" => Some(Layer::InstanceNorm(
            InstanceNormConfig::new(input[0])
                .with_epsilon(a.float("eps"))
                .with_affine(a.get("affine") != Some(&Const::Bool(false)))
                .init(device),
        )),
        "groupnorm" => Some(Layer::GroupNorm(
            GroupNormConfig::new(int("groups"), input[0]).with_epsilon(a.float("eps")).init(device),
        )),
        "embedding" => {
            let classes = match &l.input {
                Shape::Labels(k) => *k as usize,
                _ => 1,
            };
            let mut c = EmbeddingConfig::new(classes, int("dim"));
            if let Some(i) = initializer(a) {
                c = c.with_initializer(i);
            }
            Some(Layer::Embedding(c.init(device)))
        }
        "relu" => op(OpKind::Activation(Activation::Relu)),
        "leaky_relu" => op(OpKind::Activation(Activation::LeakyRelu(a.float("slope")))),
        "tanh" => op(OpKind::Activation(Activation::Tanh)),
        "sigmoid" => op(OpKind::Activation(Activation::Sigmoid)),
        "gelu" => op(OpKind::Activation(Activation::Gelu)),
        "silu" => op(OpKind::Activation(Activation::Silu)),
        "upsample" => {
            op(OpKind::Upsample(Upsample { scale: int("scale"), bilinear: a.name("mode") == Some("bilinear") }))
        }
        "avgpool" | "downsample" => op(OpKind::AvgPool(AvgPool(int("kernel")))),
        "flatten" => op(OpKind::Flatten(Flatten)),
        "reshape" => match a.get("dims") {
            Some(Const::Ints(d)) => op(OpKind::Reshape(Reshape(d.iter().map(|x| *x as usize).collect()))),
            _ => None,
        },
        "dropout" => op(OpKind::Dropout(Dropout {
            p: a.float("p"),
            keep_at_sample: a.get("keep_at_sample") == Some(&Const::Bool(true)),
        })),
        "gaussian_noise" => op(OpKind::GaussianNoise(GaussianNoise {
            std: a.float("std"),
            decay: match a.get("decay") {
                Some(Const::Schedule(kind, steps)) => Some(Decay { kind: kind.clone(), steps: (*steps).max(1) as u64 }),
                _ => None,
            },
        })),
        "concat" | "add" => {
            let value = l.second.as_ref().map(|(n, _)| n.clone()).unwrap_or_default();
            op(if l.name == "concat" { OpKind::Concat(Concat { value }) } else { OpKind::Add(Add { value }) })
        }
        other => {
            missing.push(Unsupported { what: format!("the layer `{other}`"), span: l.span });
            None
        }
    }
}
