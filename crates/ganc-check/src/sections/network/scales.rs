//! Multi-scale discriminators (`discriminator D(image) -> patch at scales: 3`, pix2pixHD): the
//! option, and the body checked again at every coarser scale, where the image inputs are
//! average-pooled 2x2 once per scale.

use super::{output, signature, Context};
use crate::graph::{stmt_span, Walker};
use crate::ir::{Node, Shape};
use crate::value::{eval, Const, Env};
use ganc_diagnostics::{codes, Diagnostic};
use ganc_syntax::ast::{self, NetworkKind};

/// The scales a discriminator runs at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Scales {
    /// How many (1 without an option).
    pub count: usize,
    /// Whether each reads a stage of a stacked generator (`at stages: N`, StackGAN++) rather
    /// than the image pooled (`at scales: N`, pix2pixHD).
    pub stacked: bool,
}

/// The scales `net` asks for (`at scales: N` or `at stages: N`; one scale without), reporting
/// options that do not apply.
pub(super) fn count(net: &ast::Network, cx: &Context<'_>, diags: &mut Vec<Diagnostic>) -> Scales {
    let mut scales = Scales { count: 1, stacked: false };
    let mut seen: Option<&ast::Ident> = None;
    for option in &net.options {
        let Some(name) = option.name.as_ref().filter(|n| matches!(n.name.as_str(), "scales" | "stages")) else {
            diags.push(
                Diagnostic::new(
                    codes::UNKNOWN_ARGUMENT,
                    option.span,
                    "a network takes only `scales` or `stages` after `at`",
                )
                .label("not a network option")
                .help(
                    "write `discriminator D(image) -> patch at scales: 3` for a multi-scale discriminator, or \
                         `at stages: 3` for one per stage of a stacked generator",
                ),
            );
            continue;
        };
        if let Some(first) = seen.replace(name) {
            diags.push(
                Diagnostic::new(codes::MULTI_SCALE, name.span, format!("`{}` after `{}`", name.name, first.name))
                    .label("a second set of scales")
                    .with_secondary(first.span, "the first")
                    .help("keep one: `scales` pools the image (pix2pixHD), `stages` reads a stacked generator's stages (StackGAN++)"),
            );
            continue;
        }
        let value = match eval(&option.value, &Env::new()) {
            Ok(Const::Int(n)) => n,
            Ok(other) => {
                diags.push(
                    Diagnostic::new(
                        codes::WRONG_TYPE,
                        option.value.span,
                        format!("`{}` is {}", name.name, other.kind()),
                    )
                    .label("not an integer")
                    .help(format!("write the number of {}: `at {}: 3`", name.name, name.name)),
                );
                continue;
            }
            Err(d) => {
                diags.push(*d);
                continue;
            }
        };
        if net.kind != NetworkKind::Discriminator {
            diags.push(
                Diagnostic::new(
                    codes::MULTI_SCALE,
                    name.span,
                    format!(
                        "only a discriminator has {}, not the {} `{}`",
                        name.name,
                        net.kind.keyword(),
                        net.name.name
                    ),
                )
                .label(format!("{} of a network that is not a discriminator", name.name))
                .help(format!(
                    "remove `at {}`; pix2pixHD's coarse-to-fine generator is written in its body, a stacked \
                     generator's stages with `grow R {{ ... }} to_rgb {{ ... }}`",
                    name.name
                )),
            );
            continue;
        }
        if value < 1 {
            diags.push(
                Diagnostic::new(codes::OUT_OF_RANGE, option.value.span, format!("{value} {}", name.name))
                    .label("at least 1")
                    .help(format!("write `at {}: 3`, or remove it for one scale", name.name)),
            );
            continue;
        }
        match cx.data.map(|d| d.shape.as_slice()) {
            Some([_, h, w]) if value > 1 => {
                let halvings = value - 1;
                let divides = |side: i64| halvings < 62 && side % (1i64 << halvings) == 0;
                if !divides(*h) || !divides(*w) {
                    diags.push(
                        Diagnostic::new(
                            codes::MULTI_SCALE,
                            option.value.span,
                            format!("{h}x{w} images cannot be halved {halvings} times"),
                        )
                        .label(format!("{value} {}", name.name))
                        .help(format!("use at most {} scales", 1 + h.trailing_zeros().min(w.trailing_zeros()))),
                    );
                    continue;
                }
            }
            Some([_, _, _]) | None => {}
            Some(_) => {
                diags.push(
                    Diagnostic::new(codes::MULTI_SCALE, option.value.span, "the data are not images")
                        .label(format!("{} of points", name.name))
                        .help(format!("a multi-scale discriminator reads images: remove `at {}`", name.name)),
                );
                continue;
            }
        }
        scales = Scales { count: value as usize, stacked: name.name == "stages" };
    }
    scales
}

/// The bodies of scales `1..scales` (each checked on inputs pooled once more), or an E0419 at
/// the first scale whose check fails.
pub(super) fn coarser(
    net: &ast::Network,
    cx: &Context<'_>,
    scales: Scales,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Vec<Node>> {
    let Scales { count: scales, stacked } = scales;
    let mut bodies = Vec::new();
    for k in 1..scales {
        // Everything the first scale reported is reported once; only new errors count here.
        let mut found = Vec::new();
        let (_, mut scope) = signature::bind_inputs(net, cx, &mut found);
        for b in &mut scope.bindings {
            if let Shape::Tensor(d) = &mut b.shape {
                if let [_, h, w] = d.as_mut_slice() {
                    (*h, *w) = (*h >> k, *w >> k);
                }
            }
        }
        found.clear();
        let start = scope.bindings.first().map_or(Shape::Unknown, |b| b.shape.clone());
        let mut walker = Walker::new(cx.blocks, cx.data.map(|d| d.shape.clone()), Some(false), &mut found);
        walker.quiet_unknown = cx.import_failed;
        let (body, shape) = walker.network_body(&net.body, start.clone(), &mut scope);
        let last =
            output::shaping_span(&body).unwrap_or_else(|| net.body.stmts.last().map_or(net.body.span, stmt_span));
        output::check(net, &shape, last, cx, &mut found);
        if let Some(error) = found.into_iter().find(|d| d.is_error()) {
            let (unit, reads) = match stacked {
                true => ("stage", format!("it judges the images of the stage {k} below the top one")),
                false => ("scale", format!("its inputs are pooled {k} time(s) at scale {}", k + 1)),
            };
            diags.push(
                Diagnostic::new(
                    codes::MULTI_SCALE,
                    error.primary.span,
                    format!("at {unit} {} ({start}), `{}` fails: {}", k + 1, net.name.name, error.message),
                )
                .label(error.primary.message)
                .with_secondary(net.name.span, reads)
                .help(format!(
                    "every {unit} runs the same layers on images halved once more: choose kernels, strides and \
                     paddings that fit sides of {}, or use fewer {unit}s",
                    sides(cx, scales)
                )),
            );
            return Vec::new();
        }
        bodies.push(body);
    }
    bodies
}

/// The image sides of each scale, in words (`28, 14 and 7`).
fn sides(cx: &Context<'_>, scales: usize) -> String {
    let side = cx.data.and_then(|d| d.shape.get(1).copied()).unwrap_or(0);
    let all: Vec<String> = (0..scales).map(|k| (side >> k).to_string()).collect();
    match all.split_last() {
        Some((last, init)) if !init.is_empty() => format!("{} and {last}", init.join(", ")),
        _ => all.join(""),
    }
}
