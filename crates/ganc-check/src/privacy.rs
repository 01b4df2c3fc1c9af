//! Differentially private D training (`regularize D { differential_privacy(...) }`, DP-SGD):
//! each sample's gradient is clipped and the sum noised, which bounds one sample's influence
//! only when nothing else lets the data through: no layer of D may mix the samples of a batch
//! (E0415), and no other gradient or statistic may read the real data (E0416).

use crate::ir::Model;
use ganc_diagnostics::{codes, Diagnostic};
use ganc_registry::{Family, Kind};
use ganc_syntax::ast::NetworkKind;

/// Normalizations whose statistics are taken over several samples.
const BATCH_NORMALIZATIONS: &[&str] = &["batchnorm", "virtual_batchnorm", "conditional_batchnorm"];

/// Checks a differentially private D's layers and what else reads the real data.
pub fn check(model: &Model, diags: &mut Vec<Diagnostic>) {
    let Some(private) = model.regularizers.iter().find(|r| r.component.name == "differential_privacy") else {
        return;
    };
    let dp_span = private.component.span;
    for d in model.networks.iter().filter(|n| n.kind == NetworkKind::Discriminator && n.name == private.network) {
        for l in d.layers() {
            let batch_statistics = ganc_registry::lookup(Kind::Layer, l.name)
                .and_then(|s| s.layer)
                .is_some_and(|info| info.family == Family::BatchStatistics);
            if !batch_statistics && !BATCH_NORMALIZATIONS.contains(&l.name) {
                continue;
            }
            diags.push(
                Diagnostic::new(
                    codes::PRIVATE_D_MIXES_SAMPLES,
                    l.span,
                    format!("`{}` in a differentially private discriminator", l.name),
                )
                .label("each sample's output depends on the rest of its batch")
                .with_secondary(dp_span, "clips each sample's gradient, which then no longer bounds its influence")
                .help(if batch_statistics {
                    "remove the layer: DP-SGD needs D to see each sample alone".to_string()
                } else {
                    format!("use `layernorm`, `instancenorm` or `groupnorm` in place of `{}` (they normalize each sample alone)", l.name)
                }),
            );
        }
    }
    let mut unclipped = |span, what: String, help: &str| {
        diags.push(
            Diagnostic::new(codes::PRIVATE_DATA_UNCLIPPED, span, what)
                .label("reads the real data outside D's clipped, noised update")
                .with_secondary(dp_span, "makes only D's update private")
                .help(help.to_string()),
        )
    };
    if matches!(model.data.source.name, "ring" | "grid") {
        unclipped(
            model.data.source.span,
            format!("`{}` draws fresh points at every step: there is no data set to keep private", model.data.source.name),
            "train a private D on a finite data set (`mnist`, `fashion_mnist`, `cifar10`, `images`), or remove `differential_privacy`",
        );
    }
    let loss = model.loss.name;
    let loss_leak = match loss {
        "relativistic" => Some("G's relativistic loss compares its fakes with D's scores of the real batch"),
        "began" => Some("BEGAN's controller k_t moves with D's error on the real batch"),
        "semi_supervised" => Some("the labelled batch is a second read of the data, apart from the clipped batch"),
        _ => None,
    };
    if let Some(why) = loss_leak {
        unclipped(
            model.loss.span,
            format!("the `{loss}` loss under differential privacy: {why}"),
            "use a loss whose G term reads only fakes (`non_saturating`, `hinge`, `wasserstein`, `least_squares`)",
        );
    }
    for r in model.regularizers.iter().filter(|r| matches!(r.component.name, "feature_matching" | "nagarajan_kolter")) {
        unclipped(
            r.component.span,
            format!("`{}` makes G's loss read the real batch", r.component.name),
            "remove it: under DP-SGD only D may see real data, and only through its clipped, noised gradient",
        );
    }
    if let Some(unroll) = model.train.option("unroll").filter(|o| o.args.int("value") > 0) {
        unclipped(
            unroll.span,
            "`unroll` trains G through D's look-ahead updates on the real batch".into(),
            "remove `unroll`: the look-ahead updates are not clipped or noised",
        );
    }
}
