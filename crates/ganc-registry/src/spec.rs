//! The types registry entries are made of.

/// What an entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A layer of a network body.
    Layer,
    /// An adversarial loss (`loss ...`).
    Loss,
    /// A regularizer (`regularize D { ... }`).
    Regularizer,
    /// An optimizer (`optimizer G: ...`).
    Optimizer,
    /// A `name: value` option or call of the `train` section.
    TrainOption,
    /// A periodic action (`sample every 500 steps`).
    Periodic,
    /// A failure-tracking condition in `watch { ... }`.
    Watch,
    /// A data source (`data ...`).
    Data,
    /// A latent distribution (`latent z ~ ...`).
    Distribution,
    /// A condition source (`condition y ~ ...`).
    Condition,
    /// An evaluation metric (`evaluate ... { ... }`).
    Metric,
    /// A wrapper written before a weight layer (`spectral conv(...)`).
    Wrapper,
    /// A decay schedule (`linear over 10_000 steps`).
    Schedule,
    /// A discriminator's declared output (`-> logit`).
    Output,
}

impl Kind {
    /// How the kind is called in messages.
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Layer => "layer",
            Kind::Loss => "loss",
            Kind::Regularizer => "regularizer",
            Kind::Optimizer => "optimizer",
            Kind::TrainOption => "training option",
            Kind::Periodic => "periodic action",
            Kind::Watch => "watched quantity",
            Kind::Data => "data source",
            Kind::Distribution => "latent distribution",
            Kind::Condition => "condition source",
            Kind::Metric => "metric",
            Kind::Wrapper => "wrapper",
            Kind::Schedule => "schedule",
            Kind::Output => "discriminator output",
        }
    }
}

impl Kind {
    /// The kind in the plural, for headings: `layers`, `losses`.
    pub fn plural(self) -> String {
        match self.noun() {
            "loss" => "losses".into(),
            "watched quantity" => "watched quantities".into(),
            noun => format!("{noun}s"),
        }
    }
}

/// The type of a parameter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Ty {
    /// A whole number (integer arithmetic allowed).
    Int,
    /// A real number (integers are accepted).
    Float,
    /// `true` or `false`.
    Bool,
    /// A string.
    Str,
    /// One of a fixed set of names.
    Choice(&'static [&'static str]),
    /// A pair of reals, `(0.5, 0.999)`.
    FloatPair,
    /// A range of reals, `0.7..1.2`.
    Range,
    /// A number of steps, `20_000 steps` (a plain integer is accepted).
    Duration,
    /// A decay schedule, `linear over 10_000 steps`.
    Schedule,
    /// A value of the graph: an input, a `let` name or a block parameter holding one.
    Value,
    /// A dotted reference to a named value of another network, `D.features`.
    Feature,
    /// Any number of whole numbers (`reshape(128, 7, 7)`).
    Ints,
}

impl Ty {
    /// How the type is called in messages.
    pub fn describe(&self) -> String {
        match self {
            Ty::Int => "an integer".into(),
            Ty::Float => "a number".into(),
            Ty::Bool => "`true` or `false`".into(),
            Ty::Str => "a string".into(),
            Ty::Choice(c) => format!("one of {}", c.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")),
            Ty::FloatPair => "a pair of numbers like `(0.5, 0.999)`".into(),
            Ty::Range => "a range like `0.7..1.2`".into(),
            Ty::Duration => "a number of steps like `10_000 steps`".into(),
            Ty::Schedule => "a schedule like `linear over 10_000 steps`".into(),
            Ty::Value => "the name of a value (an input or a `let`)".into(),
            Ty::Feature => "a feature reference like `D.features`".into(),
            Ty::Ints => "integers".into(),
        }
    }
}

/// The allowed range of a numeric parameter (each element of a pair or range).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Bound {
    /// No restriction.
    Any,
    /// `> 0`.
    Positive,
    /// `>= 0`.
    NonNegative,
    /// `[0, 1]`, a probability.
    Unit,
    /// `[0, 1)`, a decay or a momentum.
    UnitOpen,
    /// `(0, 1]`.
    UnitClosedAbove,
    /// `[lo, hi]`.
    Between(f64, f64),
    /// One of a few whole numbers.
    OneOf(&'static [i64]),
    /// A positive square number: 1, 4, 9, ...
    Square,
}

impl Bound {
    /// Whether `x` lies in the bound.
    pub fn admits(&self, x: f64) -> bool {
        match *self {
            Bound::Any => x.is_finite(),
            Bound::Positive => x > 0.0 && x.is_finite(),
            Bound::NonNegative => (0.0..f64::INFINITY).contains(&x),
            Bound::Unit => (0.0..=1.0).contains(&x),
            Bound::UnitOpen => (0.0..1.0).contains(&x),
            Bound::UnitClosedAbove => x > 0.0 && x <= 1.0,
            Bound::Between(lo, hi) => (lo..=hi).contains(&x),
            Bound::OneOf(values) => values.iter().any(|v| *v as f64 == x),
            Bound::Square => x >= 1.0 && x.is_finite() && x.sqrt().round().powi(2) == x,
        }
    }

    /// The bound in words, for messages: `> 0`, `in [0, 1)`.
    pub fn describe(&self) -> String {
        match *self {
            Bound::Any => "finite".into(),
            Bound::Positive => "> 0".into(),
            Bound::NonNegative => ">= 0".into(),
            Bound::Unit => "in [0, 1]".into(),
            Bound::UnitOpen => "in [0, 1)".into(),
            Bound::UnitClosedAbove => "in (0, 1]".into(),
            Bound::Between(lo, hi) => format!("in [{lo}, {hi}]"),
            Bound::OneOf(values) => {
                format!("one of {}", values.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(", "))
            }
            Bound::Square => "a square number (1, 4, 9, ...)".into(),
        }
    }
}

/// A parameter's default.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Default {
    /// The argument must be given.
    Required,
    /// Optional, with no value when left out (the feature is off).
    Absent,
    /// An integer default.
    Int(i64),
    /// A real default.
    Float(f64),
    /// A boolean default.
    Bool(bool),
    /// A choice default.
    Name(&'static str),
    /// A pair default.
    Pair(f64, f64),
    /// A range default.
    Range(f64, f64),
}

impl Default {
    /// The default as a number, when it is one.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Default::Int(i) => Some(i as f64),
            Default::Float(f) => Some(f),
            _ => None,
        }
    }

    /// The default as source text, for listings (`None` when required or absent).
    pub fn render(&self) -> Option<String> {
        match *self {
            Default::Required | Default::Absent => None,
            Default::Int(i) => Some(i.to_string()),
            Default::Float(f) => Some(format!("{f:?}")),
            Default::Bool(b) => Some(b.to_string()),
            Default::Name(n) => Some(n.to_string()),
            Default::Pair(a, b) => Some(format!("({a:?}, {b:?})")),
            Default::Range(a, b) => Some(format!("{a:?}..{b:?}")),
        }
    }
}

/// One parameter of an entry.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Param {
    /// Its name (also the keyword of a named argument).
    pub name: &'static str,
    /// Its type.
    pub ty: Ty,
    /// Its default.
    pub default: Default,
    /// Its allowed range.
    pub bound: Bound,
    /// What it means.
    pub doc: &'static str,
}

/// A parameter (used by the entry table).
pub const fn param(name: &'static str, ty: Ty, default: Default, bound: Bound, doc: &'static str) -> Param {
    Param { name, ty, default, bound, doc }
}

/// How a layer transforms the shape of one sample (the batch dimension is implicit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShapeRule {
    /// `[n] -> [out]`.
    Linear,
    /// `[C, H, W] -> [out, H', W']` by kernel, stride, padding.
    Conv,
    /// Transposed convolution: `H' = (H - 1) * stride - 2 * padding + kernel + output_padding`.
    Deconv,
    /// `[C, H, W] -> [C, H * scale, W * scale]`.
    Upsample,
    /// `[C, H, W] -> [C / f^2, H * f, W * f]`.
    PixelShuffle,
    /// `[n] -> [dim]`: conditioning augmentation's draw.
    Augment,
    /// `[C, H, W] -> [C, H / k, W / k]` (pooling with a stride that must divide).
    Pool,
    /// `[C, H, W] -> [C]`.
    GlobalPool,
    /// Any shape to `[product]`.
    Flatten,
    /// Any shape to the given dims, keeping the element count.
    Reshape,
    /// Ignores its input and yields the learned `[C, H, W]` constant.
    Constant,
    /// Class labels to `[dim]`.
    Embedding,
    /// Shape-preserving on `[n]` or `[C, H, W]`.
    Elementwise,
    /// Shape-preserving on `[C, H, W]` only.
    Spatial,
    /// Shape-preserving; the channel count must divide by `groups`.
    GroupNorm,
    /// Shape-preserving normalization conditioned on class labels.
    ConditionalNorm,
    /// Shape-preserving on `[C, H, W]`, styled by a vector value.
    Adain,
    /// Shape-preserving self-attention on `[C, H, W]`; C must divide by `reduction` and `heads`.
    SelfAttention,
    /// `[n] -> [n + kernels]`.
    MinibatchDiscrimination,
    /// `[C, H, W] -> [C + 1, H, W]`.
    MinibatchStddev,
    /// `[n]` and class labels to `[1]`.
    Projection,
    /// Joins another value along the first axis (a vector is tiled over an image).
    Concat,
    /// Adds another value of the same shape.
    Add,
}

impl ShapeRule {
    /// Whether every layer of this rule gives back the shape it takes.
    pub fn preserves_shape(self) -> bool {
        matches!(
            self,
            ShapeRule::Elementwise
                | ShapeRule::Spatial
                | ShapeRule::GroupNorm
                | ShapeRule::ConditionalNorm
                | ShapeRule::Adain
                | ShapeRule::SelfAttention
        )
    }
}

/// The family of a layer, for listings and for the checker's advice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// Has weights: linear, conv, deconv, embedding.
    Weight,
    /// Normalizes activations.
    Normalization,
    /// A pointwise nonlinearity.
    Activation,
    /// Changes resolution without weights.
    Resampling,
    /// Changes the layout only.
    Reshaping,
    /// Adds noise or drops units.
    Noise,
    /// Attention.
    Attention,
    /// Uses a second input (labels, styles, features).
    Conditioning,
    /// Looks across the batch.
    BatchStatistics,
}

impl Family {
    /// The family's heading in `ganc layers`.
    pub fn title(self) -> &'static str {
        match self {
            Family::Weight => "weights",
            Family::Normalization => "normalization",
            Family::Activation => "activations",
            Family::Resampling => "resampling",
            Family::Reshaping => "reshaping",
            Family::Noise => "noise and dropout",
            Family::Attention => "attention",
            Family::Conditioning => "conditioning",
            Family::BatchStatistics => "batch statistics",
        }
    }
}

/// How a layer's count of trainable parameters follows from its shapes and arguments. `C` is
/// the first axis of its input (channels or features), `O` the first axis of its output, `K`
/// the number of classes of the labels it reads. A `bias: false` argument drops the bias term,
/// `affine: false` the scale and shift.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamRule {
    /// No trainable parameters.
    None,
    /// A weight matrix and a bias: `C * O + O`.
    Dense,
    /// A square kernel per input and output channel, and a bias: `C * O * kernel^2 + O`.
    Kernel,
    /// A vector of the output's size per class: `K * O`.
    PerClass,
    /// A learned tensor of the output's shape: its element count.
    WholeOutput,
    /// A scale and a shift per channel: `2 * C`.
    ScaleShift,
    /// A scale and a shift per element of the sample: `2 * numel(input)`.
    ScaleShiftPerElement,
    /// A scale and a shift per channel and class: `2 * C * K`.
    ScaleShiftPerClass,
    /// A linear map from the style vector (`S` features) to a scale and shift per channel:
    /// `S * 2C + 2C`.
    Style,
    /// One weight per channel: `C`.
    PerChannel,
    /// Query and key 1x1 convolutions to `R = C / reduction` channels, a value 1x1
    /// convolution and a gate: `2 * (C * R + R) + C * C + C + 1`.
    Attention,
    /// A tensor of `C * kernels * dims`.
    MinibatchKernels,
    /// A linear score and a class embedding: `C + 1 + K * C`.
    Projection,
    /// A linear map to a mean and a log variance of `dim` each: `C * 2 dim + 2 dim`.
    Augment,
}

/// Whether a gradient penalty can differentiate a critic's per-sample input gradient through a
/// layer: `E0410` refuses a layer that cannot in a penalized critic, and the runtime's table of
/// input-gradient products is tested to agree with this flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputGradient {
    /// It can, whatever its arguments.
    Yes,
    /// It cannot.
    No {
        /// Why, as the diagnostic's label.
        why: &'static str,
        /// What to write instead.
        help: &'static str,
    },
    /// It can, unless the choice argument `arg` is `value`.
    UnlessArg {
        /// The argument.
        arg: &'static str,
        /// The choice without an input gradient.
        value: &'static str,
        /// Why, as the diagnostic's label.
        why: &'static str,
        /// What to write instead.
        help: &'static str,
    },
}

impl InputGradient {
    /// `(why, help)` when a layer whose choice arguments `arg` reads has no input gradient.
    pub fn refused<'a>(&self, arg: impl Fn(&str) -> Option<&'a str>) -> Option<(&'static str, &'static str)> {
        match *self {
            InputGradient::Yes => None,
            InputGradient::No { why, help } => Some((why, help)),
            InputGradient::UnlessArg { arg: name, value, why, help } => {
                (arg(name) == Some(value)).then_some((why, help))
            }
        }
    }
}

/// What a layer is, beyond its parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LayerInfo {
    /// How it maps shapes.
    pub shape: ShapeRule,
    /// Its family.
    pub family: Family,
    /// How many trainable parameters it has.
    pub trainable: ParamRule,
    /// Whether a gradient penalty can differentiate through it.
    pub input_gradient: InputGradient,
}

/// What the discriminator must output for a loss.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Needs {
    /// One raw score per sample: `[1]`.
    Score,
    /// A map of raw scores, one per patch: `[1, h, w]` (PatchGAN).
    Patch,
    /// An unconditional and a conditional score: `[2]` (StackGAN++).
    Joint,
    /// A reconstruction of its input (an autoencoder), as BEGAN.
    Reconstruction,
    /// One score plus one logit per class: `[1 + classes]`.
    ScoreAndClasses,
    /// One logit per class, the fake class implicit: `[classes]`.
    Classes,
}

impl Needs {
    /// What D gives per sample, in words.
    pub fn describe(self) -> &'static str {
        match self {
            Needs::Score => "one score per sample",
            Needs::Patch => "a map of scores, one per patch",
            Needs::Joint => "an unconditional and a conditional score",
            Needs::Reconstruction => "a reconstruction of its input",
            Needs::ScoreAndClasses => "a score and class logits",
            Needs::Classes => "one logit per class",
        }
    }
}

/// What a loss is, beyond its parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LossInfo {
    /// What D must give.
    pub needs: Needs,
    /// Whether D is a Wasserstein critic (weight clipping applies).
    pub wasserstein: bool,
    /// Whether D's loss compares its outputs with real and fake targets, which label tricks
    /// (smoothing, noisy or flipped labels) change.
    pub targets: bool,
}

/// Which networks a regularizer applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The discriminator's training.
    Discriminator,
    /// The generator's training.
    Generator,
    /// Either.
    Both,
}

/// A data source's facts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DataInfo {
    /// The name of the data's value in graphs (`image`, `point`).
    pub value: &'static str,
    /// The fixed sample shape; `None` when parameters decide it.
    pub shape: Option<&'static [i64]>,
    /// Number of classes when the data are labelled.
    pub classes: Option<u32>,
    /// Whether samples are scaled to [-1, 1] (images for a tanh generator).
    pub unit_range: bool,
}

/// Extra facts of an entry, by kind.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Extra {
    /// Nothing more.
    None,
    /// A loss.
    Loss(LossInfo),
    /// A regularizer.
    Regularizer(Side),
    /// A data source.
    Data(DataInfo),
    /// A gradient penalty: a discriminator regularizer that differentiates D's input gradient.
    Penalty,
    /// A label trick: a discriminator regularizer that changes D's real and fake targets.
    LabelTrick,
    /// A discriminator output, with what it gives per sample.
    Output(Needs),
}

/// What `ganc train` does with an entry: the one record `ganc layers`, `ganc explain`, hover,
/// `ganc check`'s warnings and the runtime's refusals agree on (a runtime test keeps it true).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runtime {
    /// `ganc train` lowers and trains it.
    Trains,
    /// `ganc check` validates it, `ganc train` refuses it (E0501); `ganc check` warns (W0008).
    NotYet,
    /// Always on in `ganc train`: writing it changes nothing (`ganc check` warns, W0007).
    Implied,
}

impl Runtime {
    /// The entry's training status in words, for listings and references.
    pub fn describe(self) -> &'static str {
        match self {
            Runtime::Trains => "trains with `ganc train`",
            Runtime::NotYet => "checked only: `ganc train` refuses it for now (E0501)",
            Runtime::Implied => "always on in `ganc train`: writing it changes nothing",
        }
    }
}

/// One registry entry.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spec {
    /// Its name in `.gan` files.
    pub name: &'static str,
    /// Its kind.
    pub kind: Kind,
    /// One line saying what it does.
    pub doc: &'static str,
    /// The paper or source it comes from.
    pub paper: &'static str,
    /// Its parameters, positional order first to last.
    pub params: &'static [Param],
    /// Layer facts (layers only).
    pub layer: Option<LayerInfo>,
    /// Facts of other kinds.
    pub extra: Extra,
    /// Whether `ganc train` lowers it.
    pub runtime: Runtime,
}

impl Spec {
    /// The same layer with trainable parameters counted by `rule` (for the entry table).
    pub const fn trainable(mut self, rule: ParamRule) -> Spec {
        if let Some(info) = &mut self.layer {
            info.trainable = rule;
        }
        self
    }

    /// The parameter called `name`.
    pub fn param(&self, name: &str) -> Option<&'static Param> {
        self.params.iter().find(|p| p.name == name)
    }

    /// Loss facts, for losses.
    pub fn loss(&self) -> Option<LossInfo> {
        match self.extra {
            Extra::Loss(l) => Some(l),
            _ => None,
        }
    }

    /// The same entry, marked as checked but not yet lowered by the runtime.
    pub const fn not_lowered(self) -> Spec {
        Spec { runtime: Runtime::NotYet, ..self }
    }

    /// The same entry, marked as always on in the runtime.
    pub const fn implied(self) -> Spec {
        Spec { runtime: Runtime::Implied, ..self }
    }

    /// Whether `ganc train` lowers it.
    pub fn trains(&self) -> bool {
        self.runtime == Runtime::Trains
    }

    /// Which network a regularizer applies to, for regularizers.
    pub fn side(&self) -> Option<Side> {
        match self.extra {
            Extra::Regularizer(side) => Some(side),
            Extra::Penalty | Extra::LabelTrick => Some(Side::Discriminator),
            _ => None,
        }
    }

    /// Whether it is a gradient penalty (`gradient_penalty`, `r1`, ...).
    pub fn is_gradient_penalty(&self) -> bool {
        self.extra == Extra::Penalty
    }

    /// Whether it is a label trick (`label_smoothing`, ...), which needs a loss with targets.
    pub fn is_label_trick(&self) -> bool {
        self.extra == Extra::LabelTrick
    }

    /// What a discriminator output gives per sample, for outputs.
    pub fn output(&self) -> Option<Needs> {
        match self.extra {
            Extra::Output(n) => Some(n),
            _ => None,
        }
    }

    /// Data facts, for data sources.
    pub fn data(&self) -> Option<DataInfo> {
        match self.extra {
            Extra::Data(d) => Some(d),
            _ => None,
        }
    }

    /// The signature as it would be written: `conv(channels, kernel: 3, stride: 1, ...)`.
    pub fn signature(&self) -> String {
        if self.params.is_empty() {
            return self.name.to_string();
        }
        let params: Vec<String> = self
            .params
            .iter()
            .map(|p| match p.default.render() {
                Some(d) => format!("{}: {d}", p.name),
                None if p.default == Default::Absent => format!("{}?", p.name),
                None => p.name.to_string(),
            })
            .collect();
        format!("{}({})", self.name, params.join(", "))
    }

    /// The reference text of the entry, as `ganc explain NAME` prints it and an editor shows
    /// it on hover: signature, kind, doc, paper, then one line per parameter.
    pub fn reference(&self) -> String {
        let mut out = format!(
            "{} ({})\n\n{}\nSource: {}\nRuntime: {}\n",
            self.signature(),
            self.kind.noun(),
            self.doc,
            self.paper,
            self.runtime.describe()
        );
        if !self.params.is_empty() {
            out.push('\n');
        }
        for p in self.params {
            let default = match p.default {
                Default::Required => "required".to_string(),
                Default::Absent => "optional".to_string(),
                d => format!("default {}", d.render().unwrap_or_default()),
            };
            out.push_str(&format!(
                "  {:<16} {}, {}, {}: {}\n",
                p.name,
                p.ty.describe(),
                default,
                p.bound.describe(),
                p.doc
            ));
        }
        out
    }
}
