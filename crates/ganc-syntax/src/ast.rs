//! The spanned syntax tree of a `.gan` file.

use ganc_diagnostics::Span;

/// A name and where it is written.
#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    /// The text of the name.
    pub name: String,
    /// Where it stands.
    pub span: Span,
}

/// A whole file: its items in source order.
#[derive(Clone, Debug, PartialEq)]
pub struct File {
    /// Top-level items.
    pub items: Vec<Item>,
}

/// A top-level item.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// `import "path"` or `import { a, b } from "path"`.
    Import(Import),
    /// `data mnist(split: train)`.
    Data(Call),
    /// `latent z ~ normal(100)` or `condition y ~ labels`.
    Input(InputDecl),
    /// `block name(params) { ... }`.
    Block(BlockDef),
    /// `generator G(z) -> image { ... }` and its kin.
    Network(Network),
    /// `loss hinge`.
    Loss(Call),
    /// `regularize D { ... }`.
    Regularize(Regularize),
    /// `train { ... }`.
    Train(Train),
    /// `evaluate every N steps { ... }`.
    Evaluate(Evaluate),
}

/// `import ...`.
#[derive(Clone, Debug, PartialEq)]
pub struct Import {
    /// The names listed in braces; `None` imports every block of the file.
    pub names: Option<Vec<Ident>>,
    /// The path as written (relative to the importing file).
    pub path: String,
    /// The span of the path string.
    pub path_span: Span,
    /// The whole item.
    pub span: Span,
}

/// Whether an input is a latent or a condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// `latent`.
    Latent,
    /// `condition`.
    Condition,
}

/// `latent z ~ normal(100)`.
#[derive(Clone, Debug, PartialEq)]
pub struct InputDecl {
    /// Latent or condition.
    pub kind: InputKind,
    /// The input's name.
    pub name: Ident,
    /// The distribution or source.
    pub source: Call,
    /// The whole item.
    pub span: Span,
}

/// `block name(a, b = 2) { ... }`.
#[derive(Clone, Debug, PartialEq)]
pub struct BlockDef {
    /// The block's name.
    pub name: Ident,
    /// Its parameters, with optional defaults.
    pub params: Vec<BlockParam>,
    /// Its statements.
    pub body: Body,
    /// The whole item.
    pub span: Span,
}

/// One block parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct BlockParam {
    /// Its name.
    pub name: Ident,
    /// Its default value.
    pub default: Option<Expr>,
}

/// The role a network plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NetworkKind {
    /// Maps latents (and conditions) to samples.
    Generator,
    /// Scores samples.
    Discriminator,
    /// Maps samples back to latents (BiGAN, ALI, AVB).
    Encoder,
}

impl NetworkKind {
    /// The keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            NetworkKind::Generator => "generator",
            NetworkKind::Discriminator => "discriminator",
            NetworkKind::Encoder => "encoder",
        }
    }
}

/// `generator G(z, y) -> image { ... }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    /// Its role.
    pub kind: NetworkKind,
    /// Its name.
    pub name: Ident,
    /// Its inputs, by name; the first is the value the body starts from.
    pub inputs: Vec<Ident>,
    /// What it produces (`image`, `logit`, `z`, ...).
    pub output: Ident,
    /// Options of the whole network, written after `at` (`at scales: 3`): named arguments.
    pub options: Vec<Arg>,
    /// Its statements.
    pub body: Body,
    /// The whole item.
    pub span: Span,
}

/// `regularize D { r1(gamma: 10) spectral_norm }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Regularize {
    /// The network regularized.
    pub network: Ident,
    /// The regularizers.
    pub entries: Vec<Call>,
    /// The whole item.
    pub span: Span,
}

/// `train { ... }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Train {
    /// Its entries in order.
    pub entries: Vec<TrainEntry>,
    /// The whole item.
    pub span: Span,
}

/// One line of a `train` section.
#[derive(Clone, Debug, PartialEq)]
pub enum TrainEntry {
    /// `optimizer G: adam(lr: 2e-4)`.
    Optimizer {
        /// The network.
        network: Ident,
        /// The optimizer call.
        optimizer: Call,
        /// The whole entry.
        span: Span,
    },
    /// `ema G: 0.999`.
    Ema {
        /// The network.
        network: Ident,
        /// The decay.
        decay: Expr,
        /// The whole entry.
        span: Span,
    },
    /// `watch { d_loss_below: 1e-4, nan }`.
    Watch {
        /// Each watched condition with its optional threshold.
        items: Vec<(Ident, Option<Expr>)>,
        /// The whole entry.
        span: Span,
    },
    /// `sample every 500 steps`.
    Every {
        /// The periodic action.
        action: Ident,
        /// The period in steps.
        period: Expr,
        /// The whole entry.
        span: Span,
    },
    /// `batch: 64`.
    Option {
        /// The option.
        name: Ident,
        /// Its value.
        value: Expr,
        /// The whole entry.
        span: Span,
    },
    /// `replay(buffer: 10_000, p: 0.5)`.
    Call(Call),
}

/// `evaluate every 2_000 steps { fid(samples: 10_000), modes }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluate {
    /// The period in steps.
    pub period: Expr,
    /// The metrics.
    pub metrics: Vec<Call>,
    /// The whole item.
    pub span: Span,
}

/// A braced list of statements.
#[derive(Clone, Debug, PartialEq)]
pub struct Body {
    /// The statements.
    pub stmts: Vec<Stmt>,
    /// From `{` to `}`.
    pub span: Span,
}

/// One statement of a network or block body.
#[derive(Clone, Debug, PartialEq)]
pub enum Stmt {
    /// A layer or block applied to the current value.
    Layer(LayerStmt),
    /// `let h` (names the current value) or `let h = x { ... }` / `let h = x |> a |> b`.
    Let(Let),
    /// `residual { ... } skip { ... }`.
    Residual {
        /// The main path.
        main: Body,
        /// The shortcut; identity when absent.
        skip: Option<Body>,
        /// The whole statement.
        span: Span,
    },
    /// `repeat N { ... }`.
    Repeat {
        /// How many times.
        count: Expr,
        /// What is repeated.
        body: Body,
        /// The whole statement.
        span: Span,
    },
    /// `grow R { ... } to_rgb { ... }` or `shrink R { ... } from_rgb { ... }`.
    Stage(Stage),
}

/// A progressive-growing stage.
#[derive(Clone, Debug, PartialEq)]
pub struct Stage {
    /// `grow` (generator) or `shrink` (discriminator).
    pub grows: bool,
    /// The stage's resolution.
    pub resolution: Expr,
    /// The stage's layers.
    pub body: Body,
    /// The `to_rgb` / `from_rgb` head.
    pub head: Body,
    /// The keyword `grow` / `shrink`.
    pub keyword: Span,
    /// The whole statement.
    pub span: Span,
}

/// `spectral conv(64, kernel: 3)`.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerStmt {
    /// The wrapper names before the call (`spectral`, `equalized`: the registry's wrappers), in
    /// order.
    pub wrappers: Vec<Ident>,
    /// The layer or block call.
    pub call: Call,
    /// The whole statement.
    pub span: Span,
}

/// A `let` statement.
#[derive(Clone, Debug, PartialEq)]
pub struct Let {
    /// The bound name.
    pub name: Ident,
    /// Where the value comes from; `None` names the current value.
    pub source: Option<LetSource>,
    /// The whole statement.
    pub span: Span,
}

/// The right-hand side of `let h = x { ... }`.
#[derive(Clone, Debug, PartialEq)]
pub struct LetSource {
    /// The value the pipeline starts from.
    pub from: Ident,
    /// The pipeline.
    pub body: Body,
}

/// `name` or `name(args)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    /// The callee.
    pub name: Ident,
    /// The arguments.
    pub args: Vec<Arg>,
    /// The whole call.
    pub span: Span,
}

/// One argument, positional or named.
#[derive(Clone, Debug, PartialEq)]
pub struct Arg {
    /// The name, for `name: value`.
    pub name: Option<Ident>,
    /// The value.
    pub value: Expr,
    /// The whole argument.
    pub span: Span,
}

/// An expression with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where.
    pub span: Span,
}

/// Binary operators of integer and float arithmetic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Rem,
}

/// The kinds of expression.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    /// An integer literal, digits only (underscores removed); the checker parses it with
    /// overflow checks.
    Int(String),
    /// A float literal.
    Float(f64),
    /// `true` / `false`.
    Bool(bool),
    /// A string literal.
    Str(String),
    /// A name or a dotted path (`train`, `D.features`).
    Path(Vec<Ident>),
    /// `adam(lr: 1e-4)` used as a value.
    Call(Call),
    /// `(0.5, 0.999)`.
    Tuple(Vec<Expr>),
    /// `0.7..1.2`.
    Range(Box<Expr>, Box<Expr>),
    /// `20_000 steps`.
    Duration(Box<Expr>),
    /// `linear over 10_000 steps`.
    Schedule {
        /// The schedule's shape (`linear`, `cosine`, ...).
        kind: Ident,
        /// Its length in steps.
        over: Box<Expr>,
    },
    /// `a * b`.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `-a`.
    Neg(Box<Expr>),
}
