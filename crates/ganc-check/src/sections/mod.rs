//! Checks the top-level sections of the root file and assembles the [`Model`]: one module per
//! section, in the order [`check`] visits them, and the helpers they share.

mod blocks;
mod data;
mod evaluate;
mod inputs;
mod loss;
mod network;
mod regularize;
mod train;

pub(crate) use evaluate::class_accuracy as evaluate_class_accuracy;

use crate::args::{bind, Args};
use crate::graph::{check_block_names, check_recursion};
use crate::ir::{Component, Model};
use crate::load::Parsed;
use crate::suggest::closest;
use crate::value::{eval, Const, Env};
use crate::{lints, trainable};
use ganc_diagnostics::{codes, Diagnostic, Span};
use ganc_registry::{Kind, Needs, Spec};
use ganc_syntax::ast::{self, BlockDef, Call, Item, NetworkKind};
use std::collections::HashMap;

/// Looks `call` up in the registry as a `kind`, reporting an unknown name with suggestions.
pub(crate) fn lookup(kind: Kind, call: &Call, diags: &mut Vec<Diagnostic>) -> Option<&'static Spec> {
    lookup_name(kind, &call.name, diags)
}

/// Looks `name` up in the registry as a `kind`, reporting an unknown name with suggestions.
fn lookup_name(kind: Kind, name: &ast::Ident, diags: &mut Vec<Diagnostic>) -> Option<&'static Spec> {
    if let Some(spec) = ganc_registry::lookup(kind, &name.name) {
        return Some(spec);
    }
    let mut d = Diagnostic::new(codes::UNKNOWN_OPTION, name.span, format!("unknown {} `{}`", kind.noun(), name.name))
        .label(format!("not a {}", kind.noun()));
    if let Some(s) = closest(&name.name, ganc_registry::of_kind(kind).map(|s| s.name)) {
        d = d.help(format!("did you mean `{s}`?")).fix(name.span, s);
    } else {
        let all: Vec<String> = ganc_registry::of_kind(kind).map(|s| format!("`{}`", s.name)).collect();
        let known = format!("known: {}", all.join(", "));
        d = d.help(match ganc_registry::named(&name.name).next() {
            Some(other) => format!("`{}` is a {}, not a {}; {known}", other.name, other.kind.noun(), kind.noun()),
            None => known,
        });
    }
    diags.push(d);
    None
}

/// Binds `call`'s arguments against `spec`.
fn component(spec: &'static Spec, call: &Call, diags: &mut Vec<Diagnostic>) -> Component {
    Component { name: spec.name, args: bind(spec, call, &Env::new(), diags), span: call.span }
}

/// The error for a name defined twice.
fn duplicate(what: &str, name: &str, span: Span, first: Span) -> Diagnostic {
    Diagnostic::new(codes::DUPLICATE_DEFINITION, span, format!("{what} `{name}` is defined twice"))
        .label("defined again here")
        .with_secondary(first, "first defined here")
        .help("remove one, or give it another name")
}

/// Records the first `what` section at `span`; for a later one, reports it as a second
/// (`noun` names the two in their labels) and returns `false`, so the caller skips it.
fn first_section(
    seen: &mut Option<Span>,
    span: Span,
    what: &str,
    noun: &str,
    help: &str,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    let Some(first) = *seen else {
        *seen = Some(span);
        return true;
    };
    diags.push(
        Diagnostic::new(codes::DUPLICATE_DEFINITION, span, format!("a second {what}"))
            .label(format!("second {noun}"))
            .with_secondary(first, format!("first {noun}"))
            .help(help),
    );
    false
}

/// Checks the root file (`files[0]`) and builds its model.
pub fn check(files: &[Parsed], diags: &mut Vec<Diagnostic>) -> Option<Model> {
    let root = &files[0];
    let mut blocks = HashMap::new();
    blocks::visible_blocks(files, 0, diags, &mut blocks, &mut Vec::new());
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

    let (data, data_span) = data::section(items, diags);
    let inputs = inputs::section(items, data.as_ref(), data_span, file_start, diags);
    let codes = items
        .iter()
        .filter_map(|i| match i {
            Item::Network(n) if n.kind == ganc_syntax::ast::NetworkKind::Encoder => Some(n.output.name.as_str()),
            _ => None,
        })
        .collect();
    let context = network::Context {
        data: data.as_ref(),
        data_span,
        inputs: &inputs.list,
        blocks: &blocks,
        import_failed,
        codes,
    };
    let networks = network::section(items, &context, diags);
    inputs::warn_unused(&inputs, &networks.list, diags);
    let (loss, loss_span) = loss::section(items, diags);
    let regularizers = regularize::section(items, &networks.list, &networks.spans, diags);
    let train = train::section(items, &networks.list, &networks.spans, diags);
    let evaluate = evaluate::section(items, diags);
    if let (Some(e), Some(d)) = (&evaluate, &data) {
        evaluate::fits_data(e, d, diags);
    }

    // Required sections.
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
    if networks.generator.is_none() {
        missing("generator", "generator G(z) -> image { ... }");
    }
    if !items.iter().any(|i| matches!(i, Item::Network(n) if n.kind == NetworkKind::Discriminator)) {
        missing("discriminator", "discriminator D(image) -> logit { ... }");
    }
    if loss_span.is_none() {
        missing("`loss`", "loss non_saturating");
    }

    let model =
        Model { data: data?, inputs: inputs.list, networks: networks.list, loss: loss?, regularizers, train, evaluate };
    lints::check(&model, diags);
    if !diags.iter().any(Diagnostic::is_error) {
        // What `ganc train` would refuse matters once the model is valid.
        trainable::check(&model, diags);
    }
    Some(model)
}

/// A placeholder for a component whose name is unknown (already reported).
fn unknown_component(span: Span) -> Component {
    Component { name: "?", args: Args::default(), span }
}

/// Reports a name that is no network of the file, with a suggestion.
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

/// Evaluates a period: a positive number of steps (0 after an error).
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

/// Whether the model's loss is one D must see as `needs`.
pub(crate) fn loss_needs(model: &Model) -> Option<Needs> {
    ganc_registry::lookup(Kind::Loss, model.loss.name).and_then(|s| s.loss()).map(|l| l.needs)
}
