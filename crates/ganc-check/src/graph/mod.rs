//! Walks network bodies: resolves names, expands blocks and repeats, binds arguments and
//! infers the shape after every statement, producing [`Node`]s. One module per construct:
//! `layer` (a layer statement), `block_call`, `let_value`, `residual`, `repeat`,
//! `stage` (progressive stages and the network body they stand in), and `block_defs`
//! (checks on block definitions).

mod block_call;
mod block_defs;
mod layer;
mod let_value;
mod repeat;
mod residual;
mod stage;

pub use block_defs::{check_block_names, check_recursion};

use crate::ir::{Node, Shape};
use crate::suggest::closest;
use crate::value::Env;
use ganc_diagnostics::{codes, Diagnostic, Span};
use ganc_syntax::ast::{BlockDef, Body, Stmt};
use std::collections::HashMap;

/// The most layers one network may expand to (blocks and repeats included).
pub const MAX_LAYERS: usize = 20_000;
/// The largest `repeat` count.
pub const MAX_REPEAT: i64 = 1024;
/// How deep blocks may call blocks.
pub const MAX_BLOCK_DEPTH: usize = 64;

/// A value in scope in a body.
#[derive(Clone, Debug)]
pub struct Binding {
    /// Its name.
    pub name: String,
    /// Its shape.
    pub shape: Shape,
    /// Where it is bound.
    pub span: Span,
    /// Whether something reads it.
    pub used: bool,
    /// Whether to warn when nothing reads it.
    pub warn_unused: bool,
}

/// The values visible in one body (a network's or one block call's).
#[derive(Default, Debug)]
pub struct Scope {
    /// Bindings in order.
    pub bindings: Vec<Binding>,
}

impl Scope {
    fn find(&mut self, name: &str) -> Option<&mut Binding> {
        self.bindings.iter_mut().rev().find(|b| b.name == name)
    }
}

/// Walks bodies of one network.
pub struct Walker<'a> {
    /// Blocks by name.
    pub blocks: &'a HashMap<String, &'a BlockDef>,
    /// Channels of the data, for progressive heads.
    pub data_shape: Option<Vec<i64>>,
    /// Whether this network is a generator (`grow`) or a discriminator (`shrink`).
    pub grows: Option<bool>,
    /// Diagnostics found.
    pub diags: &'a mut Vec<Diagnostic>,
    /// Blocks being expanded (for recursion).
    stack: Vec<String>,
    /// Layers expanded so far.
    layers: usize,
    /// Whether the expansion budget error was reported.
    over_budget: bool,
    /// Whether unknown layer names go unreported (an import failed, so they may be its blocks).
    pub quiet_unknown: bool,
    /// Names passed to the blocks being expanded that are no value of the caller: each with
    /// the call's argument and the values the caller had, outermost call first. A block that
    /// reads one as a value is told at the call, where the mistake is.
    passed: Vec<(String, Span, Vec<String>)>,
}

impl<'a> Walker<'a> {
    /// A walker for one network.
    pub fn new(
        blocks: &'a HashMap<String, &'a BlockDef>,
        data_shape: Option<Vec<i64>>,
        grows: Option<bool>,
        diags: &'a mut Vec<Diagnostic>,
    ) -> Self {
        Walker {
            blocks,
            data_shape,
            grows,
            diags,
            stack: Vec::new(),
            layers: 0,
            over_budget: false,
            quiet_unknown: false,
            passed: Vec::new(),
        }
    }

    fn body(&mut self, body: &Body, mut current: Shape, scope: &mut Scope, env: &Env) -> (Vec<Node>, Shape) {
        let mut nodes = Vec::new();
        for stmt in &body.stmts {
            current = self.stmt(stmt, current, scope, env, &mut nodes);
        }
        (nodes, current)
    }

    fn stmt(&mut self, stmt: &Stmt, current: Shape, scope: &mut Scope, env: &Env, nodes: &mut Vec<Node>) -> Shape {
        match stmt {
            Stmt::Layer(l) => self.layer(l, current, scope, env, nodes),
            Stmt::Let(l) => {
                self.let_stmt(l, current.clone(), scope, env, nodes);
                current
            }
            Stmt::Residual { main, skip, span } => {
                self.residual(main, skip.as_ref(), *span, current, scope, env, nodes)
            }
            Stmt::Repeat { count, body, .. } => self.repeat(count, body, current, scope, env, nodes),
            Stmt::Stage(stage) => {
                self.diags.push(
                    Diagnostic::new(
                        codes::PROGRESSIVE_MISPLACED,
                        stage.keyword,
                        format!(
                            "a `{}` stage must stand at the top level of a network body",
                            if stage.grows { "grow" } else { "shrink" }
                        ),
                    )
                    .label("nested stage")
                    .help("move the stage out of the block, residual, repeat or let it is in"),
                );
                Shape::Unknown
            }
        }
    }

    /// Reports an unknown value name with a suggestion from the values in scope.
    fn unknown_value(&mut self, name: &str, span: Span, in_scope: &[String]) {
        let mut d = Diagnostic::new(codes::UNKNOWN_VALUE, span, format!("no value named `{name}` in this body"))
            .label("not defined");
        match closest(name, in_scope.iter().map(String::as_str)) {
            Some(s) => d = d.help(format!("did you mean `{s}`?")).fix(span, s),
            None => {
                let known: Vec<String> = in_scope.iter().map(|b| format!("`{b}`")).collect();
                d = d.help(if known.is_empty() {
                    "name the value first with `let NAME` (or pass it to the block as a parameter)".to_string()
                } else {
                    format!("values in scope: {}; name others with `let NAME`", known.join(", "))
                });
            }
        }
        self.diags.push(d);
    }

    fn count_layer(&mut self, span: Span) -> bool {
        self.layers += 1;
        if self.layers > MAX_LAYERS && !self.over_budget {
            self.over_budget = true;
            self.diags.push(
                Diagnostic::new(
                    codes::OUT_OF_RANGE,
                    span,
                    format!("the network expands to more than {MAX_LAYERS} layers"),
                )
                .label("expansion stops here")
                .help("lower the `repeat` counts; no GAN of the literature is this deep"),
            );
        }
        !self.over_budget
    }

    /// Warns about `let` values nothing reads.
    pub fn warn_unused(&mut self, scope: &Scope) {
        for b in scope.bindings.iter().filter(|b| b.warn_unused && !b.used) {
            self.diags.push(
                Diagnostic::new(codes::UNUSED_VALUE, b.span, format!("the value `{}` is never used", b.name))
                    .label("defined here, read nowhere")
                    .help(format!("use it (e.g. `concat({0})`, `add({0})`) or remove the `let`", b.name)),
            );
        }
    }
}

/// The span of a statement.
pub fn stmt_span(stmt: &Stmt) -> Span {
    match stmt {
        Stmt::Layer(l) => l.span,
        Stmt::Let(l) => l.span,
        Stmt::Residual { span, .. } | Stmt::Repeat { span, .. } => *span,
        Stmt::Stage(s) => s.span,
    }
}
