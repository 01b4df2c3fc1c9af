//! Checks the top-level sections of the root file and assembles the [`Model`].

use crate::args::{bind, bind_args, default_value, Args};
use crate::graph::{check_block_names, check_recursion, stmt_span, Binding, Scope, Walker};
use crate::ir::{Component, Data, Evaluate, Input, Model, Network, Regularizer, Shape, Train};
use crate::lints;
use crate::load::Parsed;
use crate::suggest::closest;
use crate::value::{eval, Const, Env};
use ganc_diagnostics::{codes, Diagnostic, FileId, Span};
use ganc_registry::{Extra, Kind, Needs, Side, Spec};
use ganc_syntax::ast::{self, BlockDef, Call, InputKind, Item, NetworkKind, TrainEntry};
use std::collections::HashMap;

/// Looks `call` up in the registry as a `kind`, reporting an unknown name with suggestions.
pub(crate) fn lookup(kind: Kind, call: &Call, diags: &mut Vec<Diagnostic>) -> Option<&'static Spec> {
    lookup_name(kind, &call.name, diags)
}

fn lookup_name(kind: Kind, name: &ast::Ident, diags: &mut Vec<Diagnostic>) -> Option<&'static Spec> {
    if let Some(spec) = ganc_registry::lookup(kind, &name.name) {
        return Some(spec);
    }
    let mut d = Diagnostic::new(codes::UNKNOWN_OPTION, name.span, format!("unknown {} `{}`", kind.noun(), name.name))
        .label(format!("not a {}", kind.noun()));
    if let Some(s) = closest(&name.name, ganc_registry::of_kind(kind).map(|s| s.name)) {
        d = d.help(format!("did you mean `{s}`?")).fix(name.span, s);
    } else if let Some(other) = ganc_registry::named(&name.name).next() {
        d = d.help(format!("`{}` is a {}, not a {}", other.name, other.kind.noun(), kind.noun()));
    } else {
        let all: Vec<String> = ganc_registry::of_kind(kind).map(|s| format!("`{}`", s.name)).collect();
        d = d.help(format!("known: {}", all.join(", ")));
    }
    diags.push(d);
    None
}

fn component(spec: &'static Spec, call: &Call, diags: &mut Vec<Diagnostic>) -> Component {
    Component { name: spec.name, args: bind(spec, call, &Env::new(), diags), span: call.span }
}

fn duplicate(what: &str, name: &str, span: Span, first: Span) -> Diagnostic {
    Diagnostic::new(codes::DUPLICATE_DEFINITION, span, format!("{what} `{name}` is defined twice"))
        .label("defined again here")
        .with_secondary(first, "first defined here")
        .help("remove one, or give it another name")
}

/// Collects the blocks visible from file `index`: its own and the ones it imports.
fn visible_blocks<'a>(
    files: &'a [Parsed],
    index: usize,
    diags: &mut Vec<Diagnostic>,
    out: &mut HashMap<String, &'a BlockDef>,
    visiting: &mut Vec<usize>,
) {
    if visiting.contains(&index) {
        return;
    }
    visiting.push(index);
    let file = &files[index];
    let mut imports = file.imports.iter();
    for item in &file.ast.items {
        match item {
            Item::Block(b) => add_block(b, diags, out),
            Item::Import(imp) => {
                let Some(Some(target)) = imports.next() else { continue };
                let mut theirs = HashMap::new();
                visible_blocks(files, *target, diags, &mut theirs, visiting);
                match &imp.names {
                    None => {
                        let mut all: Vec<_> = theirs.into_iter().collect();
                        all.sort_by_key(|(_, b)| (b.span.file, b.span.start));
                        for (_, b) in all {
                            add_block(b, diags, out);
                        }
                    }
                    Some(names) => {
                        for n in names {
                            match theirs.get(&n.name) {
                                Some(b) => add_block(b, diags, out),
                                None => {
                                    let mut d = Diagnostic::new(
                                        codes::UNKNOWN_IMPORT,
                                        n.span,
                                        format!("`{}` defines no block `{}`", imp.path, n.name),
                                    )
                                    .label("not in that file");
                                    match closest(&n.name, theirs.keys().map(|k| k.as_str())) {
                                        Some(s) => d = d.help(format!("did you mean `{s}`?")).fix(n.span, s),
                                        None => {
                                            let mut names: Vec<_> = theirs.keys().map(|k| format!("`{k}`")).collect();
                                            names.sort();
                                            d = d.help(if names.is_empty() {
                                                "that file defines no blocks".into()
                                            } else {
                                                format!("it defines: {}", names.join(", "))
                                            });
                                        }
                                    }
                                    diags.push(d);
                                }
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    visiting.pop();
}

fn add_block<'a>(b: &'a BlockDef, diags: &mut Vec<Diagnostic>, out: &mut HashMap<String, &'a BlockDef>) {
    if let Some(prev) = out.get(&b.name.name) {
        if prev.span != b.span {
            diags.push(duplicate("block", &b.name.name, b.name.span, prev.name.span));
        }
        return;
    }
    if ganc_registry::lookup(Kind::Layer, &b.name.name).is_some() {
        diags.push(
            Diagnostic::new(
                codes::DUPLICATE_DEFINITION,
                b.name.span,
                format!("block `{}` has the name of a built-in layer", b.name.name),
            )
            .label("shadows the layer")
            .help("give the block another name"),
        );
        return;
    }
    for (i, p) in b.params.iter().enumerate() {
        if let Some(first) = b.params[..i].iter().find(|q| q.name.name == p.name.name) {
            diags.push(duplicate("parameter", &p.name.name, p.name.span, first.name.span));
        }
    }
    out.insert(b.name.name.clone(), b);
}

/// Checks the root file (`files[0]`) and builds its model.
pub fn check(files: &[Parsed], diags: &mut Vec<Diagnostic>) -> Option<Model> {
    let root = &files[0];
    let mut blocks = HashMap::new();
    visible_blocks(files, 0, diags, &mut blocks, &mut Vec::new());
    check_recursion(&blocks, diags);
    // After a failed import, unknown layer names may be that file's blocks: stay quiet on them.
    let import_failed = diags.iter().any(|d| matches!(d.code.id, "E0108" | "E0109" | "E0110"));
    let mut defs: Vec<&&BlockDef> = blocks.values().collect();
    defs.sort_by_key(|b| (b.span.file, b.span.start));
    for def in defs.into_iter().filter(|_| !import_failed) {
        check_block_names(def, &blocks, diags);
    }
    let file_start = Span::new(root.id, 0..0);
    let items = &root.ast.items;
    if items.iter().all(|i| matches!(i, Item::Block(_) | Item::Import(_))) && !items.is_empty() {
        // A library of blocks (like `models/std/*.gan`): its blocks are checked, no sections needed.
        return None;
    }

    // ---- data ----
    let mut data: Option<Data> = None;
    let mut data_span: Option<Span> = None;
    for item in items {
        let Item::Data(call) = item else { continue };
        if let Some(first) = data_span {
            diags.push(
                Diagnostic::new(codes::DUPLICATE_DEFINITION, call.span, "a second `data` section")
                    .label("second data source")
                    .with_secondary(first, "first data source")
                    .help("an experiment trains on one data set"),
            );
            continue;
        }
        data_span = Some(call.span);
        let Some(spec) = lookup(Kind::Data, call, diags) else { continue };
        let source = component(spec, call, diags);
        let Some(info) = spec.data() else { continue };
        let shape = match info.shape {
            Some(s) => s.to_vec(),
            None => {
                let size = source.args.int("size");
                vec![source.args.int("channels"), size, size]
            }
        };
        data = Some(Data { source, value: info.value, shape, classes: info.classes, unit_range: info.unit_range });
    }

    // ---- inputs ----
    let mut inputs: Vec<Input> = Vec::new();
    let mut input_spans: HashMap<String, Span> = HashMap::new();
    for item in items {
        let Item::Input(decl) = item else { continue };
        if let Some(first) = input_spans.get(&decl.name.name) {
            diags.push(duplicate("input", &decl.name.name, decl.name.span, *first));
            continue;
        }
        if data.as_ref().is_some_and(|d| d.value == decl.name.name) {
            diags.push(
                Diagnostic::new(
                    codes::DUPLICATE_DEFINITION,
                    decl.name.span,
                    format!("`{}` is the name of the data's value", decl.name.name),
                )
                .label("clashes with the data")
                .with_secondary(data_span.unwrap_or(file_start), "the data is declared here")
                .help("give the input another name"),
            );
            continue;
        }
        input_spans.insert(decl.name.name.clone(), decl.name.span);
        let kind = match decl.kind {
            InputKind::Latent => Kind::Distribution,
            InputKind::Condition => Kind::Condition,
        };
        let Some(spec) = lookup(kind, &decl.source, diags) else {
            inputs.push(Input {
                name: decl.name.name.clone(),
                kind: decl.kind,
                source: unknown_component(decl.source.span),
                shape: Shape::Unknown,
            });
            continue;
        };
        let source = component(spec, &decl.source, diags);
        let shape = match decl.kind {
            InputKind::Latent => {
                let dim = source.args.int("dim");
                if dim > 0 {
                    Shape::Tensor(vec![dim])
                } else {
                    Shape::Unknown
                }
            }
            InputKind::Condition => condition_shape(&source, data.as_ref(), data_span, decl, diags),
        };
        inputs.push(Input { name: decl.name.name.clone(), kind: decl.kind, source, shape });
    }

    // Values of networks that regularizers read from outside (`feature_matching(at: D.features)`).
    let mut read_from_outside: Vec<(String, String)> = Vec::new();
    for item in items {
        let Item::Regularize(r) = item else { continue };
        for call in &r.entries {
            for arg in &call.args {
                if let ast::ExprKind::Path(p) = &arg.value.kind {
                    if p.len() == 2 {
                        read_from_outside.push((p[0].name.clone(), p[1].name.clone()));
                    }
                }
            }
        }
    }

    // ---- networks ----
    let mut networks: Vec<Network> = Vec::new();
    let mut net_spans: HashMap<String, Span> = HashMap::new();
    let mut used_inputs: Vec<String> = Vec::new();
    let mut generator_span: Option<Span> = None;
    for item in items {
        let Item::Network(net) = item else { continue };
        if let Some(first) = net_spans.get(&net.name.name) {
            diags.push(duplicate("network", &net.name.name, net.name.span, *first));
            continue;
        }
        net_spans.insert(net.name.name.clone(), net.name.span);
        if net.kind == NetworkKind::Generator {
            if let Some(first) = generator_span {
                diags.push(
                    Diagnostic::new(codes::NETWORK_SIGNATURE, net.name.span, "a second generator")
                        .label("second generator")
                        .with_secondary(first, "the generator")
                        .help("an experiment has one generator; stacked stages (StackGAN) are not supported yet"),
                );
                continue;
            }
            generator_span = Some(net.name.span);
        }
        let outside: Vec<&str> =
            read_from_outside.iter().filter(|(n, _)| *n == net.name.name).map(|(_, v)| v.as_str()).collect();
        let context = Context { data: data.as_ref(), data_span, inputs: &inputs, blocks: &blocks, import_failed };
        let checked = network(net, &context, &outside, diags);
        used_inputs.extend(checked.inputs.iter().cloned());
        networks.push(checked);
    }

    // Unused inputs.
    for input in inputs.iter().filter(|_| !networks.is_empty()) {
        if !used_inputs.contains(&input.name) {
            if let Some(span) = input_spans.get(&input.name) {
                diags.push(
                    Diagnostic::new(
                        codes::UNUSED_VALUE,
                        *span,
                        format!("the input `{}` is not given to any network", input.name),
                    )
                    .label("declared here, used nowhere")
                    .help(format!("add it to a network's inputs, e.g. `generator G(z, {})`, or remove it", input.name)),
                );
            }
        }
    }

    // ---- loss ----
    let mut loss: Option<Component> = None;
    let mut loss_span: Option<Span> = None;
    for item in items {
        let Item::Loss(call) = item else { continue };
        if let Some(first) = loss_span {
            diags.push(
                Diagnostic::new(codes::DUPLICATE_DEFINITION, call.span, "a second `loss`")
                    .label("second loss")
                    .with_secondary(first, "first loss")
                    .help("an experiment has one adversarial loss; add terms with `regularize`"),
            );
            continue;
        }
        loss_span = Some(call.span);
        if let Some(spec) = lookup(Kind::Loss, call, diags) {
            loss = Some(component(spec, call, diags));
        }
    }

    // ---- regularizers ----
    let mut regularizers = Vec::new();
    for item in items {
        let Item::Regularize(r) = item else { continue };
        let net = networks.iter().find(|n| n.name == r.network.name);
        if net.is_none() && !net_spans.contains_key(&r.network.name) {
            unknown_network(&r.network, &net_spans, diags);
        }
        for call in &r.entries {
            let Some(spec) = lookup(Kind::Regularizer, call, diags) else { continue };
            let comp = component(spec, call, diags);
            if let (Some(net), Extra::Regularizer(side)) = (net, spec.extra) {
                let fits = match side {
                    Side::Both => true,
                    Side::Discriminator => net.kind == NetworkKind::Discriminator,
                    Side::Generator => net.kind == NetworkKind::Generator,
                };
                if !fits {
                    let role = if side == Side::Generator { "generator" } else { "discriminator" };
                    diags.push(
                        Diagnostic::new(
                            codes::NETWORK_SIGNATURE,
                            call.name.span,
                            format!(
                                "`{}` regularizes the {role}, but `{}` is a {}",
                                spec.name,
                                net.name,
                                net.kind.keyword()
                            ),
                        )
                        .label(format!("a {role} regularizer"))
                        .with_secondary(r.network.span, format!("`{}` is a {}", net.name, net.kind.keyword()))
                        .help(format!("move it into `regularize` of the {role}")),
                    );
                }
            }
            if spec.name == "feature_matching" {
                check_feature(&comp, &networks, diags);
            }
            regularizers.push(Regularizer { network: r.network.name.clone(), component: comp });
        }
    }

    // ---- train ----
    let train = train_section(items, &net_spans, diags);

    // ---- evaluate ----
    let mut evaluate = None;
    for item in items {
        let Item::Evaluate(e) = item else { continue };
        let every = positive_steps(&e.period, diags);
        let metrics =
            e.metrics.iter().filter_map(|m| lookup(Kind::Metric, m, diags).map(|s| component(s, m, diags))).collect();
        evaluate = Some(Evaluate { every, metrics });
    }

    // ---- required sections ----
    let mut missing = |what: &str, example: &str| {
        diags.push(
            Diagnostic::new(codes::MISSING_SECTION, file_start, format!("the experiment has no {what}"))
                .label(format!("no {what} in this file"))
                .help(format!("add one, e.g. `{example}`")),
        );
    };
    if data_span.is_none() {
        missing("`data` section", "data mnist(split: train)");
    }
    if generator_span.is_none() {
        missing("generator", "generator G(z) -> image { ... }");
    }
    if !items.iter().any(|i| matches!(i, Item::Network(n) if n.kind == NetworkKind::Discriminator)) {
        missing("discriminator", "discriminator D(image) -> logit { ... }");
    }
    if loss_span.is_none() {
        missing("`loss`", "loss non_saturating");
    }

    let model = Model { data: data?, inputs, networks, loss: loss?, regularizers, train, evaluate };
    lints::check(&model, diags);
    Some(model)
}

fn unknown_component(span: Span) -> Component {
    Component { name: "?", args: Args::default(), span }
}

fn condition_shape(
    source: &Component,
    data: Option<&Data>,
    data_span: Option<Span>,
    decl: &ast::InputDecl,
    diags: &mut Vec<Diagnostic>,
) -> Shape {
    let Some(data) = data else { return Shape::Unknown };
    let Some(classes) = data.classes else {
        diags.push(
            Diagnostic::new(
                codes::UNLABELLED_CONDITION,
                decl.source.span,
                format!("`{}` has no labels to condition on", data.source.name),
            )
            .label("labels of unlabelled data")
            .with_secondary(data_span.unwrap_or(decl.span), "this data set has no class labels")
            .help("use a labelled data set (mnist, fashion_mnist, cifar10) or drop the condition"),
        );
        return Shape::Unknown;
    };
    if let Some(Const::Int(k)) = source.args.get("classes") {
        if *k != classes as i64 {
            diags.push(
                Diagnostic::new(
                    codes::UNLABELLED_CONDITION,
                    source.args.span("classes").unwrap_or(decl.source.span),
                    format!("`{}` has {classes} classes, not {k}", data.source.name),
                )
                .label(format!("{k} classes"))
                .with_secondary(data_span.unwrap_or(decl.span), format!("{classes} classes"))
                .help(format!("write `labels` or `labels(classes: {classes})`")),
            );
        }
    }
    Shape::Labels(classes)
}

fn unknown_network(name: &ast::Ident, nets: &HashMap<String, Span>, diags: &mut Vec<Diagnostic>) {
    let mut d = Diagnostic::new(codes::UNKNOWN_NETWORK, name.span, format!("no network named `{}`", name.name))
        .label("not a network of this file");
    match closest(&name.name, nets.keys().map(|k| k.as_str())) {
        Some(s) => d = d.help(format!("did you mean `{s}`?")).fix(name.span, s),
        None => {
            let mut all: Vec<_> = nets.keys().map(|k| format!("`{k}`")).collect();
            all.sort();
            d = d.help(format!("the networks are: {}", all.join(", ")));
        }
    }
    diags.push(d);
}

fn check_feature(comp: &Component, networks: &[Network], diags: &mut Vec<Diagnostic>) {
    let Some(Const::Path(path)) = comp.args.get("at") else { return };
    let span = comp.args.span("at").unwrap_or(comp.span);
    let Some(net) = networks.iter().find(|n| n.name == path[0]) else {
        diags.push(
            Diagnostic::new(codes::UNKNOWN_FEATURE, span, format!("no network named `{}`", path[0]))
                .label("unknown network")
                .help("name the discriminator and one of its `let` values, e.g. `D.features`"),
        );
        return;
    };
    let mut names = Vec::new();
    collect_lets(&net.body, &mut names);
    if !names.contains(&path[1]) {
        let mut d =
            Diagnostic::new(codes::UNKNOWN_FEATURE, span, format!("`{}` has no value named `{}`", net.name, path[1]))
                .label("no such `let` in that network")
                .with_secondary(net.span, format!("`{}` is defined here", net.name));
        d = match closest(&path[1], names.iter().map(|s| s.as_str())) {
            Some(s) => d.help(format!("did you mean `{}.{s}`?", net.name)),
            None => {
                d.help(format!("name the features in `{}` with `let {}` after the layer to match", net.name, path[1]))
            }
        };
        diags.push(d);
    }
}

fn collect_lets(nodes: &[crate::ir::Node], out: &mut Vec<String>) {
    use crate::ir::Node;
    for n in nodes {
        match n {
            Node::Let { name, .. } => out.push(name.clone()),
            Node::Stage { body, .. } => collect_lets(body, out),
            _ => {}
        }
    }
}

fn positive_steps(expr: &ast::Expr, diags: &mut Vec<Diagnostic>) -> i64 {
    match eval(expr, &Env::new()) {
        Ok(Const::Int(n)) | Ok(Const::Duration(n)) if n > 0 => n,
        Ok(other) => {
            diags.push(
                Diagnostic::new(
                    codes::OUT_OF_RANGE,
                    expr.span,
                    format!("a period must be a positive number of steps, found {other}"),
                )
                .label("not a positive integer")
                .help("write e.g. `every 500 steps`"),
            );
            0
        }
        Err(d) => {
            diags.push(*d);
            0
        }
    }
}

/// What every network is checked against.
struct Context<'a> {
    data: Option<&'a Data>,
    data_span: Option<Span>,
    inputs: &'a [Input],
    blocks: &'a HashMap<String, &'a BlockDef>,
    import_failed: bool,
}

fn network(net: &ast::Network, cx: &Context<'_>, read_from_outside: &[&str], diags: &mut Vec<Diagnostic>) -> Network {
    let (data, data_span, inputs, blocks) = (cx.data, cx.data_span, cx.inputs, cx.blocks);
    let data_value = data.map(|d| d.value);
    let mut scope = Scope::default();
    let mut names = Vec::new();
    for (i, inp) in net.inputs.iter().enumerate() {
        let shape = if Some(inp.name.as_str()) == data_value {
            if net.kind != NetworkKind::Discriminator && net.kind != NetworkKind::Encoder {
                diags.push(
                    Diagnostic::new(
                        codes::NETWORK_SIGNATURE,
                        inp.span,
                        format!("the {} takes the data `{}` as input", net.kind.keyword(), inp.name),
                    )
                    .label("data as a generator input")
                    .help("a generator maps latents (and conditions) to samples: `generator G(z) -> image`"),
                );
            }
            Shape::Tensor(data.map(|d| d.shape.clone()).unwrap_or_default())
        } else if let Some(input) = inputs.iter().find(|x| x.name == inp.name) {
            if net.kind != NetworkKind::Generator && input.kind == InputKind::Latent {
                diags.push(
                    Diagnostic::new(
                        codes::NETWORK_SIGNATURE,
                        inp.span,
                        format!("the {} takes the latent `{}`", net.kind.keyword(), inp.name),
                    )
                    .label("a latent as a discriminator input")
                    .help(format!(
                        "a {} takes the data (`{}`) and optionally conditions",
                        net.kind.keyword(),
                        data_value.unwrap_or("image")
                    )),
                );
            }
            input.shape.clone()
        } else if data.is_none() {
            // No usable data declaration (reported already): its value name is unknown.
            Shape::Unknown
        } else {
            let mut candidates: Vec<&str> = inputs.iter().map(|x| x.name.as_str()).collect();
            candidates.extend(data_value);
            let mut d = Diagnostic::new(codes::UNKNOWN_VALUE, inp.span, format!("no input named `{}`", inp.name))
                .label("not declared");
            d = match closest(&inp.name, candidates.iter().copied()) {
                Some(s) => d.help(format!("did you mean `{s}`?")).fix(inp.span, s),
                None => d.help(format!(
                    "declare it (`latent {0} ~ normal(128)` or `condition {0} ~ labels`); the data's value is `{1}`",
                    inp.name,
                    data_value.unwrap_or("image")
                )),
            };
            diags.push(d);
            Shape::Unknown
        };
        if let Some(first) = net.inputs[..i].iter().find(|p| p.name == inp.name) {
            diags.push(duplicate("input", &inp.name, inp.span, first.span));
            continue;
        }
        names.push(inp.name.clone());
        scope.bindings.push(Binding {
            name: inp.name.clone(),
            shape,
            span: inp.span,
            used: i == 0,
            warn_unused: i > 0,
        });
    }
    let start = scope.bindings.first().map_or(Shape::Unknown, |b| b.shape.clone());
    let grows = match net.kind {
        NetworkKind::Generator => Some(true),
        NetworkKind::Discriminator => Some(false),
        NetworkKind::Encoder => None,
    };
    let mut walker = Walker::new(blocks, data.map(|d| d.shape.clone()), grows, diags);
    walker.quiet_unknown = cx.import_failed;
    let (body, output_shape) = walker.network_body(&net.body, start, &mut scope);
    for b in &mut scope.bindings {
        if read_from_outside.contains(&b.name.as_str()) {
            b.used = true;
        }
    }
    walker.warn_unused(&scope);
    if net.inputs.is_empty() {
        diags.push(
            Diagnostic::new(
                codes::NETWORK_SIGNATURE,
                net.name.span,
                format!("the {} `{}` has no inputs", net.kind.keyword(), net.name.name),
            )
            .label("no inputs")
            .help(match net.kind {
                NetworkKind::Generator => "give it a latent: `generator G(z) -> image`",
                _ => "give it the data: `discriminator D(image) -> logit`",
            }),
        );
    }
    // The output annotation, checked against the last statement.
    let out = &net.output;
    let last_stmt = shaping_span(&body).unwrap_or_else(|| net.body.stmts.last().map_or(net.body.span, stmt_span));
    match net.kind {
        NetworkKind::Generator => {
            if let Some(data) = data {
                if out.name != data.value {
                    diags.push(
                        Diagnostic::new(
                            codes::NETWORK_SIGNATURE,
                            out.span,
                            format!("the generator must produce the data's value `{}`, not `{}`", data.value, out.name),
                        )
                        .label("not the data")
                        .with_secondary(
                            data_span.unwrap_or(out.span),
                            format!("the data's samples are `{}`", data.value),
                        )
                        .help(format!("write `-> {}`", data.value))
                        .fix(out.span, data.value),
                    );
                } else if let Shape::Tensor(d) = &output_shape {
                    if *d != data.shape {
                        diags.push(
                            Diagnostic::new(
                                codes::GENERATOR_OUTPUT,
                                last_stmt,
                                format!(
                                    "the generator gives {} but the data are {}",
                                    output_shape,
                                    Shape::Tensor(data.shape.clone())
                                ),
                            )
                            .label(format!("`{}` reaches {} here", net.name.name, output_shape))
                            .with_secondary(
                                data_span.unwrap_or(out.span),
                                format!("`{}` samples are {}", data.source.name, Shape::Tensor(data.shape.clone())),
                            )
                            .help(g_output_help(&output_shape, &data.shape)),
                        );
                    }
                }
            }
        }
        NetworkKind::Discriminator => {
            let wanted = match out.name.as_str() {
                "logit" | "score" => Some(Shape::Tensor(vec![1])),
                "logits" => data.and_then(|d| d.classes).map(|k| Shape::Tensor(vec![1 + k as i64])),
                v if Some(v) == data_value => data.map(|d| Shape::Tensor(d.shape.clone())),
                _ => {
                    diags.push(
                        Diagnostic::new(codes::NETWORK_SIGNATURE, out.span, format!("unknown discriminator output `{}`", out.name))
                            .label("not an output kind")
                            .help(format!(
                                "use `logit` (one score per sample), `logits` (score and class logits) or `{}` (an autoencoder, for BEGAN)",
                                data_value.unwrap_or("image")
                            )),
                    );
                    None
                }
            };
            if out.name == "logits" && data.is_some_and(|d| d.classes.is_none()) {
                diags.push(
                    Diagnostic::new(
                        codes::UNLABELLED_CONDITION,
                        out.span,
                        "`logits` needs class labels, but the data have none",
                    )
                    .label("class logits of unlabelled data")
                    .with_secondary(data_span.unwrap_or(out.span), "no labels")
                    .help("use `-> logit`, or a labelled data set"),
                );
            }
            if let (Some(w), Shape::Tensor(_)) = (&wanted, &output_shape) {
                if *w != output_shape {
                    diags.push(
                        Diagnostic::new(
                            codes::DISCRIMINATOR_OUTPUT,
                            last_stmt,
                            format!(
                                "`-> {}` needs {} per sample, but `{}` gives {}",
                                out.name, w, net.name.name, output_shape
                            ),
                        )
                        .label(format!("ends at {output_shape}"))
                        .with_secondary(out.span, format!("declared output {w}"))
                        .help(
                            match (output_shape.dims().map(|d| d.len()), w.dims().map(|d| d.len())) {
                                (Some(3), Some(1)) => {
                                    format!("end with `flatten` and `linear({})`", w.dims().unwrap()[0])
                                }
                                _ => format!("end with `linear({})`", w.dims().map_or(1, |d| d[0])),
                            },
                        ),
                    );
                }
            }
        }
        NetworkKind::Encoder => match inputs.iter().find(|i| i.name == out.name && i.kind == InputKind::Latent) {
            Some(latent) => {
                if output_shape != Shape::Unknown && latent.shape != Shape::Unknown && output_shape != latent.shape {
                    diags.push(
                        Diagnostic::new(
                            codes::SHAPES_DIFFER,
                            last_stmt,
                            format!(
                                "the encoder gives {} but the latent `{}` is {}",
                                output_shape, out.name, latent.shape
                            ),
                        )
                        .label(format!("ends at {output_shape}"))
                        .help(format!("end with `linear({})`", latent.shape.dims().map_or(1, |d| d[0]))),
                    );
                }
            }
            None => diags.push(
                Diagnostic::new(
                    codes::NETWORK_SIGNATURE,
                    out.span,
                    format!("an encoder must produce a latent, and `{}` is none", out.name),
                )
                .label("not a latent")
                .help("name a declared latent: `encoder E(image) -> z`"),
            ),
        },
    }
    Network {
        name: net.name.name.clone(),
        kind: net.kind,
        inputs: names,
        output: out.name.clone(),
        body,
        output_shape,
        span: net.name.span,
    }
}

/// The span of the last top-level statement that changed the shape: where a wrong output
/// shape was made.
fn shaping_span(nodes: &[crate::ir::Node]) -> Option<Span> {
    use crate::ir::Node;
    nodes.iter().rev().find_map(|n| match n {
        Node::Layer(l) if l.input != l.output || !preserves_shape(l.name) => Some(l.span),
        Node::Block { span, .. } | Node::Residual { span, .. } | Node::Stage { span, .. } => Some(*span),
        _ => None,
    })
}

/// Whether the layer `name` always keeps its input's shape (activations, normalizations).
fn preserves_shape(name: &str) -> bool {
    ganc_registry::lookup(Kind::Layer, name).and_then(|s| s.layer).is_some_and(|l| l.shape.preserves_shape())
}

fn g_output_help(got: &Shape, want: &[i64]) -> String {
    match got.dims() {
        Some(d) if d.len() == 3 && want.len() == 3 && d[1..] == want[1..] => format!(
            "end with {} channel(s): e.g. the last `deconv({}, ...)` or `conv({}, ...)`",
            want[0], want[0], want[0]
        ),
        Some(d) if d.len() == 3 && want.len() == 3 => format!(
            "the resolution is {}x{} but must be {}x{}: check the strides, paddings and upsampling",
            d[1], d[2], want[1], want[2]
        ),
        Some(d) if d.len() == 1 && want.len() == 1 => format!("end with `linear({})`", want[0]),
        Some(d) if d.len() == 1 && Shape::Tensor(want.to_vec()).numel().is_some() => format!(
            "end with `linear({})` and `reshape({})`",
            Shape::Tensor(want.to_vec()).numel().unwrap_or_default(),
            want.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", ")
        ),
        _ => "make the last layers produce the data's shape".into(),
    }
}

fn train_section(items: &[Item], nets: &HashMap<String, Span>, diags: &mut Vec<Diagnostic>) -> Train {
    let mut train =
        Train { options: Vec::new(), optimizers: Vec::new(), ema: Vec::new(), every: Vec::new(), watch: Vec::new() };
    let mut seen: HashMap<String, Span> = HashMap::new();
    let mut first_train: Option<Span> = None;
    let mut once = |key: String, span: Span, diags: &mut Vec<Diagnostic>| -> bool {
        if let Some(first) = seen.get(&key) {
            diags.push(
                Diagnostic::new(codes::DUPLICATE_DEFINITION, span, format!("`{key}` is set twice"))
                    .label("set again here")
                    .with_secondary(*first, "first set here")
                    .help("keep one of them"),
            );
            return false;
        }
        seen.insert(key, span);
        true
    };
    for item in items {
        let Item::Train(t) = item else { continue };
        if let Some(first) = first_train {
            diags.push(
                Diagnostic::new(codes::DUPLICATE_DEFINITION, t.span, "a second `train` section")
                    .label("second train section")
                    .with_secondary(first, "first train section")
                    .help("merge them into one"),
            );
            continue;
        }
        first_train = Some(t.span);
        for entry in &t.entries {
            match entry {
                TrainEntry::Optimizer { network, optimizer, span } => {
                    if !nets.contains_key(&network.name) {
                        unknown_network(network, nets, diags);
                    }
                    if !once(format!("optimizer {}", network.name), *span, diags) {
                        continue;
                    }
                    if let Some(spec) = lookup(Kind::Optimizer, optimizer, diags) {
                        train.optimizers.push((network.name.clone(), component(spec, optimizer, diags)));
                    }
                }
                TrainEntry::Ema { network, decay, span } => {
                    if !nets.contains_key(&network.name) {
                        unknown_network(network, nets, diags);
                    }
                    if !once(format!("ema {}", network.name), *span, diags) {
                        continue;
                    }
                    let spec = ganc_registry::lookup(Kind::TrainOption, "ema").expect("ema is registered");
                    let args = bind_args(spec, &[value_arg(decay)], *span, &Env::new(), diags);
                    if let Some(d) = args.get("decay").and_then(Const::as_f64) {
                        train.ema.push((network.name.clone(), d));
                    }
                }
                TrainEntry::Watch { items, span } => {
                    if !once("watch".into(), *span, diags) {
                        continue;
                    }
                    for (name, value) in items {
                        let Some(spec) = lookup_name(Kind::Watch, name, diags) else { continue };
                        let args: Vec<ast::Arg> = value.iter().map(value_arg).collect();
                        let bound = bind_args(spec, &args, name.span, &Env::new(), diags);
                        train.watch.push(Component { name: spec.name, args: bound, span: name.span });
                    }
                }
                TrainEntry::Every { action, period, span } => {
                    let Some(spec) = lookup_name(Kind::Periodic, action, diags) else { continue };
                    if !once(format!("{} every", spec.name), *span, diags) {
                        continue;
                    }
                    let n = positive_steps(period, diags);
                    train.every.push((spec.name, n));
                }
                TrainEntry::Option { name, value, span } => {
                    let Some(spec) = lookup_name(Kind::TrainOption, name, diags) else { continue };
                    if !once(spec.name.to_string(), *span, diags) {
                        continue;
                    }
                    if spec.params.len() != 1 || spec.name == "ema" {
                        diags.push(
                            Diagnostic::new(
                                codes::WRONG_TYPE,
                                *span,
                                format!("`{}` is written as a call, not `{}: value`", spec.name, spec.name),
                            )
                            .label("written as an option")
                            .help(format!(
                                "write `{}`",
                                if spec.name == "ema" { "ema G: 0.999".to_string() } else { spec.signature() }
                            )),
                        );
                        continue;
                    }
                    let args = bind_args(spec, &[value_arg(value)], *span, &Env::new(), diags);
                    train.options.push(Component { name: spec.name, args, span: *span });
                }
                TrainEntry::Call(call) => {
                    let Some(spec) = lookup(Kind::TrainOption, call, diags) else { continue };
                    if !once(spec.name.to_string(), call.span, diags) {
                        continue;
                    }
                    if spec.params.len() == 1 && spec.params[0].name == "value" {
                        diags.push(
                            Diagnostic::new(
                                codes::WRONG_TYPE,
                                call.span,
                                format!("`{}` is written `{}: value`", spec.name, spec.name),
                            )
                            .label("written as a call")
                            .help(format!(
                                "write `{}: {}`",
                                spec.name,
                                spec.params[0].default.render().unwrap_or_default()
                            )),
                        );
                        continue;
                    }
                    train.options.push(component(spec, call, diags));
                }
            }
        }
    }
    // Defaults for options left out, so the runtime reads one complete list.
    for spec in ganc_registry::of_kind(Kind::TrainOption) {
        if spec.params.len() == 1 && spec.params[0].name == "value" && train.option(spec.name).is_none() {
            if let Some(v) = default_value(&spec.params[0]) {
                train.options.push(Component {
                    name: spec.name,
                    args: Args { values: vec![("value", v)], spans: Vec::new() },
                    span: Span::new(FileId(0), 0..0),
                });
            }
        }
    }
    train
}

fn value_arg(value: &ast::Expr) -> ast::Arg {
    ast::Arg { name: None, value: value.clone(), span: value.span }
}

/// Whether the model's loss is one D must see as `needs`.
pub(crate) fn loss_needs(model: &Model) -> Option<Needs> {
    ganc_registry::lookup(Kind::Loss, model.loss.name).and_then(|s| s.loss()).map(|l| l.needs)
}
