//! The checked IR: what the checker hands to the runtime and the language server. Blocks and
//! repeats are expanded, every argument has its value (given or default), every layer knows
//! its input and output shape.

use crate::args::Args;
use ganc_diagnostics::Span;
use ganc_syntax::ast::{InputKind, NetworkKind};
use std::fmt;

/// The shape of one sample; the batch axis is implicit.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Shape {
    /// A tensor with these dimensions (`[n]` or `[C, H, W]`).
    Tensor(Vec<i64>),
    /// Class labels with this many classes.
    Labels(u32),
    /// Not known because of an earlier error; silences follow-on errors.
    Unknown,
}

impl Shape {
    /// The dims of a tensor.
    pub fn dims(&self) -> Option<&[i64]> {
        match self {
            Shape::Tensor(d) => Some(d),
            _ => None,
        }
    }

    /// Elements per sample: `None` for labels, an unknown shape, or a count beyond 64 bits.
    pub fn numel(&self) -> Option<i64> {
        self.dims()?.iter().try_fold(1i64, |a, b| a.checked_mul(*b))
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Shape::Tensor(d) => {
                let d: Vec<String> = d.iter().map(|x| x.to_string()).collect();
                write!(f, "[{}]", d.join(", "))
            }
            Shape::Labels(k) => write!(f, "labels({k})"),
            Shape::Unknown => write!(f, "?"),
        }
    }
}

/// A checked experiment.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Model {
    /// The data source.
    pub data: Data,
    /// Latents and conditions.
    pub inputs: Vec<Input>,
    /// Every network, in source order.
    pub networks: Vec<Network>,
    /// The adversarial loss.
    pub loss: Component,
    /// Regularizers, each with the network it applies to.
    pub regularizers: Vec<Regularizer>,
    /// The training schedule (defaults filled in).
    pub train: Train,
    /// Measurements during training.
    pub evaluate: Option<Evaluate>,
}

impl Model {
    /// The network called `name`.
    pub fn network(&self, name: &str) -> Option<&Network> {
        self.networks.iter().find(|n| n.name == name)
    }

    /// The generator.
    pub fn generator(&self) -> Option<&Network> {
        self.networks.iter().find(|n| n.kind == NetworkKind::Generator)
    }
}

/// A registry entry with its bound arguments.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Component {
    /// The registry name.
    pub name: &'static str,
    /// Arguments with defaults filled in.
    pub args: Args,
    /// Where it is written.
    #[serde(skip)]
    pub span: Span,
}

impl Component {
    /// Whether this training option of one value is set to its registry default
    /// (`unroll: 0`): written or not, it then asks nothing of the runtime.
    pub fn sets_default_option(&self) -> bool {
        let Some(spec) = ganc_registry::lookup(ganc_registry::Kind::TrainOption, self.name) else { return false };
        match spec.params {
            [p] if p.name == "value" => crate::args::default_value(p).as_ref() == self.args.get("value"),
            _ => false,
        }
    }
}

/// The data source.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Data {
    /// Source and arguments.
    pub source: Component,
    /// Name of the data's value in graphs (`image`, `point`).
    pub value: &'static str,
    /// Shape of one sample.
    pub shape: Vec<i64>,
    /// Number of classes, for labelled data.
    pub classes: Option<u32>,
    /// Whether samples lie in [-1, 1].
    pub unit_range: bool,
    /// Paired data (image-to-image): the shape of each target's input, which
    /// `condition x ~ paired` reads.
    pub pair: Option<Vec<i64>>,
}

/// A latent or condition input.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Input {
    /// Its name.
    pub name: String,
    /// Latent or condition.
    #[serde(skip)]
    pub kind: InputKind,
    /// Distribution or source.
    pub source: Component,
    /// Its shape.
    pub shape: Shape,
}

/// A checked network.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Network {
    /// Its name.
    pub name: String,
    /// Its role.
    #[serde(skip)]
    pub kind: NetworkKind,
    /// Input names; the first is where the body starts.
    pub inputs: Vec<String>,
    /// The output annotation.
    pub output: String,
    /// The expanded body.
    pub body: Vec<Node>,
    /// The shape it produces.
    pub output_shape: Shape,
    /// A multi-scale discriminator's bodies at its coarser scales (`at scales: N`, pix2pixHD):
    /// scale `k` (1-based) reads the image inputs average-pooled 2x2 `k` times, with its own
    /// weights. Empty for one scale.
    pub coarser: Vec<Vec<Node>>,
    /// How many stages of a stacked generator it judges (`at stages: N`, StackGAN++): its scale
    /// `k` then judges the images of G's `k`-th stage from the top, and the real images pooled
    /// to their side. `None` for other networks.
    pub stages: Option<usize>,
    /// Where it is defined.
    #[serde(skip)]
    pub span: Span,
}

impl Network {
    /// The number of scales it runs at (1 unless `at scales: N`).
    pub fn scales(&self) -> usize {
        1 + self.coarser.len()
    }

    /// Every layer of the network, depth first, in source order.
    pub fn layers(&self) -> Vec<&Layer> {
        let mut out = Vec::new();
        collect_layers(&self.body, &mut out);
        out
    }

    /// Trainable parameters of the whole network (`None` beyond 64 bits, never in a checked
    /// model: see [`crate::memory`]).
    pub fn param_count(&self) -> Option<u64> {
        self.layers().iter().try_fold(0u64, |a, l| a.checked_add(l.params))
    }

    /// Whether it judges a stacked generator's stages (`at stages: N`).
    pub fn stacked(&self) -> bool {
        self.stages.is_some()
    }

    /// Progressive stages' resolutions, in order.
    pub fn stage_resolutions(&self) -> Vec<i64> {
        self.body
            .iter()
            .filter_map(|n| match n {
                Node::Stage { resolution, .. } => Some(*resolution),
                _ => None,
            })
            .collect()
    }
}

fn collect_layers<'a>(nodes: &'a [Node], out: &mut Vec<&'a Layer>) {
    for n in nodes {
        match n {
            Node::Layer(l) => out.push(l),
            Node::Let { body, .. } | Node::Block { body, .. } => collect_layers(body, out),
            Node::Residual { main, skip, .. } => {
                collect_layers(main, out);
                collect_layers(skip, out);
            }
            Node::Stage { body, head, .. } => {
                collect_layers(body, out);
                collect_layers(head, out);
            }
        }
    }
}

/// One node of an expanded body.
#[derive(Clone, Debug, serde::Serialize)]
pub enum Node {
    /// A registry layer.
    Layer(Layer),
    /// `let name` (no body: names the current value) or `let name = from { body }`.
    Let {
        /// The bound name.
        name: String,
        /// The source value, or `None` for the current value.
        from: Option<String>,
        /// The pipeline from `from`.
        body: Vec<Node>,
        /// The value's shape.
        shape: Shape,
    },
    /// An expanded block call; its layers are named under the block's name.
    Block {
        /// The block's name.
        name: String,
        /// Its expanded body.
        body: Vec<Node>,
        /// The call.
        #[serde(skip)]
        span: Span,
    },
    /// `main(x) + skip(x)`; an empty `skip` is the identity.
    Residual {
        /// The main path.
        main: Vec<Node>,
        /// The shortcut.
        skip: Vec<Node>,
        /// The statement.
        #[serde(skip)]
        span: Span,
    },
    /// A progressive stage at `resolution`.
    Stage {
        /// Whether it is a generator stage (`grow`).
        grows: bool,
        /// Its resolution.
        resolution: i64,
        /// The stage's layers.
        body: Vec<Node>,
        /// The `to_rgb` / `from_rgb` head.
        head: Vec<Node>,
        /// The statement.
        #[serde(skip)]
        span: Span,
    },
}

/// A layer with its arguments and shapes.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Layer {
    /// Registry name.
    pub name: &'static str,
    /// Arguments with defaults.
    pub args: Args,
    /// `spectral`, `equalized`.
    pub wrappers: Vec<String>,
    /// The second value it reads (`concat(e)`), if any, and that value's shape.
    pub second: Option<(String, Shape)>,
    /// Incoming shape.
    pub input: Shape,
    /// Outgoing shape.
    pub output: Shape,
    /// Trainable parameters.
    pub params: u64,
    /// Where it is written (inside a block: the statement in the block's body).
    #[serde(skip)]
    pub span: Span,
}

/// A regularizer of one network.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Regularizer {
    /// The network.
    pub network: String,
    /// The regularizer.
    pub component: Component,
}

/// The `train` section, defaults filled in.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Train {
    /// `name: value` options and calls (`replay(...)`), each with all its parameters.
    pub options: Vec<Component>,
    /// Optimizer per network.
    pub optimizers: Vec<(String, Component)>,
    /// EMA decay per network.
    pub ema: Vec<(String, f64)>,
    /// Periodic actions and their periods.
    pub every: Vec<(&'static str, i64)>,
    /// Watched quantities and thresholds.
    pub watch: Vec<Component>,
}

impl Train {
    /// The option called `name`.
    pub fn option(&self, name: &str) -> Option<&Component> {
        self.options.iter().find(|c| c.name == name)
    }
}

/// The `evaluate` section.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Evaluate {
    /// Period in steps.
    pub every: i64,
    /// Metrics.
    pub metrics: Vec<Component>,
}
