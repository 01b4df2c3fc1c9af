//! `latent` and `condition` declarations: the inputs networks take besides the data.

use super::{component, duplicate, lookup, unknown_component};
use crate::ir::{Component, Data, Input, Network, Shape};
use crate::value::Const;
use ganc_diagnostics::{codes, Diagnostic, Span};
use ganc_registry::Kind;
use ganc_syntax::ast::{self, InputKind, Item};
use std::collections::HashMap;

/// The declared inputs, and where each name is declared.
pub(super) struct Inputs {
    /// The inputs in source order.
    pub list: Vec<Input>,
    /// Each input's name span.
    pub spans: HashMap<String, Span>,
}

/// Checks the `latent` and `condition` declarations against the data; `file_start` stands
/// for the data's declaration when there is none.
pub(super) fn section(
    items: &[Item],
    data: Option<&Data>,
    data_span: Option<Span>,
    file_start: Span,
    diags: &mut Vec<Diagnostic>,
) -> Inputs {
    let mut inputs: Vec<Input> = Vec::new();
    let mut input_spans: HashMap<String, Span> = HashMap::new();
    for item in items {
        let Item::Input(decl) = item else { continue };
        if let Some(first) = input_spans.get(&decl.name.name) {
            diags.push(duplicate("input", &decl.name.name, decl.name.span, *first));
            continue;
        }
        if data.is_some_and(|d| d.value == decl.name.name) {
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
        check_interval(&source, diags);
        let shape = match decl.kind {
            InputKind::Latent => {
                let dim = source.args.int("dim");
                if dim > 0 {
                    Shape::Tensor(vec![dim])
                } else {
                    Shape::Unknown
                }
            }
            InputKind::Condition => condition_shape(&source, data, data_span, decl, diags),
        };
        inputs.push(Input { name: decl.name.name.clone(), kind: decl.kind, source, shape });
    }

    Inputs { list: inputs, spans: input_spans }
}

/// A distribution with a `low` and a `high` (`uniform`) needs `low < high`.
fn check_interval(source: &Component, diags: &mut Vec<Diagnostic>) {
    let a = &source.args;
    let (Some(low), Some(high)) = (a.get("low").and_then(Const::as_f64), a.get("high").and_then(Const::as_f64)) else {
        return;
    };
    if low < high {
        return;
    }
    let span = a.span("high").or(a.span("low")).unwrap_or(source.span);
    let mut d = Diagnostic::new(
        codes::OUT_OF_RANGE,
        span,
        format!("`{}` needs `low` below `high`, found low {low} and high {high}", source.name),
    )
    .label(if low == high { "an empty interval" } else { "below `low`" });
    if let Some(low_span) = a.span("low").filter(|s| *s != span) {
        d = d.with_secondary(low_span, format!("low is {low}"));
    }
    diags.push(d.help(if low == high {
        format!("widen the interval, e.g. `low: {low}, high: {}`", low + 1.0)
    } else {
        format!("swap them: `low: {high}, high: {low}`")
    }));
}

/// Warns about inputs no network takes.
pub(super) fn warn_unused(inputs: &Inputs, networks: &[Network], diags: &mut Vec<Diagnostic>) {
    for input in inputs.list.iter().filter(|_| !networks.is_empty()) {
        if !networks.iter().any(|n| n.inputs.contains(&input.name)) {
            if let Some(span) = inputs.spans.get(&input.name) {
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
}

/// The shape of a condition: the data's class labels, which the data must have.
fn condition_shape(
    source: &Component,
    data: Option<&Data>,
    data_span: Option<Span>,
    decl: &ast::InputDecl,
    diags: &mut Vec<Diagnostic>,
) -> Shape {
    let Some(data) = data else { return Shape::Unknown };
    if source.name == "paired" {
        return match &data.pair {
            Some(pair) => Shape::Tensor(pair.clone()),
            None => {
                diags.push(
                    Diagnostic::new(
                        codes::NEEDS_PAIRED_DATA,
                        decl.source.span,
                        format!("`{}` has no pairs to condition on", data.source.name),
                    )
                    .label("the input half of pairs that do not exist")
                    .with_secondary(data_span.unwrap_or(decl.span), "unpaired data")
                    .help(match data.shape.len() {
                        3 => format!(
                            "make pairs from the images (`{}(pairs: edges)` or `pairs: coarse`), or read a folder \
                             of pairs with `paired(path: ...)`",
                            data.source.name
                        ),
                        _ => "paired data are images: use `paired(path: ...)` or `mnist(pairs: edges)`".into(),
                    }),
                );
                Shape::Unknown
            }
        };
    }
    if source.name == "embeddings" {
        if data.source.args.get("embeddings").is_none() {
            diags.push(
                Diagnostic::new(
                    codes::UNLABELLED_CONDITION,
                    decl.source.span,
                    format!("`{}` has no embeddings to condition on", data.source.name),
                )
                .label("per-sample embeddings that are not loaded")
                .with_secondary(data_span.unwrap_or(decl.span), "no `embeddings` file")
                .help(format!(
                    "name the file of embedding vectors, one row per image: `{}(embeddings: \"captions.npy\")`",
                    data.source.name
                )),
            );
            return Shape::Unknown;
        }
        return Shape::Tensor(vec![source.args.int("dim")]);
    }
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
