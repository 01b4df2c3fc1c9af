//! Walks network bodies: resolves names, expands blocks and repeats, binds arguments and
//! infers the shape after every statement, producing [`Node`]s.

use crate::args::bind;
use crate::ir::{Layer, Node, Shape};
use crate::shape::{self, describe};
use crate::suggest::closest;
use crate::value::{eval, Const, Env};
use ganc_diagnostics::{codes, Diagnostic, Span};
use ganc_registry::{Family, Kind, Ty};
use ganc_syntax::ast::{BlockDef, Body, LayerStmt, Let, Stage, Stmt};
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

/// What a progressive stage sequence has seen so far.
#[derive(Default)]
struct Stages {
    /// The previous stage's resolution and its body's output.
    last: Option<(i64, Shape)>,
    /// The previous generator stage's `to_rgb` output.
    image: Option<Shape>,
    /// Whether a non-stage statement followed a stage.
    closed: bool,
    /// Whether a non-stage statement came before the first stage.
    opened_late: Option<Span>,
    /// Whether a stage error was reported: the network's output is then unknown.
    poisoned: bool,
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

    /// Walks a network's top-level body, where progressive stages may stand.
    pub fn network_body(&mut self, body: &Body, input: Shape, scope: &mut Scope) -> (Vec<Node>, Shape) {
        let env = Env::new();
        let mut stages = Stages::default();
        let mut nodes = Vec::new();
        let mut current = input;
        for stmt in &body.stmts {
            if let Stmt::Stage(stage) = stmt {
                let (node, out) = self.stage(stage, current, scope, &env, &mut stages);
                nodes.push(node);
                current = out;
                continue;
            }
            if stages.last.is_some() && !stages.closed {
                stages.closed = true;
                if let Some(image) = stages.image.take() {
                    current = image;
                }
            }
            if stages.last.is_none() && stages.opened_late.is_none() {
                stages.opened_late = Some(stmt_span(stmt));
            }
            current = self.stmt(stmt, current, scope, &env, &mut nodes);
        }
        if !stages.closed {
            if let Some(image) = stages.image.take() {
                current = image;
            }
        }
        if let (Some((r, _)), Some(true), Some(&[_, h, _])) =
            (stages.last.as_ref(), self.grows, self.data_shape.as_deref())
        {
            if *r != 0 && *r != h && !stages.poisoned {
                let last = body.stmts.iter().rev().find_map(|s| match s {
                    Stmt::Stage(st) => Some(st.resolution.span),
                    _ => None,
                });
                self.diags.push(
                    Diagnostic::new(
                        codes::PROGRESSIVE_STAGES,
                        last.unwrap_or(body.span),
                        format!("the last stage is at {r} x {r}, but the data are {h} x {h}"),
                    )
                    .label("the top resolution")
                    .help(format!("grow up to `grow {h}`, the data's resolution")),
                );
                stages.poisoned = true;
            }
        }
        if stages.poisoned {
            current = Shape::Unknown;
        }
        (nodes, current)
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
                let (main_nodes, main_out) = self.body(main, current.clone(), scope, env);
                let (skip_nodes, skip_out) = match skip {
                    Some(s) => self.body(s, current.clone(), scope, env),
                    None => (Vec::new(), current.clone()),
                };
                let out = if main_out == Shape::Unknown || skip_out == Shape::Unknown {
                    Shape::Unknown
                } else if main_out != skip_out {
                    let skip_span = skip.as_ref().map_or(*span, |s| s.span);
                    self.diags.push(
                        Diagnostic::new(
                            codes::SHAPES_DIFFER,
                            main.span,
                            format!("residual branches end at different shapes: main {main_out}, skip {skip_out}"),
                        )
                        .label(format!("main path ends at {main_out}"))
                        .with_secondary(
                            skip_span,
                            if skip.is_some() {
                                format!("skip path ends at {skip_out}")
                            } else {
                                format!("identity skip keeps the input {skip_out}")
                            },
                        )
                        .note(format!("both paths start from {current}"))
                        .help(if skip.is_some() {
                            "make both paths end at the same shape (e.g. a 1x1 `conv` and the same resampling in `skip`)"
                        } else {
                            "add a `skip { ... }` that maps the input to the main path's shape"
                        }),
                    );
                    Shape::Unknown
                } else {
                    main_out
                };
                nodes.push(Node::Residual { main: main_nodes, skip: skip_nodes, span: *span });
                out
            }
            Stmt::Repeat { count, body, .. } => {
                let n = match eval(count, env) {
                    Ok(Const::Int(n)) if (1..=MAX_REPEAT).contains(&n) => n,
                    Ok(Const::Int(n)) => {
                        self.diags.push(
                            Diagnostic::new(
                                codes::OUT_OF_RANGE,
                                count.span,
                                format!("`repeat` count must be in [1, {MAX_REPEAT}], found {n}"),
                            )
                            .label("out of range")
                            .help("repeat a body at least once; for deeper networks use blocks"),
                        );
                        return Shape::Unknown;
                    }
                    Ok(other) => {
                        self.diags.push(
                            Diagnostic::new(
                                codes::WRONG_TYPE,
                                count.span,
                                format!("`repeat` count must be an integer, found {}", other.kind()),
                            )
                            .label(format!("`{other}` is not an integer")),
                        );
                        return Shape::Unknown;
                    }
                    Err(d) => {
                        self.diags.push(*d);
                        return Shape::Unknown;
                    }
                };
                let mut current = current;
                for _ in 0..n {
                    let (inner, out) = self.body(body, current, scope, env);
                    nodes.extend(inner);
                    current = out;
                    if self.over_budget {
                        break;
                    }
                }
                current
            }
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

    fn let_stmt(&mut self, l: &Let, current: Shape, scope: &mut Scope, env: &Env, nodes: &mut Vec<Node>) {
        let (from, body, shape) = match &l.source {
            None => (None, Vec::new(), current),
            Some(src) => {
                let start = match scope.find(&src.from.name) {
                    Some(b) => {
                        b.used = true;
                        b.shape.clone()
                    }
                    None => {
                        let names: Vec<String> = scope.bindings.iter().map(|b| b.name.clone()).collect();
                        self.unknown_value(&src.from.name, src.from.span, &names);
                        Shape::Unknown
                    }
                };
                let (body, out) = self.body(&src.body, start, scope, env);
                (Some(src.from.name.clone()), body, out)
            }
        };
        if let Some(prev) = scope.find(&l.name.name) {
            let prev_span = prev.span;
            self.diags.push(
                Diagnostic::new(
                    codes::DUPLICATE_DEFINITION,
                    l.name.span,
                    format!("`{}` is already defined in this body", l.name.name),
                )
                .label("defined again here")
                .with_secondary(prev_span, "first defined here")
                .help("give the new value another name"),
            );
        }
        scope.bindings.push(Binding {
            name: l.name.name.clone(),
            shape: shape.clone(),
            span: l.name.span,
            used: false,
            warn_unused: true,
        });
        nodes.push(Node::Let { name: l.name.name.clone(), from, body, shape });
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

    fn layer(
        &mut self,
        stmt: &LayerStmt,
        current: Shape,
        scope: &mut Scope,
        env: &Env,
        nodes: &mut Vec<Node>,
    ) -> Shape {
        let call = &stmt.call;
        if !self.count_layer(stmt.span) {
            return Shape::Unknown;
        }
        if let Some(def) = self.blocks.get(&call.name.name).copied() {
            if let Some(w) = stmt.wrappers.first() {
                self.diags.push(
                    Diagnostic::new(
                        codes::INVALID_WRAPPER,
                        w.span,
                        format!("`{}` cannot wrap the block `{}`", w.name, call.name.name),
                    )
                    .label("wraps a block")
                    .help(format!(
                        "write `{}` on the weight layers inside the block, or use `regularize D {{ spectral_norm }}`",
                        w.name
                    )),
                );
            }
            return self.block_call(def, stmt, current, scope, env, nodes);
        }
        let Some(spec) = ganc_registry::lookup(Kind::Layer, &call.name.name) else {
            if !self.quiet_unknown {
                self.unknown_layer(stmt);
            }
            return Shape::Unknown;
        };
        for w in &stmt.wrappers {
            let weights = spec.layer.map(|l| l.family) == Some(Family::Weight) && spec.name != "constant";
            if !weights {
                self.diags.push(
                    Diagnostic::new(
                        codes::INVALID_WRAPPER,
                        w.span,
                        format!("`{}` needs a layer with weights, but `{}` has none", w.name, spec.name),
                    )
                    .label(format!("`{}` has no weight matrix", spec.name))
                    .help("wrap `linear`, `conv`, `deconv` or `embedding`, or remove the wrapper"),
                );
            }
        }
        let before = self.diags.len();
        let args = bind(spec, call, env, self.diags);
        let args_failed = self.diags[before..].iter().any(Diagnostic::is_error);
        let mut second = None;
        if let Some(p) = spec.params.iter().find(|p| p.ty == Ty::Value) {
            if let Some(Const::Name(n)) = args.get(p.name) {
                let span = args.span(p.name).unwrap_or(call.span);
                match scope.find(n) {
                    Some(b) => {
                        b.used = true;
                        second = Some((n.clone(), b.shape.clone()));
                    }
                    None => {
                        match self.passed.iter().find(|(m, _, _)| m == n).cloned() {
                            Some((_, at, caller)) => self.unknown_value(n, at, &caller),
                            None => {
                                let names: Vec<String> = scope.bindings.iter().map(|b| b.name.clone()).collect();
                                self.unknown_value(n, span, &names)
                            }
                        }
                        second = Some((n.clone(), Shape::Unknown));
                    }
                }
            } else if args.span(p.name).is_some() || args.get(p.name).is_none() {
                // The argument had a problem already reported, or is missing.
                second = Some((String::new(), Shape::Unknown));
            }
        }
        let second_shape = second.as_ref().map(|(_, s)| s);
        let inferred = if args_failed { Ok(Shape::Unknown) } else { shape::infer(spec, &args, &current, second_shape) };
        let output = inferred.unwrap_or_else(|e| {
            self.diags.push(e.diagnostic(spec, &args, call.span));
            Shape::Unknown
        });
        let params = shape::param_count(spec, &args, &current, &output, second_shape).unwrap_or_else(|e| {
            self.diags.push(e.diagnostic(spec, &args, call.span));
            0
        });
        nodes.push(Node::Layer(Layer {
            name: spec.name,
            args,
            wrappers: stmt.wrappers.iter().map(|w| w.name.clone()).collect(),
            second,
            input: current,
            output: output.clone(),
            params,
            span: stmt.span,
        }));
        output
    }

    fn unknown_layer(&mut self, stmt: &LayerStmt) {
        let name = &stmt.call.name;
        let mut d = Diagnostic::new(codes::UNKNOWN_LAYER, name.span, format!("unknown layer or block `{}`", name.name))
            .label("not a layer or a block");
        let candidates =
            ganc_registry::of_kind(Kind::Layer).map(|s| s.name).chain(self.blocks.keys().map(|k| k.as_str()));
        if let Some(s) = closest(&name.name, candidates) {
            d = d.help(format!("did you mean `{s}`?")).fix(name.span, s);
        } else if let Some(other) = ganc_registry::named(&name.name).next() {
            d = d.help(format!(
                "`{}` is a {}, not a layer; it belongs in its own section",
                other.name,
                other.kind.noun()
            ));
        } else {
            d = d.help("`ganc layers` lists every layer; define a `block` or `import` one for anything else");
        }
        self.diags.push(d);
    }

    fn block_call(
        &mut self,
        def: &BlockDef,
        stmt: &LayerStmt,
        current: Shape,
        scope: &mut Scope,
        env: &Env,
        nodes: &mut Vec<Node>,
    ) -> Shape {
        let call = &stmt.call;
        let duplicate_params =
            def.params.iter().enumerate().any(|(i, p)| def.params[..i].iter().any(|q| q.name.name == p.name.name));
        if self.stack.contains(&def.name.name) || duplicate_params {
            // Reported once at the definition (recursion check, duplicate parameter).
            return Shape::Unknown;
        }
        if self.stack.len() >= MAX_BLOCK_DEPTH {
            self.diags.push(
                Diagnostic::new(
                    codes::NESTING_TOO_DEEP,
                    call.span,
                    format!("blocks call blocks more than {MAX_BLOCK_DEPTH} deep"),
                )
                .label("expansion stops here")
                .help("flatten the chain of blocks; use `repeat N { ... }` for depth"),
            );
            return Shape::Unknown;
        }
        let mut block_env = Env::new();
        let mut block_scope = Scope::default();
        let mut bound: Vec<&str> = Vec::new();
        let mut passed = Vec::new();
        let mut ok = true;
        for (i, arg) in call.args.iter().enumerate() {
            let param = match &arg.name {
                Some(n) => match def.params.iter().find(|p| p.name.name == n.name) {
                    Some(p) => p,
                    None => {
                        let mut d = Diagnostic::new(
                            codes::UNKNOWN_ARGUMENT,
                            n.span,
                            format!("block `{}` has no parameter `{}`", def.name.name, n.name),
                        )
                        .label("unknown parameter")
                        .with_secondary(def.name.span, "block defined here");
                        if let Some(s) = closest(&n.name, def.params.iter().map(|p| p.name.name.as_str())) {
                            d = d.help(format!("did you mean `{s}`?")).fix(n.span, s);
                        }
                        self.diags.push(d);
                        ok = false;
                        continue;
                    }
                },
                None => match def.params.get(i) {
                    Some(p) => p,
                    None => {
                        self.diags.push(
                            Diagnostic::new(
                                codes::TOO_MANY_ARGUMENTS,
                                arg.span,
                                format!(
                                    "block `{}` takes {} argument(s), this is one more",
                                    def.name.name,
                                    def.params.len()
                                ),
                            )
                            .label("extra argument")
                            .with_secondary(def.name.span, "block defined here"),
                        );
                        ok = false;
                        continue;
                    }
                },
            };
            if bound.contains(&param.name.name.as_str()) {
                self.diags.push(
                    Diagnostic::new(
                        codes::DUPLICATE_ARGUMENT,
                        arg.span,
                        format!("argument `{}` given twice", param.name.name),
                    )
                    .label("given again here")
                    .help("remove one of them"),
                );
                ok = false;
                continue;
            }
            bound.push(&param.name.name);
            match eval(&arg.value, env) {
                Ok(Const::Name(n)) => match scope.find(&n) {
                    Some(b) => {
                        b.used = true;
                        block_scope.bindings.push(Binding {
                            name: param.name.name.clone(),
                            shape: b.shape.clone(),
                            span: param.name.span,
                            used: true,
                            warn_unused: false,
                        });
                    }
                    None => {
                        if !self.passed.iter().any(|(m, _, _)| *m == n) {
                            let caller = scope.bindings.iter().map(|b| b.name.clone()).collect();
                            passed.push((n.clone(), arg.span, caller));
                        }
                        block_env.insert(param.name.name.clone(), Const::Name(n));
                    }
                },
                Ok(c) => {
                    block_env.insert(param.name.name.clone(), c);
                }
                Err(d) => {
                    self.diags.push(*d);
                    ok = false;
                }
            }
        }
        for p in &def.params {
            if bound.contains(&p.name.name.as_str()) {
                continue;
            }
            match &p.default {
                Some(e) => match eval(e, &block_env) {
                    Ok(c) => {
                        block_env.insert(p.name.name.clone(), c);
                    }
                    Err(d) => {
                        self.diags.push(*d);
                        ok = false;
                    }
                },
                None => {
                    self.diags.push(
                        Diagnostic::new(
                            codes::MISSING_ARGUMENT,
                            call.span,
                            format!("block `{}` needs its parameter `{}`", def.name.name, p.name.name),
                        )
                        .label(format!("`{}` missing", p.name.name))
                        .with_secondary(p.name.span, "parameter declared here")
                        .help(format!(
                            "pass it: `{}({})`",
                            def.name.name,
                            def.params.iter().map(|p| p.name.name.as_str()).collect::<Vec<_>>().join(", ")
                        )),
                    );
                    ok = false;
                }
            }
        }
        if !ok {
            return Shape::Unknown;
        }
        self.stack.push(def.name.name.clone());
        let passed_before = self.passed.len();
        self.passed.extend(passed);
        let errors_before = self.diags.len();
        let (body, out) = self.body(&def.body, current, &mut block_scope, &block_env);
        self.passed.truncate(passed_before);
        self.stack.pop();
        if self.stack.is_empty() {
            // Errors inside the block body: point at the call they came from as well.
            for d in &mut self.diags[errors_before..] {
                let inside = d.primary.span.file == def.span.file
                    && d.primary.span.start >= def.span.start
                    && d.primary.span.end <= def.span.end;
                if inside {
                    d.secondary
                        .push(ganc_diagnostics::Label { span: call.span, message: "in this call of the block".into() });
                }
            }
        }
        self.warn_unused(&block_scope);
        nodes.push(Node::Block { name: def.name.name.clone(), body, span: call.span });
        out
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

    fn stage(&mut self, stage: &Stage, current: Shape, scope: &mut Scope, env: &Env, st: &mut Stages) -> (Node, Shape) {
        let word = if stage.grows { "grow" } else { "shrink" };
        let r = match eval(&stage.resolution, env) {
            Ok(Const::Int(r)) if r > 0 => r,
            Ok(other) => {
                self.diags.push(
                    Diagnostic::new(
                        codes::OUT_OF_RANGE,
                        stage.resolution.span,
                        format!("a stage resolution must be a positive integer, found {other}"),
                    )
                    .label("not a resolution")
                    .help("write the side length in pixels, e.g. `grow 8`"),
                );
                0
            }
            Err(d) => {
                self.diags.push(*d);
                0
            }
        };
        if self.grows != Some(stage.grows) {
            let (net, want) = if stage.grows { ("discriminator", "shrink") } else { ("generator", "grow") };
            let net = if self.grows.is_none() { "encoder" } else { net };
            self.diags.push(
                Diagnostic::new(
                    codes::PROGRESSIVE_MISPLACED,
                    stage.keyword,
                    format!(
                        "`{word}` stages belong in a {}, not in {} {net}",
                        if stage.grows { "generator" } else { "discriminator" },
                        if net == "encoder" { "an" } else { "a" }
                    ),
                )
                .label("misplaced stage")
                .help(if self.grows.is_none() {
                    "encoders have no progressive stages".to_string()
                } else {
                    format!("a {net} uses `{want}` stages")
                }),
            );
            st.poisoned = true;
            return (
                Node::Stage { grows: stage.grows, resolution: r, body: Vec::new(), head: Vec::new(), span: stage.span },
                Shape::Unknown,
            );
        }
        if st.closed && !st.poisoned {
            self.diags.push(
                Diagnostic::new(
                    codes::PROGRESSIVE_MISPLACED,
                    stage.keyword,
                    "statements stand between two progressive stages",
                )
                .label("this stage follows other statements")
                .help("keep the stages together; put shared layers inside each stage"),
            );
            st.poisoned = true;
        }
        st.closed = false;
        let data_c = self.data_shape.as_ref().and_then(|d| d.first().copied());
        let data_image = |r: i64| data_c.map(|c| Shape::Tensor(vec![c, r, r]));
        let (body, head, out) = if stage.grows {
            if let Some((prev, _)) = &st.last {
                if r != 0 && *prev != 0 && r as i128 != *prev as i128 * 2 {
                    self.diags.push(
                        Diagnostic::new(
                            codes::PROGRESSIVE_STAGES,
                            stage.resolution.span,
                            format!("stages must double: `grow {r}` follows `grow {prev}`"),
                        )
                        .label(format!("expected {}", *prev as i128 * 2))
                        .help(format!("write `grow {}`, or add the missing stages", *prev as i128 * 2)),
                    );
                }
            }
            let (body, mut out) = self.body(&stage.body, current, scope, env);
            if !self.check_resolution(&out, r, stage, "ends at") {
                st.poisoned = true;
                out = Shape::Unknown;
            }
            let (head, image) = self.body(&stage.head, out.clone(), scope, env);
            if let (Some(want), true) = (data_image(r), image != Shape::Unknown && out != Shape::Unknown) {
                if image != want && r != 0 {
                    self.diags.push(
                        Diagnostic::new(
                            codes::PROGRESSIVE_STAGES,
                            stage.head.span,
                            format!("`to_rgb` of stage {r} gives {image}, expected an image {want}"),
                        )
                        .label(format!("gives {image}"))
                        .help(format!(
                            "end the head with the data's {} channel(s), e.g. `conv({}, kernel: 1)`",
                            want.dims().unwrap()[0],
                            want.dims().unwrap()[0]
                        )),
                    );
                    st.poisoned = true;
                }
            }
            st.image = Some(image);
            (body, head, out)
        } else {
            let entry = data_image(r).unwrap_or(Shape::Unknown);
            let (head, from_rgb) = self.body(&stage.head, entry, scope, env);
            let input = match &st.last {
                None => {
                    if let Some(other) = st.opened_late {
                        self.diags.push(
                            Diagnostic::new(
                                codes::PROGRESSIVE_MISPLACED,
                                other,
                                "statements stand before the first `shrink` stage",
                            )
                            .label("runs only at full resolution")
                            .help("move these layers into each stage's `from_rgb` head"),
                        );
                    }
                    if let (Some(&[_, h, _]), true) = (current.dims(), r != 0) {
                        if h != r {
                            self.diags.push(
                                Diagnostic::new(
                                    codes::PROGRESSIVE_STAGES,
                                    stage.resolution.span,
                                    format!(
                                        "the first stage is at {r} x {r}, but the discriminator receives {current}"
                                    ),
                                )
                                .label(format!("expected {h}"))
                                .help("the first `shrink` stage must be at the data's resolution"),
                            );
                            st.poisoned = true;
                        }
                    }
                    from_rgb
                }
                Some((prev, prev_out)) => {
                    if r != 0 && *prev != 0 && r as i128 * 2 != *prev as i128 {
                        self.diags.push(
                            Diagnostic::new(
                                codes::PROGRESSIVE_STAGES,
                                stage.resolution.span,
                                format!("stages must halve: `shrink {r}` follows `shrink {prev}`"),
                            )
                            .label(format!("expected {}", prev / 2))
                            .help(format!("write `shrink {}`, or add the missing stages", prev / 2)),
                        );
                    }
                    if *prev_out != Shape::Unknown && from_rgb != Shape::Unknown && from_rgb != *prev_out {
                        self.diags.push(
                            Diagnostic::new(codes::PROGRESSIVE_STAGES, stage.head.span, format!("`from_rgb` of stage {r} gives {from_rgb}, but the stage before hands on {prev_out}"))
                                .label(format!("gives {from_rgb}"))
                                .help(format!("make the head give {prev_out}, the input of this stage at full training")),
                        );
                    }
                    prev_out.clone()
                }
            };
            let (body, out) = self.body(&stage.body, input, scope, env);
            (body, head, out)
        };
        // A discriminator stage (but the last) must end at half its resolution: checked when
        // the next stage arrives, against that stage's `from_rgb`.
        st.last = Some((r, out.clone()));
        (Node::Stage { grows: stage.grows, resolution: r, body, head, span: stage.span }, out)
    }

    /// Whether the stage's body ends at `r` x `r` (an unknown shape passes); reports if not.
    fn check_resolution(&mut self, out: &Shape, r: i64, stage: &Stage, verb: &str) -> bool {
        if r == 0 {
            return true;
        }
        match out {
            Shape::Unknown => true,
            Shape::Tensor(d) if d.len() == 3 && d[1] == r && d[2] == r => true,
            other => {
                self.diags.push(
                    Diagnostic::new(
                        codes::PROGRESSIVE_STAGES,
                        stage.body.span,
                        format!("stage {r} {verb} {}, not {r} x {r}", describe(other)),
                    )
                    .label(format!("{verb} {other}"))
                    .with_secondary(stage.resolution.span, "the stage's resolution")
                    .help("each generator stage must double the resolution, e.g. `upsample` then convolutions"),
                );
                false
            }
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

/// Checks a layer name inside a block body that may never be called: only that it exists.
pub fn check_block_names(def: &BlockDef, blocks: &HashMap<String, &BlockDef>, diags: &mut Vec<Diagnostic>) {
    for p in &def.params {
        if let Some(Err(d)) = p.default.as_ref().map(|e| eval(e, &Env::new())) {
            if d.code == codes::INTEGER_OVERFLOW {
                diags.push(*d);
            }
        }
    }
    fn visit(body: &Body, blocks: &HashMap<String, &BlockDef>, diags: &mut Vec<Diagnostic>) {
        for stmt in &body.stmts {
            match stmt {
                Stmt::Layer(l) => {
                    let known = blocks.contains_key(&l.call.name.name)
                        || ganc_registry::lookup(Kind::Layer, &l.call.name.name).is_some();
                    if !known {
                        let mut w = Walker::new(blocks, None, None, diags);
                        w.unknown_layer(l);
                    }
                }
                Stmt::Let(l) => {
                    if let Some(src) = &l.source {
                        visit(&src.body, blocks, diags);
                    }
                }
                Stmt::Residual { main, skip, .. } => {
                    visit(main, blocks, diags);
                    if let Some(s) = skip {
                        visit(s, blocks, diags);
                    }
                }
                Stmt::Repeat { body, .. } => visit(body, blocks, diags),
                Stmt::Stage(s) => {
                    visit(&s.body, blocks, diags);
                    visit(&s.head, blocks, diags);
                }
            }
        }
    }
    visit(&def.body, blocks, diags);
}

/// Finds blocks that call themselves through any chain, in time linear in the number of calls;
/// reports each cycle once, at the call that closes it.
pub fn check_recursion(blocks: &HashMap<String, &BlockDef>, diags: &mut Vec<Diagnostic>) {
    fn calls(body: &Body, out: &mut Vec<(String, Span)>) {
        for stmt in &body.stmts {
            match stmt {
                Stmt::Layer(l) => out.push((l.call.name.name.clone(), l.call.name.span)),
                Stmt::Let(l) => {
                    if let Some(src) = &l.source {
                        calls(&src.body, out);
                    }
                }
                Stmt::Residual { main, skip, .. } => {
                    calls(main, out);
                    if let Some(s) = skip {
                        calls(s, out);
                    }
                }
                Stmt::Repeat { body, .. } => calls(body, out),
                Stmt::Stage(s) => {
                    calls(&s.body, out);
                    calls(&s.head, out);
                }
            }
        }
    }
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Active,
        Done,
    }
    let mut names: Vec<&String> = blocks.keys().collect();
    names.sort();
    let edges: HashMap<&str, Vec<(String, Span)>> = names
        .iter()
        .map(|n| {
            let mut out = Vec::new();
            calls(&blocks[*n].body, &mut out);
            out.retain(|(callee, _)| blocks.contains_key(callee));
            (n.as_str(), out)
        })
        .collect();
    let mut state: HashMap<&str, State> = HashMap::new();
    for start in names {
        if state.contains_key(start.as_str()) {
            continue;
        }
        // Iterative depth-first search: (block, index of its next call to follow).
        let mut path: Vec<(&str, usize)> = vec![(start.as_str(), 0)];
        state.insert(start.as_str(), State::Active);
        while let Some((name, next)) = path.last().copied() {
            let out = &edges[name];
            if next == out.len() {
                state.insert(name, State::Done);
                path.pop();
                continue;
            }
            path.last_mut().unwrap().1 += 1;
            let (callee, span) = &out[next];
            match state.get(callee.as_str()) {
                Some(State::Done) => {}
                Some(State::Active) => {
                    let from = path.iter().position(|(n, _)| n == callee).unwrap_or(0);
                    let cycle: Vec<&str> =
                        path[from..].iter().map(|(n, _)| *n).chain(std::iter::once(callee.as_str())).collect();
                    diags.push(
                        Diagnostic::new(
                            codes::RECURSIVE_BLOCK,
                            *span,
                            format!("block `{callee}` calls itself: {}", cycle.join(" -> ")),
                        )
                        .label("recursive call")
                        .with_secondary(blocks[callee].name.span, "block defined here")
                        .help(
                            "blocks are expanded before training and cannot recurse; use `repeat N { ... }` for depth",
                        ),
                    );
                }
                None => {
                    let (callee, _) = blocks.get_key_value(callee).unwrap();
                    state.insert(callee.as_str(), State::Active);
                    path.push((callee.as_str(), 0));
                }
            }
        }
    }
}
