//! The `train { ... }` section: optimizers, EMA, periodic actions, watches and options, one
//! function per kind of entry.

use super::{component, first_section, lookup, lookup_name, positive_steps, unknown_network};
use crate::args::{bind_args, default_value, Args};
use crate::ir::{Component, Network, Train};
use crate::value::{Const, Env};
use ganc_diagnostics::{codes, Diagnostic, FileId, Span};
use ganc_registry::Kind;
use ganc_syntax::ast::{self, Call, Item, NetworkKind, TrainEntry};
use std::collections::HashMap;

/// Checks the `train` section against the networks (`nets`: every declared name); options left
/// out get their defaults.
pub(super) fn section(
    items: &[Item],
    networks: &[Network],
    nets: &HashMap<String, Span>,
    diags: &mut Vec<Diagnostic>,
) -> Train {
    let mut train =
        Train { options: Vec::new(), optimizers: Vec::new(), ema: Vec::new(), every: Vec::new(), watch: Vec::new() };
    let mut seen = Seen::default();
    let mut first_train: Option<Span> = None;
    for item in items {
        let Item::Train(t) = item else { continue };
        if !first_section(&mut first_train, t.span, "`train` section", "train section", "merge them into one", diags) {
            continue;
        }
        for entry in &t.entries {
            match entry {
                TrainEntry::Optimizer { network, optimizer, span } => {
                    if !nets.contains_key(&network.name) {
                        unknown_network(network, nets, diags);
                    }
                    if !seen.once(format!("optimizer {}", network.name), *span, diags) {
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
                    if !seen.once(format!("ema {}", network.name), *span, diags) {
                        continue;
                    }
                    if let Some(net) = networks.iter().find(|n| n.name == network.name) {
                        if net.kind != NetworkKind::Generator {
                            diags.push(ema_not_generator(network, net, networks, decay));
                            continue;
                        }
                    }
                    if let Some(d) = ema(decay, *span, diags) {
                        train.ema.push((network.name.clone(), d));
                    }
                }
                TrainEntry::Watch { items, span } => {
                    if seen.once("watch".into(), *span, diags) {
                        train.watch.extend(watch(items, diags));
                    }
                }
                TrainEntry::Every { action, period, span } => {
                    let Some(spec) = lookup_name(Kind::Periodic, action, diags) else { continue };
                    if !seen.once(format!("{} every", spec.name), *span, diags) {
                        continue;
                    }
                    let n = positive_steps(period, diags);
                    train.every.push((spec.name, n));
                }
                TrainEntry::Option { name, value, span } => {
                    train.options.extend(option(name, value, *span, &mut seen, diags));
                }
                TrainEntry::Call(call) => {
                    train.options.extend(call_option(call, &mut seen, diags));
                }
            }
        }
    }
    fill_defaults(&mut train);
    train
}

/// The entries set so far, to report one set twice.
#[derive(Default)]
struct Seen(HashMap<String, Span>);

impl Seen {
    /// Whether `key` is set for the first time; reports it otherwise.
    fn once(&mut self, key: String, span: Span, diags: &mut Vec<Diagnostic>) -> bool {
        if let Some(first) = self.0.get(&key) {
            diags.push(
                Diagnostic::new(codes::DUPLICATE_DEFINITION, span, format!("`{key}` is set twice"))
                    .label("set again here")
                    .with_secondary(*first, "first set here")
                    .help("keep one of them"),
            );
            return false;
        }
        self.0.insert(key, span);
        true
    }
}

/// `ema D: ...`: EMA averages the weights the samples are drawn with, the generator's.
fn ema_not_generator(name: &ast::Ident, net: &Network, networks: &[Network], decay: &ast::Expr) -> Diagnostic {
    let g = networks.iter().find(|n| n.kind == NetworkKind::Generator).map_or("G", |g| g.name.as_str());
    let mut d = Diagnostic::new(
        codes::NETWORK_SIGNATURE,
        name.span,
        format!("`ema` averages the generator's weights, but `{}` is a {}", net.name, net.kind.keyword()),
    )
    .label(format!("not the generator `{g}`"))
    .help(format!("the averaged weights are the ones samples are drawn with: write `ema {g}: {}`", decay_text(decay)));
    if networks.iter().any(|n| n.name == g) {
        d = d.fix(name.span, g);
    }
    d
}

/// The decay as written, for a help (a number, or `0.999`).
fn decay_text(decay: &ast::Expr) -> String {
    match crate::value::eval(decay, &Env::new()) {
        Ok(c @ (Const::Float(_) | Const::Int(_))) => c.to_string(),
        _ => "0.999".into(),
    }
}

/// `ema NET: decay`: the decay, when valid.
fn ema(decay: &ast::Expr, span: Span, diags: &mut Vec<Diagnostic>) -> Option<f64> {
    let spec = ganc_registry::lookup(Kind::TrainOption, "ema").expect("ema is registered");
    let args = bind_args(spec, &[value_arg(decay)], span, &Env::new(), diags);
    args.get("decay").and_then(Const::as_f64)
}

/// `watch { name(: value), ... }`: each watch, bound.
fn watch(items: &[(ast::Ident, Option<ast::Expr>)], diags: &mut Vec<Diagnostic>) -> Vec<Component> {
    let mut out = Vec::new();
    for (name, value) in items {
        let Some(spec) = lookup_name(Kind::Watch, name, diags) else { continue };
        let args: Vec<ast::Arg> = value.iter().map(value_arg).collect();
        let bound = bind_args(spec, &args, name.span, &Env::new(), diags);
        out.push(Component { name: spec.name, args: bound, span: name.span });
    }
    out
}

/// `name: value`, an option of one value.
fn option(
    name: &ast::Ident,
    value: &ast::Expr,
    span: Span,
    seen: &mut Seen,
    diags: &mut Vec<Diagnostic>,
) -> Option<Component> {
    let spec = lookup_name(Kind::TrainOption, name, diags)?;
    if !seen.once(spec.name.to_string(), span, diags) {
        return None;
    }
    if spec.params.len() != 1 || spec.name == "ema" {
        diags.push(
            Diagnostic::new(
                codes::WRONG_TYPE,
                span,
                format!("`{}` is written as a call, not `{}: value`", spec.name, spec.name),
            )
            .label("written as an option")
            .help(format!(
                "write `{}`",
                if spec.name == "ema" { "ema G: 0.999".to_string() } else { spec.signature() }
            )),
        );
        return None;
    }
    let args = bind_args(spec, &[value_arg(value)], span, &Env::new(), diags);
    Some(Component { name: spec.name, args, span })
}

/// `name(args)`, an option written as a call.
fn call_option(call: &Call, seen: &mut Seen, diags: &mut Vec<Diagnostic>) -> Option<Component> {
    let spec = lookup(Kind::TrainOption, call, diags)?;
    if !seen.once(spec.name.to_string(), call.span, diags) {
        return None;
    }
    if spec.params.len() == 1 && spec.params[0].name == "value" {
        diags.push(
            Diagnostic::new(codes::WRONG_TYPE, call.span, format!("`{}` is written `{}: value`", spec.name, spec.name))
                .label("written as a call")
                .help(format!("write `{}: {}`", spec.name, spec.params[0].default.render().unwrap_or_default())),
        );
        return None;
    }
    Some(component(spec, call, diags))
}

/// Defaults for options left out, so the runtime reads one complete list.
fn fill_defaults(train: &mut Train) {
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
}

/// `value` as a positional argument.
fn value_arg(value: &ast::Expr) -> ast::Arg {
    ast::Arg { name: None, value: value.clone(), span: value.span }
}
