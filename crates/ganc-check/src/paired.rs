//! Image-to-image translation (pix2pix, Isola et al. 2017; pix2pixHD, Wang et al. 2018): what
//! reads the pairs of paired data — G's `paired` condition, `paired_feature_matching` and the
//! `l1` metric — needs paired data and a generator that takes each pair's input (E0418).

use crate::ir::{Model, Shape};
use ganc_diagnostics::{codes, Diagnostic};
use ganc_syntax::ast::{InputKind, NetworkKind};

/// Checks that pair-reading regularizers and metrics have pairs, and a generator that reads them.
pub fn check(model: &Model, diags: &mut Vec<Diagnostic>) {
    let paired_input = model
        .inputs
        .iter()
        .find(|i| i.kind == InputKind::Condition && i.source.name == "paired" && i.shape != Shape::Unknown);
    let g_reads_pairs = paired_input.is_some_and(|i| model.generator().is_some_and(|g| g.inputs.contains(&i.name)));
    let readers = model
        .regularizers
        .iter()
        .map(|r| &r.component)
        .filter(|c| c.name == "paired_feature_matching")
        .chain(model.evaluate.iter().flat_map(|e| e.metrics.iter()).filter(|m| m.name == "l1"));
    for reader in readers {
        if g_reads_pairs {
            continue;
        }
        let (message, help) = match (&model.data.pair, paired_input) {
            (None, _) => (
                format!(
                    "`{}` compares G's outputs with targets, but `{}` has no pairs",
                    reader.name, model.data.source.name
                ),
                format!(
                    "read paired data: `{}(pairs: edges)` (or `pairs: coarse`), or `paired(path: ...)`, then \
                     `condition outline ~ paired` and `generator G(outline) -> {}`",
                    model.data.source.name, model.data.value
                ),
            ),
            (Some(_), None) => (
                format!("`{}` compares G's outputs with targets, but no condition reads the pairs", reader.name),
                format!(
                    "declare `condition outline ~ paired` and give it to G: `generator G(outline) -> {}`",
                    model.data.value
                ),
            ),
            (Some(_), Some(input)) => (
                format!("`{}` compares G's outputs with targets, but G does not take `{}`", reader.name, input.name),
                format!("give G the pair's input: `generator G({}) -> {}`", input.name, model.data.value),
            ),
        };
        diags.push(
            Diagnostic::new(codes::NEEDS_PAIRED_DATA, reader.span, message)
                .label("needs G's output for each target's input")
                .help(help),
        );
    }
    // D judges a fake beside the input G made it from: a D that reads the pairs needs a G
    // that translates them.
    if let (Some(input), false) = (paired_input, g_reads_pairs) {
        let d = model.networks.iter().find(|n| n.kind == NetworkKind::Discriminator && n.inputs.contains(&input.name));
        if let (Some(d), Some(g)) = (d, model.generator()) {
            diags.push(
                Diagnostic::new(
                    codes::NEEDS_PAIRED_DATA,
                    d.span,
                    format!("`{}` reads the pair's input `{}`, but `{}` does not take it", d.name, input.name, g.name),
                )
                .label("no input to show beside a fake")
                .with_secondary(g.span, "makes its samples without the pair's input")
                .help(format!("give G the input: `generator {}({}) -> {}`", g.name, input.name, model.data.value)),
            );
        }
    }
}
