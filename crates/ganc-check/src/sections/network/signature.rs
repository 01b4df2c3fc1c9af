//! A network's inputs: the data, latents and conditions it takes, bound as its first values.

use super::Context;
use crate::graph::{Binding, Scope};
use crate::ir::Shape;
use crate::sections::duplicate;
use crate::suggest::closest;
use ganc_diagnostics::{codes, Diagnostic};
use ganc_syntax::ast::{self, InputKind, NetworkKind};

/// Binds the network's inputs in a new scope, checking each is one this kind of network takes;
/// returns their names and the scope.
pub(super) fn bind_inputs(net: &ast::Network, cx: &Context<'_>, diags: &mut Vec<Diagnostic>) -> (Vec<String>, Scope) {
    let (data, inputs) = (cx.data, cx.inputs);
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
            // BiGAN: D scores (x, z) pairs, z an encoder's code of x or G's latent.
            let code = net.kind == NetworkKind::Discriminator && i > 0 && cx.codes.contains(&inp.name.as_str());
            // A stochastic encoder (ALI, AVB) draws its noise from a latent after the data.
            let noise = net.kind == NetworkKind::Encoder && i > 0;
            if net.kind != NetworkKind::Generator && input.kind == InputKind::Latent && !code && !noise {
                diags.push(
                    Diagnostic::new(
                        codes::NETWORK_SIGNATURE,
                        inp.span,
                        format!("the {} takes the latent `{}`", net.kind.keyword(), inp.name),
                    )
                    .label(format!("a latent as an input of the {}", net.kind.keyword()))
                    .help(format!(
                        "a {kind} takes the data (`{data}`) and optionally conditions; a discriminator reads a \
                         latent only after the data, as the code of an encoder (BiGAN: `encoder E({data}) -> {name}`)",
                        kind = net.kind.keyword(),
                        data = data_value.unwrap_or("image"),
                        name = inp.name
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
    data_first(net, cx, diags);
    one_condition(net, cx, diags);
    (names, scope)
}

/// A generator takes at most one condition: the trainer draws one set of class labels per batch
/// and shows the discriminator those, so a second condition would be drawn and never judged.
fn one_condition(net: &ast::Network, cx: &Context<'_>, diags: &mut Vec<Diagnostic>) {
    if net.kind != NetworkKind::Generator {
        return;
    }
    let is_condition = |name: &str| cx.inputs.iter().any(|x| x.name == name && x.kind == InputKind::Condition);
    let mut conditions = net.inputs.iter().filter(|i| is_condition(&i.name));
    let (Some(first), Some(extra)) = (conditions.next(), conditions.next()) else { return };
    diags.push(
        Diagnostic::new(
            codes::NETWORK_SIGNATURE,
            extra.span,
            format!("the generator takes a second condition `{}`", extra.name),
        )
        .label("a second condition")
        .with_secondary(first.span, "the condition the discriminator sees")
        .help(format!(
            "the trainer draws one set of class labels per batch and shows D those: keep `{}` only",
            first.name
        )),
    );
}

/// A discriminator or an encoder takes the data first (the trainer feeds it there), then any
/// conditions.
fn data_first(net: &ast::Network, cx: &Context<'_>, diags: &mut Vec<Diagnostic>) {
    let (Some(data), Some(first)) = (cx.data, net.inputs.first()) else { return };
    let known = |name: &str| name == data.value || cx.inputs.iter().any(|x| x.name == name);
    if net.kind == NetworkKind::Generator || !net.inputs.iter().all(|i| known(&i.name)) {
        // Unknown names are reported already.
        return;
    }
    if first.name == data.value {
        if let Some(extra) = net.inputs.get(2).filter(|_| net.kind == NetworkKind::Discriminator) {
            diags.push(
                Diagnostic::new(
                    codes::NETWORK_SIGNATURE,
                    extra.span,
                    "a discriminator takes the data and at most one condition",
                )
                .label("a third input")
                .help(format!(
                    "the trainer feeds D the samples and their class labels: `discriminator {}({}, {}) -> {}`",
                    net.name.name, data.value, net.inputs[1].name, net.output.name
                )),
            );
        }
        return;
    }
    let mut order: Vec<&str> = vec![data.value];
    order.extend(net.inputs.iter().map(|i| i.name.as_str()).filter(|n| *n != data.value));
    let right = format!("{} {}({}) -> {}", net.kind.keyword(), net.name.name, order.join(", "), net.output.name);
    let d = match net.inputs.iter().find(|i| i.name == data.value) {
        Some(late) => Diagnostic::new(
            codes::NETWORK_SIGNATURE,
            late.span,
            format!("the {} must take the data `{}` as its first input", net.kind.keyword(), data.value),
        )
        .label("the data come after another input")
        .with_secondary(first.span, "first input")
        .help(format!("put the data first, then the conditions: `{right}`")),
        None => Diagnostic::new(
            codes::NETWORK_SIGNATURE,
            first.span,
            format!("the {} does not take the data `{}`", net.kind.keyword(), data.value),
        )
        .label("the data must be the first input")
        .help(format!("the trainer feeds the samples to the first input: `{right}`")),
    };
    diags.push(d);
}
