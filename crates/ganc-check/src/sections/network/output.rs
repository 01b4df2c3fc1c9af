//! A network's declared output (`-> image`, `-> logit`, `-> z`), checked against the shape
//! its body ends at.

use super::Context;
use crate::ir::{Node, Shape};
use crate::suggest::closest;
use ganc_diagnostics::{codes, Diagnostic, Span};
use ganc_registry::{Kind, Needs};
use ganc_syntax::ast::{self, InputKind, NetworkKind};

/// Checks the output `net` declares against `output_shape`, where its body ends (made at
/// `last_stmt`).
pub(super) fn check(
    net: &ast::Network,
    output_shape: &Shape,
    last_stmt: Span,
    cx: &Context<'_>,
    diags: &mut Vec<Diagnostic>,
) {
    match net.kind {
        NetworkKind::Generator => generator(net, output_shape, last_stmt, cx, diags),
        NetworkKind::Discriminator => discriminator(net, output_shape, last_stmt, cx, diags),
        NetworkKind::Encoder => encoder(net, output_shape, last_stmt, cx, diags),
    }
}

/// A generator produces the data's value, at the data's shape.
fn generator(net: &ast::Network, output_shape: &Shape, last_stmt: Span, cx: &Context<'_>, diags: &mut Vec<Diagnostic>) {
    let (data, data_span, out) = (cx.data, cx.data_span, &net.output);
    if let Some(data) = data {
        if out.name != data.value {
            diags.push(
                Diagnostic::new(
                    codes::NETWORK_SIGNATURE,
                    out.span,
                    format!("the generator must produce the data's value `{}`, not `{}`", data.value, out.name),
                )
                .label("not the data")
                .with_secondary(data_span.unwrap_or(out.span), format!("the data's samples are `{}`", data.value))
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
                    .help(g_output_help(output_shape, &data.shape)),
                );
            }
        }
    }
}

/// A discriminator produces a score (`logit`, `score`), score and class logits (`logits`), or
/// the data again (an autoencoder, for BEGAN).
fn discriminator(
    net: &ast::Network,
    output_shape: &Shape,
    last_stmt: Span,
    cx: &Context<'_>,
    diags: &mut Vec<Diagnostic>,
) {
    let (data, data_span, out) = (cx.data, cx.data_span, &net.output);
    let data_value = data.map(|d| d.value);
    let gives = ganc_registry::lookup(Kind::Output, &out.name).and_then(|s| s.output());
    let wanted = match gives {
        Some(Needs::Score) => Some(Shape::Tensor(vec![1])),
        // Any map of one channel: its side depends on the image's, and on the scale.
        Some(Needs::Patch) => match output_shape.dims() {
            Some([1, h, w]) => Some(Shape::Tensor(vec![1, *h, *w])),
            Some([_, h, w]) => Some(Shape::Tensor(vec![1, *h, *w])),
            _ => Some(Shape::Tensor(vec![1, 1, 1])),
        },
        Some(Needs::Joint) => Some(Shape::Tensor(vec![2])),
        Some(Needs::ScoreAndClasses) => data.and_then(|d| d.classes).map(|k| Shape::Tensor(vec![1 + k as i64])),
        Some(Needs::Classes) => data.and_then(|d| d.classes).map(|k| Shape::Tensor(vec![k as i64])),
        Some(Needs::Reconstruction) => data.map(|d| Shape::Tensor(d.shape.clone())),
        None if data_value == Some(out.name.as_str()) => data.map(|d| Shape::Tensor(d.shape.clone())),
        None => {
            diags.push(unknown_output(&out.name, out.span, data_value.unwrap_or("image")));
            None
        }
    };
    if gives == Some(Needs::Joint) && net.inputs.len() < 2 {
        diags.push(
            Diagnostic::new(
                codes::NETWORK_SIGNATURE,
                out.span,
                format!("`-> joint` needs a conditional score, but `{}` reads no condition", net.name.name),
            )
            .label("a joint output of an unconditional discriminator")
            .with_secondary(net.name.span, "reads only the samples")
            .help(format!(
                "give `{}` the condition (`discriminator {}(image, y) -> joint`), or declare `-> logit`",
                net.name.name, net.name.name
            )),
        );
    }
    let classifies = matches!(gives, Some(Needs::ScoreAndClasses | Needs::Classes));
    if classifies && data.is_some_and(|d| d.classes.is_none()) {
        diags.push(
            Diagnostic::new(
                codes::UNLABELLED_CONDITION,
                out.span,
                format!("`{}` needs class labels, but the data have none", out.name),
            )
            .label("class logits of unlabelled data")
            .with_secondary(data_span.unwrap_or(out.span), "no labels")
            .help("use `-> logit`, or a labelled data set"),
        );
    }
    if let (Some(w), Shape::Tensor(_)) = (&wanted, &output_shape) {
        if w != output_shape {
            diags.push(
                Diagnostic::new(
                    codes::DISCRIMINATOR_OUTPUT,
                    last_stmt,
                    format!("`-> {}` needs {} per sample, but `{}` gives {}", out.name, w, net.name.name, output_shape),
                )
                .label(format!("ends at {output_shape}"))
                .with_secondary(out.span, format!("declared output {w}"))
                .help(match (output_shape.dims().map(|d| d.len()), w.dims().map(|d| d.len())) {
                    (_, Some(3)) => {
                        "end with a convolution to one channel, e.g. `conv(1, kernel: 3, padding: 1)`".into()
                    }
                    (Some(3), Some(1)) => {
                        format!("end with `flatten` and `linear({})`", w.dims().unwrap()[0])
                    }
                    _ => format!("end with `linear({})`", w.dims().map_or(1, |d| d[0])),
                }),
            );
        }
    }
}

/// A discriminator output that is neither a registered one nor the data's value.
fn unknown_output(name: &str, span: Span, data_value: &str) -> Diagnostic {
    let outputs = || ganc_registry::of_kind(Kind::Output);
    let d = Diagnostic::new(codes::NETWORK_SIGNATURE, span, format!("unknown discriminator output `{name}`"))
        .label("not an output kind");
    if let Some(s) = closest(name, outputs().map(|s| s.name).chain(std::iter::once(data_value))) {
        return d.help(format!("did you mean `{s}`?")).fix(span, s);
    }
    let mut groups: Vec<(Needs, Vec<String>)> = Vec::new();
    for s in outputs() {
        let Some(gives) = s.output() else { continue };
        match groups.iter_mut().find(|(n, _)| *n == gives) {
            Some((_, names)) => names.push(format!("`{}`", s.name)),
            None => groups.push((gives, vec![format!("`{}`", s.name)])),
        }
    }
    let known: Vec<String> =
        groups.iter().map(|(gives, names)| format!("{} ({})", names.join(" or "), gives.describe())).collect();
    d.help(format!("use {} or `{data_value}` (an autoencoder, for BEGAN)", known.join(", ")))
}

/// An encoder produces a declared latent, at its shape.
fn encoder(net: &ast::Network, output_shape: &Shape, last_stmt: Span, cx: &Context<'_>, diags: &mut Vec<Diagnostic>) {
    let (inputs, out) = (cx.inputs, &net.output);
    match inputs.iter().find(|i| i.name == out.name && i.kind == InputKind::Latent) {
        Some(latent) => {
            if *output_shape != Shape::Unknown && latent.shape != Shape::Unknown && *output_shape != latent.shape {
                diags.push(
                    Diagnostic::new(
                        codes::SHAPES_DIFFER,
                        last_stmt,
                        format!("the encoder gives {} but the latent `{}` is {}", output_shape, out.name, latent.shape),
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
    };
}

/// The span of the last top-level statement that changed the shape: where a wrong output
/// shape was made.
pub(super) fn shaping_span(nodes: &[Node]) -> Option<Span> {
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
