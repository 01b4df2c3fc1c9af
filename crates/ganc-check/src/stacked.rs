//! Stacked generators (StackGAN++, Zhang et al. 2018): a generator whose `grow` stages all train
//! at once, each stage's image judged by a discriminator of its own (`at stages: N`). E0420 when
//! the discriminator's stages do not match the generator's, or when what needs a stacked
//! generator (`color_consistency`, the `stage_gap` metric) has none.

use crate::ir::{Model, Network};
use ganc_diagnostics::{codes, Diagnostic};
use ganc_syntax::ast::NetworkKind;

/// The stage resolutions in words: `7 -> 14 -> 28`.
fn resolutions(net: &Network) -> String {
    net.stage_resolutions().iter().map(|r| r.to_string()).collect::<Vec<_>>().join(" -> ")
}

/// Checks a stacked discriminator against the generator's stages, and that stacked-only
/// constructs have a stacked generator.
pub fn check(model: &Model, diags: &mut Vec<Diagnostic>) {
    let g = model.generator();
    let stacked = model.networks.iter().find(|n| n.kind == NetworkKind::Discriminator && n.stacked());
    if let (Some(d), Some(g)) = (stacked, g) {
        let grown = g.stage_resolutions().len();
        let judged = d.stages.unwrap_or(1);
        if grown == 0 {
            diags.push(
                Diagnostic::new(
                    codes::STACKED_STAGES,
                    d.span,
                    format!("`{}` judges the stages of a stacked generator, but `{}` grows none", d.name, g.name),
                )
                .label(format!("{judged} stages"))
                .with_secondary(g.span, "no `grow` stages")
                .help(format!(
                    "give `{}` one stage per resolution, each with its image head: `grow 7 {{ ... }} to_rgb {{ ... }}`, \
                     `grow 14 {{ ... }} to_rgb {{ ... }}`, ...; or write `at scales` to pool the images instead",
                    g.name
                )),
            );
        } else if grown != judged {
            diags.push(
                Diagnostic::new(
                    codes::STACKED_STAGES,
                    d.span,
                    format!("`{}` judges {judged} stages, but `{}` grows {grown} ({})", d.name, g.name, resolutions(g)),
                )
                .label("one discriminator per stage")
                .with_secondary(g.span, "the generator's stages")
                .help(format!("write `at stages: {grown}`")),
            );
        }
        if !d.stage_resolutions().is_empty() {
            diags.push(
                Diagnostic::new(
                    codes::STACKED_STAGES,
                    d.span,
                    format!("`{}` judges a stacked generator's stages but shrinks in stages of its own", d.name),
                )
                .label("`shrink` stages in a stacked discriminator")
                .help("each stage's discriminator runs the whole body on that stage's images: write the body without `shrink` stages"),
            );
        }
        if let Some(opt) = model.train.option("progressive") {
            diags.push(
                Diagnostic::new(codes::STACKED_STAGES, opt.span, "a `progressive` schedule for a stacked generator")
                    .label("stacked stages all train from the first step")
                    .with_secondary(d.span, "one discriminator per stage")
                    .help("remove `progressive(...)`; for progressive growing, give the discriminator `shrink` stages instead of `at stages`"),
            );
        }
    }
    let metrics = model.evaluate.iter().flat_map(|e| e.metrics.iter()).filter(|m| m.name == "stage_gap");
    let regularizers = model.regularizers.iter().map(|r| &r.component).filter(|c| c.name == "color_consistency");
    for c in regularizers.chain(metrics) {
        if stacked.is_none() {
            diags.push(
                Diagnostic::new(
                    codes::STACKED_STAGES,
                    c.span,
                    format!(
                        "`{}` compares the images of neighbouring stages, but the generator is not stacked",
                        c.name
                    ),
                )
                .label("needs a stacked generator")
                .help(
                    "give the generator `grow R { ... } to_rgb { ... }` stages and the discriminator `at stages: N`, \
                     one per stage (StackGAN++)",
                ),
            );
        }
    }
}
