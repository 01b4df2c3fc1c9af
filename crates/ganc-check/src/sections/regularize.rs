//! `regularize NET { ... }` sections: penalties and normalizations, each on the side it fits.

use super::{component, lookup, unknown_network};
use crate::ir::{Component, Network, Regularizer};
use crate::suggest::closest;
use crate::value::Const;
use ganc_diagnostics::{codes, Diagnostic, Span};
use ganc_registry::{Kind, Side};
use ganc_syntax::ast::{Item, NetworkKind};
use std::collections::HashMap;

/// Checks every `regularize` section against the checked networks.
pub(super) fn section(
    items: &[Item],
    networks: &[Network],
    net_spans: &HashMap<String, Span>,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Regularizer> {
    let mut regularizers = Vec::new();
    for item in items {
        let Item::Regularize(r) = item else { continue };
        let net = networks.iter().find(|n| n.name == r.network.name);
        if net.is_none() && !net_spans.contains_key(&r.network.name) {
            unknown_network(&r.network, net_spans, diags);
        }
        for call in &r.entries {
            let Some(spec) = lookup(Kind::Regularizer, call, diags) else { continue };
            let comp = component(spec, call, diags);
            if let (Some(net), Some(side)) = (net, spec.side()) {
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
                check_feature(&comp, networks, diags);
            }
            regularizers.push(Regularizer { network: r.network.name.clone(), component: comp });
        }
    }
    regularizers
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
