//! `generator`, `discriminator` and `encoder` sections: their signatures, bodies and outputs.

mod output;
mod scales;
mod signature;

use super::duplicate;
use crate::graph::{stmt_span, Walker};
use crate::ir::{Data, Input, Network, Shape};
use ganc_diagnostics::{codes, Diagnostic, Span};
use ganc_syntax::ast::{self, BlockDef, Item, NetworkKind};
use std::collections::HashMap;

/// What every network is checked against.
pub(super) struct Context<'a> {
    /// The data, when declared and usable.
    pub data: Option<&'a Data>,
    /// Where the data is declared.
    pub data_span: Option<Span>,
    /// The declared latents and conditions.
    pub inputs: &'a [Input],
    /// The blocks the file sees.
    pub blocks: &'a HashMap<String, &'a BlockDef>,
    /// Whether an import failed (unknown layer names may then be its blocks).
    pub import_failed: bool,
    /// The latents an encoder produces (`encoder E(image) -> z`): the codes a BiGAN
    /// discriminator reads beside the data.
    pub codes: Vec<&'a str>,
}

/// The checked networks, with where each name and the generator are declared.
pub(super) struct Networks {
    /// The networks in source order.
    pub list: Vec<Network>,
    /// Each network's name span.
    pub spans: HashMap<String, Span>,
    /// The generator's name span.
    pub generator: Option<Span>,
}

/// Checks every network section: one generator, distinct names, each body and output.
pub(super) fn section(items: &[Item], cx: &Context<'_>, diags: &mut Vec<Diagnostic>) -> Networks {
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
    let mut networks: Vec<Network> = Vec::new();
    let mut net_spans: HashMap<String, Span> = HashMap::new();
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
                        .help(
                            "an experiment has one generator; write StackGAN++'s stacked stages in it (`grow R { ... } \
                             to_rgb { ... }`) and judge each with `discriminator D(image) -> logit at stages: N`",
                        ),
                );
                continue;
            }
            generator_span = Some(net.name.span);
        }
        let outside: Vec<&str> =
            read_from_outside.iter().filter(|(n, _)| *n == net.name.name).map(|(_, v)| v.as_str()).collect();
        networks.push(network(net, cx, &outside, diags));
    }
    Networks { list: networks, spans: net_spans, generator: generator_span }
}

/// Checks one network: its inputs, its body, and its output against what its kind must produce.
fn network(net: &ast::Network, cx: &Context<'_>, read_from_outside: &[&str], diags: &mut Vec<Diagnostic>) -> Network {
    let (names, mut scope) = signature::bind_inputs(net, cx, diags);
    let scales = scales::count(net, cx, diags);
    let errors_before = diags.iter().filter(|d| d.is_error()).count();
    let start = scope.bindings.first().map_or(Shape::Unknown, |b| b.shape.clone());
    let grows = match net.kind {
        NetworkKind::Generator => Some(true),
        NetworkKind::Discriminator => Some(false),
        NetworkKind::Encoder => None,
    };
    let mut walker = Walker::new(cx.blocks, cx.data.map(|d| d.shape.clone()), grows, diags);
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
    let last_stmt =
        output::shaping_span(&body).unwrap_or_else(|| net.body.stmts.last().map_or(net.body.span, stmt_span));
    output::check(net, &output_shape, last_stmt, cx, diags);
    // The coarser scales are checked only when the first is clean: their errors would repeat it.
    let clean = diags.iter().filter(|d| d.is_error()).count() == errors_before;
    let coarser = if clean { scales::coarser(net, cx, scales, diags) } else { Vec::new() };
    Network {
        name: net.name.name.clone(),
        kind: net.kind,
        inputs: names,
        output: out.name.clone(),
        body,
        output_shape,
        coarser,
        stages: scales.stacked.then_some(scales.count),
        span: net.name.span,
    }
}
