//! A network as a tree of burn modules, built at run time from the checked IR.

use crate::layers::reparam::{Weighted, Wrappers};
use crate::layers::{
    Activation, Adain, Add, Augment, AvgPool, Concat, ConditionalBatchNorm, Constant, Ctx, Decay, Dropout, Flatten,
    GaussianNoise, GlobalPool, Layer, MaxPool, MinibatchDiscrimination, MinibatchStddev, NoiseInjection, Op, OpKind,
    PixelNorm, PixelShuffle, Projection, Reparametrized, Reshape, SampleNorm, SelfAttention, Upsample,
    VirtualBatchNorm,
};
pub use crate::reference::Reference;
use crate::styles::{averages, StyleAverage};
use crate::value::Value;
use crate::walk::{walk, Flow, Observer};
use burn::module::{Module, Param};
use burn::nn::conv::{Conv2dConfig, ConvTranspose2dConfig};
use burn::nn::{
    BatchNormConfig, EmbeddingConfig, GroupNormConfig, Initializer, InstanceNormConfig, LayerNormConfig, LinearConfig,
    PaddingConfig2d,
};
use burn::tensor::{Device, Tensor};
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
    /// A network's progressive stages, in source order.
    Stages(Stages),
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

/// The consecutive `grow` (or `shrink`) stages of a network, every stage's modules built from
/// the start; which of them run, and how the newest blends in, is the [`Ctx`]'s growth
/// ([`crate::walk`] runs them).
#[derive(Module, Debug)]
pub struct Stages {
    /// `grow` stages (G, lowest resolution first) or `shrink` stages (D, highest first).
    #[module(skip)]
    pub grows: bool,
    /// A stacked generator's stages (StackGAN++): every stage runs, each stage's image is
    /// finished by the layers after the stages, and the output is all of them
    /// ([`Value::Stacked`]).
    #[module(skip)]
    pub stacked: bool,
    /// The stages, in source order.
    pub stages: Vec<Stage>,
    /// Between neighbouring resolutions: nearest 2x upsampling of the previous stage's image
    /// (G) or 2x2 average pooling of the input image (D).
    pub resample: Layer,
}

/// One progressive stage.
#[derive(Module, Debug)]
pub struct Stage {
    /// The stage's layers.
    pub body: Vec<Node>,
    /// Its `to_rgb` (G) or `from_rgb` (D) head.
    pub head: Vec<Node>,
}

/// A whole network.
#[derive(Module, Debug)]
pub struct Net {
    /// Input names, in order; the first is where the body starts.
    pub inputs: Vec<String>,
    /// The body.
    pub body: Vec<Node>,
    /// The moving averages of the style vectors `adain` layers read.
    pub styles: Vec<StyleAverage>,
    /// The reference batch of its `virtual_batchnorm` layers, when it has any.
    pub reference: Option<Reference>,
    /// A multi-scale discriminator's networks at its coarser scales ([`crate::scales`]); empty
    /// for one scale.
    pub coarser: Vec<Net>,
}

impl Default for Net {
    /// An empty network (a placeholder while an optimizer owns the real one).
    fn default() -> Self {
        Net { inputs: Vec::new(), body: Vec::new(), styles: Vec::new(), reference: None, coarser: Vec::new() }
    }
}

/// Calls `f` on every layer of `nodes`, depth first in source order (a stage's body before its
/// head).
pub fn for_each_layer<'n>(nodes: &'n [Node], f: &mut impl FnMut(&'n Layer)) {
    for node in nodes {
        match node {
            Node::Layer(layer) => f(layer),
            Node::Residual(r) => {
                for_each_layer(&r.main, f);
                for_each_layer(&r.skip, f);
            }
            Node::Let(l) => for_each_layer(&l.body, f),
            Node::Block(b) => for_each_layer(&b.body, f),
            Node::Stages(s) => s.stages.iter().for_each(|st| {
                for_each_layer(&st.body, f);
                for_each_layer(&st.head, f);
            }),
        }
    }
}

/// [`for_each_layer`] with each layer mutable.
pub fn for_each_layer_mut(nodes: &mut [Node], f: &mut impl FnMut(&mut Layer)) {
    for node in nodes {
        match node {
            Node::Layer(layer) => f(layer),
            Node::Residual(r) => {
                for_each_layer_mut(&mut r.main, f);
                for_each_layer_mut(&mut r.skip, f);
            }
            Node::Let(l) => for_each_layer_mut(&mut l.body, f),
            Node::Block(b) => for_each_layer_mut(&mut b.body, f),
            Node::Stages(s) => s.stages.iter_mut().for_each(|st| {
                for_each_layer_mut(&mut st.body, f);
                for_each_layer_mut(&mut st.head, f);
            }),
        }
    }
}

impl Net {
    /// Runs the network on its inputs (in the order of [`Net::inputs`]); a multi-scale
    /// discriminator runs every scale.
    pub fn forward(&self, inputs: Vec<Value>, ctx: &Ctx) -> Value {
        match self.is_multi_scale() {
            true => self.forward_scales(inputs, ctx),
            false => self.forward_one(inputs, ctx),
        }
    }

    /// Makes its `grow` stages a stacked generator's (StackGAN++): every pass runs every stage
    /// and outputs each stage's image ([`Value::Stacked`]).
    pub fn stack_stages(&mut self) {
        for node in &mut self.body {
            if let Node::Stages(s) = node {
                s.stacked = s.grows;
            }
        }
    }

    /// Runs this network's own body (one scale) on its inputs.
    pub(crate) fn forward_one(&self, inputs: Vec<Value>, ctx: &Ctx) -> Value {
        self.strip(walk(self, self.with_reference(inputs), ctx, &mut ()).output.value)
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

            fn blend(&mut self, _: usize, _: usize, _: f64, _: usize) {}
        }
        let mut shapes = Shapes(Vec::new());
        walk(self, self.with_reference(inputs), ctx, &mut shapes);
        shapes.0
    }

    /// Runs the network and also returns every named value (for feature matching; a
    /// multi-scale discriminator's are those of its first scale).
    ///
    /// Conditioning augmentation's KL term, when the network has such layers, is among them
    /// under [`AUGMENTATION_KL`], as a `[1, 1]` vector.
    pub fn forward_with(&self, inputs: Vec<Value>, ctx: &Ctx) -> (Value, HashMap<String, Value>) {
        let scales = self.is_multi_scale().then(|| inputs.clone());
        let first = match &scales {
            Some(inputs) => crate::scales::pooled(inputs, 0, ctx),
            None => inputs,
        };
        let mut kl = AugmentationKl(None);
        let walked = walk(self, self.with_reference(first), ctx, &mut kl);
        let mut named: HashMap<String, Value> =
            walked.named.into_iter().map(|(name, flow)| (name, self.strip(flow.value))).collect();
        if let Some(kl) = kl.0 {
            named.insert(AUGMENTATION_KL.into(), Value::Flat(kl.unsqueeze_dim(1)));
        }
        match scales {
            Some(inputs) => (self.forward_scales(inputs, ctx), named),
            None => (self.strip(walked.output.value), named),
        }
    }
}

/// The name under which [`Net::forward_with`] returns the weighted KL term of the network's
/// `conditioning_augmentation` layers: not a name a `.gan` file can bind (names have no dots).
pub const AUGMENTATION_KL: &str = "conditioning_augmentation.kl";

/// The plain forward pass, summing the KL terms of conditioning augmentation on the way.
struct AugmentationKl(Option<Tensor<1>>);

impl Observer<'_> for AugmentationKl {
    fn layer(&mut self, layer: &Layer, input: Flow, second: Option<Flow>, _: usize, ctx: &Ctx) -> Value {
        if let Layer::Augment(a) = layer {
            let kl = a.kl(input.value.clone());
            self.0 = Some(match self.0.take() {
                Some(sum) => sum + kl,
                None => kl,
            });
        }
        layer.forward(input.value, second.map(|s| s.value), ctx)
    }

    fn residual(&mut self, _: usize, _: usize, _: usize) {}

    fn blend(&mut self, _: usize, _: usize, _: f64, _: usize) {}
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
    let coarser = net
        .coarser
        .iter()
        .map(|body| Net {
            inputs: net.inputs.clone(),
            body: lower_nodes(body, device, &mut missing),
            styles: Vec::new(),
            reference: None,
            coarser: Vec::new(),
        })
        .collect();
    if missing.is_empty() {
        Ok(Net { inputs: net.inputs.clone(), body, styles: averages(net, device), reference: None, coarser })
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
            ir::Node::Stage { grows, body, head, .. } => {
                let stage =
                    Stage { body: lower_nodes(body, device, missing), head: lower_nodes(head, device, missing) };
                match out.last_mut() {
                    Some(Node::Stages(s)) => s.stages.push(stage),
                    _ => {
                        let resample = if *grows {
                            OpKind::Upsample(Upsample { scale: 2, bilinear: false })
                        } else {
                            OpKind::AvgPool(AvgPool(2))
                        };
                        out.push(Node::Stages(Stages {
                            grows: *grows,
                            stacked: false,
                            stages: vec![stage],
                            resample: Layer::Op(Op { kind: resample }),
                        }))
                    }
                }
            }
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

/// The name of the labels a conditional layer reads, and how many classes they have.
fn second_labels(l: &ir::Layer) -> (String, usize) {
    match &l.second {
        Some((name, Shape::Labels(k))) => (name.clone(), *k as usize),
        Some((name, _)) => (name.clone(), 1),
        None => (String::new(), 1),
    }
}

/// `layer` under the wrappers written before it (`spectral conv(...)`, `equalized linear(...)`,
/// `weight_norm linear(...)`).
fn wrap(layer: Layer, l: &ir::Layer, missing: &mut Vec<Unsupported>) -> Option<Layer> {
    let Some(first) = l.wrappers.first() else { return Some(layer) };
    let Ok(weighted) = Weighted::of(layer) else {
        missing.push(Unsupported { what: format!("`{first}` on a layer without weights"), span: l.span });
        return None;
    };
    let has = |name: &str| l.wrappers.iter().any(|w| w == name);
    let how = Wrappers {
        spectral: has("spectral").then_some(1),
        equalized: has("equalized"),
        weight_norm: has("weight_norm"),
    };
    Some(Layer::Reparametrized(Reparametrized::new(weighted, how)))
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
        "pixelnorm" => op(OpKind::PixelNorm(PixelNorm { eps: a.float("eps") })),
        "minibatch_stddev" => op(OpKind::MinibatchStddev(MinibatchStddev { group: int("group").max(1) })),
        "concat" | "add" => {
            let value = l.second.as_ref().map(|(n, _)| n.clone()).unwrap_or_default();
            op(if l.name == "concat" { OpKind::Concat(Concat { value }) } else { OpKind::Add(Add { value }) })
        }
        "conditional_batchnorm" => {
            let (labels, classes) = second_labels(l);
            Some(Layer::ConditionalBatchNorm(ConditionalBatchNorm::new(
                input[0],
                classes,
                a.float("momentum"),
                a.float("eps"),
                labels,
                device,
            )))
        }
        "projection" => {
            let (labels, classes) = second_labels(l);
            Some(Layer::Projection(Projection::new(input[0], classes, labels, device)))
        }
        "conditioning_augmentation" => {
            let dim = int("dim");
            Some(Layer::Augment(Augment {
                moments: LinearConfig::new(input[0], 2 * dim).init(device),
                dim,
                weight: a.float("kl"),
            }))
        }
        "constant" => Some(Layer::Constant(Constant::new([int("channels"), int("height"), int("width")], device))),
        "noise_injection" => Some(Layer::NoiseInjection(NoiseInjection::new(input[0], device))),
        "adain" => {
            let (style, dim) = match &l.second {
                Some((name, shape)) => (name.clone(), dims(shape).first().copied().unwrap_or(1)),
                None => (String::new(), 1),
            };
            Some(Layer::Adain(Adain::new(input[0], dim, style, device)))
        }
        "pixel_shuffle" => op(OpKind::PixelShuffle(PixelShuffle(int("factor")))),
        "maxpool" => op(OpKind::MaxPool(MaxPool(int("kernel")))),
        "global_sum_pool" | "global_avg_pool" => {
            op(OpKind::GlobalPool(GlobalPool { mean: l.name == "global_avg_pool" }))
        }
        "self_attention" => lower_attention(l, input[0], device, missing),
        "virtual_batchnorm" => Some(Layer::VirtualBatchNorm(VirtualBatchNorm {
            gamma: Param::from_tensor(Tensor::ones([input[0]], device)),
            beta: Param::from_tensor(Tensor::zeros([input[0]], device)),
            reference: int("reference"),
            rows: 0,
            eps: a.float("eps"),
        })),
        "minibatch_discrimination" => Some(Layer::MinibatchDiscrimination(MinibatchDiscrimination {
            t: Initializer::Normal { mean: 0.0, std: 0.05 }.init([input[0], int("kernels") * int("dims")], device),
            kernels: int("kernels"),
            dims: int("dims"),
        })),
        other => {
            missing.push(Unsupported { what: format!("the layer `{other}`"), span: l.span });
            None
        }
    }
}

/// `self_attention(reduction, heads)` on `c` channels; refused when the heads do not divide the
/// query channels `c / reduction`.
fn lower_attention(l: &ir::Layer, c: usize, device: &Device, missing: &mut Vec<Unsupported>) -> Option<Layer> {
    let heads = l.args.int("heads").max(1) as usize;
    let reduced = c / l.args.int("reduction").max(1) as usize;
    if !reduced.is_multiple_of(heads) {
        missing.push(Unsupported {
            what: format!("the layer `self_attention` with {heads} heads over {reduced} query channels"),
            span: l.span,
        });
        return None;
    }
    Some(Layer::SelfAttention(SelfAttention {
        query: LinearConfig::new(c, reduced).init(device),
        key: LinearConfig::new(c, reduced).init(device),
        value: LinearConfig::new(c, c).init(device),
        gamma: Param::from_tensor(Tensor::zeros([1], device)),
        heads,
    }))
}
