//! Multi-scale discriminators (`discriminator D(image) -> patch at scales: 3`, pix2pixHD): the
//! option, and the body checked again at every coarser scale, where the image inputs are
//! average-pooled 2x2 once per scale.

use super::{output, signature, Context};
use crate::graph::{stmt_span, Walker};
use crate::ir::{Node, Shape};
use crate::value::{eval, Const, Env};
use ganc_diagnostics::{codes, Diagnostic};
use ganc_syntax::ast::{self, NetworkKind};

/// The number of scales `net` asks for (`at scales: N`; 1 without), reporting options that
/// do not apply.
pub(super) fn count(net: &ast::Network, cx: &Context<'_>, diags: &mut Vec<Diagnostic>) -> usize {
    let mut scales = 1;
    for option in &net.options {
        let Some(name) = option.name.as_ref().filter(|n| n.name == "scales") else {
            diags.push(
                Diagnostic::new(codes::UNKNOWN_ARGUMENT, option.span, "a network takes only `scales` after `at`")
                    .label("not a network option")
                    .help("write `discriminator D(image) -> patch at scales: 3` for a multi-scale discriminator"),
            );
            continue;
        };
        let value = match eval(&option.value, &Env::new()) {
            Ok(Const::Int(n)) => n,
            Ok(other) => {
                diags.push(
                    Diagnostic::new(codes::WRONG_TYPE, option.value.span, format!("`scales` is {}", other.kind()))
                        .label("not an integer")
                        .help("write the number of scales: `at scales: 3`"),
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
                    format!("only a discriminator has scales, not the {} `{}`", net.kind.keyword(), net.name.name),
                )
                .label("scales of a network that is not a discriminator")
                .help("remove `at scales`; pix2pixHD's coarse-to-fine generator is written in its body"),
            );
            continue;
        }
        if value < 1 {
            diags.push(
                Diagnostic::new(codes::OUT_OF_RANGE, option.value.span, format!("{value} scales"))
                    .label("at least 1")
                    .help("write `at scales: 3` (pix2pixHD), or remove it for one scale"),
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
                        .label(format!("{value} scales"))
                        .help(format!("use at most {} scales", 1 + h.trailing_zeros().min(w.trailing_zeros()))),
                    );
                    continue;
                }
            }
            Some([_, _, _]) | None => {}
            Some(_) => {
                diags.push(
                    Diagnostic::new(codes::MULTI_SCALE, option.value.span, "the data are not images")
                        .label("scales of points")
                        .help("a multi-scale discriminator pools images: remove `at scales`"),
                );
                continue;
            }
        }
        scales = value as usize;
    }
    scales
}

/// The bodies of scales `1..scales` (each checked on inputs pooled once more), or an E0419 at
/// the first scale whose check fails.
pub(super) fn coarser(
    net: &ast::Network,
    cx: &Context<'_>,
    scales: usize,
    diags: &mut Vec<Diagnostic>,
) -> Vec<Vec<Node>> {
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
            diags.push(
                Diagnostic::new(
                    codes::MULTI_SCALE,
                    error.primary.span,
                    format!("at scale {} ({start}), `{}` fails: {}", k + 1, net.name.name, error.message),
                )
                .label(error.primary.message)
                .with_secondary(net.name.span, format!("its inputs are pooled {k} time(s) at scale {}", k + 1))
                .help(format!(
                    "every scale runs the same layers on images halved once more: choose kernels, strides and \
                     paddings that fit sides of {}, or use fewer scales",
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
