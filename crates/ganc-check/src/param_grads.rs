//! What `unroll` and `nagarajan_kolter` ask of D: its loss's gradient with respect to its
//! parameters, as a graph that G's loss is differentiated through (second order). The runtime
//! writes that gradient for the layers of [`PARAMETER_GRADIENT_LAYERS`] only, and unrolls D's
//! optimizer only for the update rules it writes; [`gaps`] lists what a model asks beyond them,
//! which `ganc check` warns about (`W0008`) and `ganc train` refuses (`E0501`).
//! `crates/ganc-runtime/tests/registry_agrees.rs` keeps the list in step with the runtime.

use crate::ir::{Component, Model, Network};
use ganc_diagnostics::Span;
use ganc_registry::Kind;

/// The registry layers whose parameter gradient the runtime writes: the weight layers `linear`,
/// `conv` and `deconv`, `layernorm` (WGAN-GP's critic norm), and the weightless layers with an
/// exact input gradient (which carry the gradient between them).
pub const PARAMETER_GRADIENT_LAYERS: &[&str] = &[
    "linear",
    "conv",
    "deconv",
    "layernorm",
    "relu",
    "leaky_relu",
    "tanh",
    "sigmoid",
    "gelu",
    "silu",
    "flatten",
    "reshape",
    "avgpool",
    "downsample",
    "upsample",
    "gaussian_noise",
    "concat",
    "add",
    "pixelnorm",
    "minibatch_stddev",
    "pixel_shuffle",
    "maxpool",
    "global_sum_pool",
    "global_avg_pool",
];

/// Whether D's optimizer `c` (Adam by default) has an update rule the runtime unrolls: plain
/// SGD, or Adam, without weight decay.
fn unrollable(c: Option<&Component>) -> bool {
    let Some(c) = c else { return true };
    let no_decay = c.args.float("weight_decay") == 0.0;
    match c.name {
        "sgd" => no_decay && c.args.float("momentum") == 0.0,
        "adam" => no_decay,
        _ => false,
    }
}

/// What keeps D's parameter gradients from being differentiated for `model`'s `unroll` or
/// `nagarajan_kolter`, if it asks for either: each as a phrase ("`unroll` with ...") and where
/// it is written.
pub fn gaps(model: &Model) -> Vec<(String, Span)> {
    let Some(d) = model.networks.iter().find(|n| n.kind == ganc_syntax::ast::NetworkKind::Discriminator) else {
        return Vec::new();
    };
    let unroll = model.train.option("unroll").filter(|o| o.span != Span::default() && o.args.int("value") > 0);
    let nk = model.regularizers.iter().find(|r| r.component.name == "nagarajan_kolter").map(|r| &r.component);
    let mut gaps = Vec::new();
    for what in unroll.iter().map(|_| "`unroll`").chain(nk.map(|_| "`nagarajan_kolter`")) {
        network_gaps(model, d, what, &mut gaps);
    }
    if let Some(o) = unroll {
        let optimizer = model.train.optimizers.iter().find(|(n, _)| *n == d.name).map(|(_, c)| c);
        if !unrollable(optimizer) {
            let span = optimizer.map_or(o.span, |c| c.span);
            gaps.push(("`unroll` through an optimizer other than plain SGD or Adam without weight decay".into(), span));
        }
        for r in model.regularizers.iter().filter(|r| r.network == d.name) {
            let c = &r.component;
            let penalty = ganc_registry::lookup(Kind::Regularizer, c.name).is_some_and(|s| s.is_gradient_penalty());
            if penalty || matches!(c.name, "orthogonal" | "historical_averaging" | "weight_clip") {
                gaps.push((
                    format!("`unroll` with `{}` on D (the look-ahead updates would leave it out)", c.name),
                    c.span,
                ));
            }
        }
    }
    gaps
}

/// What of `d` and its loss has no parameter gradient, for `what`.
fn network_gaps(model: &Model, d: &Network, what: &str, gaps: &mut Vec<(String, Span)>) {
    if matches!(model.loss.name, "relativistic" | "began" | "auxiliary_classifier") {
        gaps.push((format!("{what} with the `{}` loss", model.loss.name), model.loss.span));
    }
    for layer in d.layers() {
        let bilinear = layer.name == "upsample" && layer.args.name("mode") == Some("bilinear");
        if !PARAMETER_GRADIENT_LAYERS.contains(&layer.name) || bilinear {
            gaps.push((
                format!("{what} with D's layer `{}` (its parameter gradient is not written)", layer.name),
                layer.span,
            ));
        } else if let Some(w) = layer.wrappers.first() {
            gaps.push((format!("{what} with a `{w}` weight in D"), layer.span));
        }
    }
    for r in model.regularizers.iter().filter(|r| r.network == d.name) {
        if matches!(r.component.name, "spectral_norm" | "equalized_lr") {
            gaps.push((format!("{what} with `{}` on D", r.component.name), r.component.span));
        }
    }
}
