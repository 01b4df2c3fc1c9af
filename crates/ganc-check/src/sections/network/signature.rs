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
    (names, scope)
}
