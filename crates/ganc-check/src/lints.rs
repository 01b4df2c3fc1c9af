//! Checks across sections (loss against D's output, regularizers against the loss,
//! progressive stages of G against D's) and the literature's advice as warnings.

use crate::ir::{Layer, Model, Network, Node};
use crate::sections::loss_needs;
use ganc_diagnostics::{codes, Diagnostic};
use ganc_registry::{Kind, Needs};
use ganc_syntax::ast::NetworkKind;

/// Runs every cross-section check, and whether the model fits in memory ([`crate::memory`]).
pub fn check(model: &Model, diags: &mut Vec<Diagnostic>) {
    crate::memory::check(model, diags);
    crate::semi_supervised::check(model, diags);
    crate::privacy::check(model, diags);
    crate::encoder::check(model, diags);
    crate::paired::check(model, diags);
    crate::stacked::check(model, diags);
    crate::sections::evaluate_class_accuracy(model, diags);
    let loss = &model.loss;
    let loss_info = ganc_registry::lookup(Kind::Loss, loss.name).and_then(|s| s.loss());
    let discriminators: Vec<&Network> =
        model.networks.iter().filter(|n| n.kind == NetworkKind::Discriminator).collect();

    for d in &discriminators {
        // E0401: every loss takes raw scores.
        if let Some(last) = last_layer(&d.body) {
            if last.name == "sigmoid" {
                diags.push(
                    Diagnostic::new(
                        codes::LOSS_BEHIND_SIGMOID,
                        last.span,
                        format!("`{}` ends in a sigmoid, but `{}` takes raw logits", d.name, loss.name),
                    )
                    .label("sigmoid here")
                    .with_secondary(loss.span, "the loss applies its own sigmoid (or none)")
                    .help("remove the `sigmoid`: the loss is computed stably from logits"),
                );
            }
        }
        // E0406 / E0303: what D gives against what the loss needs.
        let autoencoder = d.output == model.data.value;
        match loss_needs(model) {
            Some(Needs::Reconstruction) if !autoencoder => diags.push(
                Diagnostic::new(
                    codes::BEGAN_NEEDS_AUTOENCODER,
                    loss.span,
                    format!("`began` needs an autoencoder discriminator, but `{}` gives `{}`", d.name, d.output),
                )
                .label("BEGAN scores by reconstruction error")
                .with_secondary(d.span, format!("`{}` is declared `-> {}`", d.name, d.output))
                .help(format!(
                    "make `{}` an autoencoder that ends at the data's shape and declare `-> {}`",
                    d.name, model.data.value
                )),
            ),
            Some(Needs::ScoreAndClasses) if d.output != "logits" => diags.push(
                Diagnostic::new(
                    codes::DISCRIMINATOR_OUTPUT,
                    loss.span,
                    format!("`{}` needs a score and class logits, but `{}` gives `{}`", loss.name, d.name, d.output),
                )
                .label("an auxiliary-classifier loss")
                .with_secondary(d.span, format!("declared `-> {}`", d.output))
                .help("declare `-> logits` and end D with `linear(1 + classes)`"),
            ),
            Some(Needs::Classes) if d.output != "classes" => diags.push(
                Diagnostic::new(
                    codes::DISCRIMINATOR_OUTPUT,
                    loss.span,
                    format!("`{}` needs one logit per class, but `{}` gives `{}`", loss.name, d.name, d.output),
                )
                .label("a K+1-class discriminator: the fake class is implicit")
                .with_secondary(d.span, format!("declared `-> {}`", d.output))
                .help("declare `-> classes` and end D with `linear(classes)`"),
            ),
            Some(Needs::Score) if autoencoder || matches!(d.output.as_str(), "logits" | "classes") => diags.push(
                Diagnostic::new(
                    codes::DISCRIMINATOR_OUTPUT,
                    loss.span,
                    format!("`{}` needs one score per sample, but `{}` gives `{}`", loss.name, d.name, d.output),
                )
                .label("a score-based loss")
                .with_secondary(d.span, format!("declared `-> {}`", d.output))
                .help(if autoencoder {
                    "use `loss began` for an autoencoder D, or declare `-> logit`"
                } else if d.output == "classes" {
                    "use `loss semi_supervised`, or declare `-> logit`"
                } else {
                    "use `loss auxiliary_classifier`, or declare `-> logit`"
                }),
            ),
            _ => {}
        }
    }

    // E0402: weight clipping belongs to WGAN.
    for r in &model.regularizers {
        if r.component.name == "weight_clip" && loss_info.is_some_and(|l| !l.wasserstein) {
            diags.push(
                Diagnostic::new(codes::CLIP_WITHOUT_WASSERSTEIN, r.component.span, format!("`weight_clip` with the `{}` loss", loss.name))
                    .label("clips a non-Wasserstein discriminator")
                    .with_secondary(loss.span, "this loss is not Wasserstein")
                    .help("weight clipping enforces WGAN's Lipschitz constraint: use `loss wasserstein`, or `spectral_norm` for other losses"),
            );
        }
    }

    // E0405 / E0409: progressive stages.
    let g = model.generator();
    let g_stages = g.map(|g| g.stage_resolutions()).unwrap_or_default();
    // A stacked discriminator judges every stage as it is (`crate::stacked` checks it).
    for d in discriminators.iter().filter(|d| !d.stacked()) {
        let d_stages = d.stage_resolutions();
        let mut reversed = d_stages.clone();
        reversed.reverse();
        if (!g_stages.is_empty() || !d_stages.is_empty()) && g_stages != reversed {
            let fmt = |v: &[i64]| v.iter().map(|r| r.to_string()).collect::<Vec<_>>().join(" -> ");
            let mut diag = Diagnostic::new(
                codes::STAGES_NOT_MIRRORED,
                d.span,
                format!(
                    "`{}` shrinks {} but the generator grows {}",
                    d.name,
                    if d_stages.is_empty() { "in no stages".into() } else { fmt(&d_stages) },
                    if g_stages.is_empty() { "in no stages".into() } else { fmt(&g_stages) }
                ),
            )
            .label("stages differ")
            .help(format!(
                "give `{}` one `shrink` stage per `grow` stage, in reverse order: {}",
                d.name,
                fmt(&g_stages.iter().rev().copied().collect::<Vec<_>>())
            ));
            if let Some(g) = g {
                diag = diag.with_secondary(g.span, "the generator's stages");
            }
            diags.push(diag);
        }
    }
    if let Some(opt) = model.train.option("progressive") {
        if g_stages.is_empty() {
            diags.push(
                Diagnostic::new(codes::PROGRESSIVE_MISPLACED, opt.span, "`progressive` schedule without progressive stages")
                    .label("nothing to grow")
                    .help("add `grow R { ... } to_rgb { ... }` stages to the generator and `shrink` stages to the discriminator, or remove this line"),
            );
        }
    }

    // Advice from the literature.
    let penalties: Vec<_> = model
        .regularizers
        .iter()
        .filter(|r| ganc_registry::lookup(Kind::Regularizer, r.component.name).is_some_and(|s| s.is_gradient_penalty()))
        .collect();
    for d in &discriminators {
        let layers = d.layers();
        if let Some(gp) = penalties.iter().find(|r| r.network == d.name) {
            // E0410: what the registry says has no input gradient, with these arguments.
            for l in &layers {
                let refused = ganc_registry::lookup(Kind::Layer, l.name)
                    .and_then(|spec| spec.layer)
                    .and_then(|info| info.input_gradient.refused(|arg| l.args.name(arg)));
                let Some((why, help)) = refused else { continue };
                diags.push(
                    Diagnostic::new(
                        codes::NO_INPUT_GRADIENT,
                        l.span,
                        format!("`{}` in a critic trained with `{}`", l.name, gp.component.name),
                    )
                    .label(why)
                    .with_secondary(gp.component.span, "the penalty differentiates each sample's input gradient")
                    .help(help),
                );
            }
        }
        for l in layers.iter().filter(|l| matches!(l.name, "maxpool" | "relu")) {
            let alt = if l.name == "relu" { "`leaky_relu(0.2)`" } else { "`avgpool` or a strided `conv`" };
            diags.push(
                Diagnostic::new(
                    codes::SPARSE_GRADIENTS,
                    l.span,
                    format!("`{}` in the discriminator gives sparse gradients", l.name),
                )
                .label("G learns only through the units this passes")
                .help(format!("use {alt} (ganhacks #5; Radford et al. 2015)")),
            );
        }
        if model.train.option("batches").and_then(|o| o.args.name("value")) == Some("mixed") {
            if let Some(bn) = layers.iter().find(|l| l.name == "batchnorm") {
                let opt = model.train.option("batches").unwrap();
                diags.push(
                    Diagnostic::new(
                        codes::MIXED_BATCHES,
                        opt.span,
                        "real and fake samples mixed in one batch through batchnorm",
                    )
                    .label("mixed batches")
                    .with_secondary(bn.span, "batch statistics then leak which samples are fake")
                    .help("use `batches: separate` (ganhacks #4: all-real and all-fake batches)"),
                );
            }
        }
    }
    if model.data.unit_range {
        if let Some(g) = g {
            let last = last_layer(&g.body);
            if last.is_none_or(|l| l.name != "tanh") {
                let span = last.map_or(g.span, |l| l.span);
                diags.push(
                    Diagnostic::new(
                        codes::NO_TANH_OUTPUT,
                        span,
                        format!(
                            "the generator does not end with `tanh`, but `{}` pixels lie in [-1, 1]",
                            model.data.source.name
                        ),
                    )
                    .label(last.map_or("no layer".to_string(), |l| format!("ends with `{}`", l.name)))
                    .help("end the generator with `tanh` (ganhacks #1; Radford et al. 2015)"),
                );
            }
        }
    }
    if loss.name == "minimax" {
        diags.push(
            Diagnostic::new(
                codes::MINIMAX_SATURATES,
                loss.span,
                "the minimax generator loss saturates when D wins early",
            )
            .label("log(1 - D(G(z))) has vanishing gradients")
            .help("use `loss non_saturating` (Goodfellow et al. 2014; ganhacks #2)")
            .fix(loss.span, "non_saturating"),
        );
    }
}

/// The last layer a value passes through at the end of a body.
fn last_layer(nodes: &[Node]) -> Option<&Layer> {
    for node in nodes.iter().rev() {
        match node {
            Node::Layer(l) => return Some(l),
            Node::Block { body, .. } => return last_layer(body),
            Node::Stage { head, grows: true, .. } => return last_layer(head),
            Node::Stage { body, .. } => return last_layer(body),
            Node::Residual { .. } => return None,
            Node::Let { .. } => continue,
        }
    }
    None
}
