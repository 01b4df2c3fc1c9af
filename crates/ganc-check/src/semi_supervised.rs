//! The semi-supervised GAN of Salimans et al. 2016: a labelled subset of the data (`labels: N`),
//! a K+1-class D (`loss semi_supervised`, `-> classes`), G trained by feature matching, and D's
//! error on the test split (`evaluate { test_error }`).

use crate::ir::Model;
use crate::value::Const;
use ganc_diagnostics::{codes, Diagnostic};
use ganc_syntax::ast::{InputKind, NetworkKind};

/// Checks the labelled subset, G's objective and `test_error` against the loss and the data.
pub fn check(model: &Model, diags: &mut Vec<Diagnostic>) {
    let semi_supervised = model.loss.name == "semi_supervised";
    let data = &model.data;
    // E0412: `labels: N` keeps N / K images of each of the K classes.
    if let (Some(Const::Int(n)), Some(span)) = (data.source.args.get("labels"), data.source.args.span("labels")) {
        let n = *n;
        match data.classes.map(i64::from) {
            Some(k) if n % k != 0 || n < k => {
                let below = (n / k).max(1) * k;
                diags.push(
                    Diagnostic::new(
                        codes::LABELS_NOT_BALANCED,
                        span,
                        format!("{n} labelled images cannot be shared evenly among `{}`'s {k} classes", data.source.name),
                    )
                    .label(format!("not a multiple of {k}"))
                    .help(format!(
                        "the labelled subset keeps the same number of images per class: use `labels: {below}` ({} per class)",
                        below / k
                    ))
                    .fix(span, format!("labels: {below}")),
                );
            }
            _ if !semi_supervised => diags.push(
                Diagnostic::new(
                    codes::NO_EFFECT,
                    span,
                    format!("`labels: {n}` has no effect with the `{}` loss", model.loss.name),
                )
                .label("no loss reads a labelled subset")
                .with_secondary(model.loss.span, "uses every label, or none")
                .help("only `loss semi_supervised` trains on a labelled subset: remove `labels`, or use that loss"),
            ),
            _ => {}
        }
    }
    // E0407: a K+1-class D predicts the class, so it cannot be told it.
    for d in model.networks.iter().filter(|n| semi_supervised && n.kind == NetworkKind::Discriminator) {
        let conditions =
            d.inputs.iter().filter(|i| model.inputs.iter().any(|c| &c.name == *i && c.kind == InputKind::Condition));
        for name in conditions {
            diags.push(
                Diagnostic::new(
                    codes::NETWORK_SIGNATURE,
                    d.span,
                    format!("`{}` takes the label `{name}`, but a semi-supervised D predicts the class", d.name),
                )
                .label("a K+1-class discriminator reads only the image")
                .with_secondary(model.loss.span, "the loss trains D to classify")
                .help(format!("remove `{name}` from `{}`'s inputs", d.name)),
            );
        }
    }
    // E0413: the paper's G objective is feature matching, which needs its regularizer.
    let feature_matching = model.regularizers.iter().any(|r| r.component.name == "feature_matching");
    if semi_supervised && model.loss.args.name("generator") == Some("feature_matching") && !feature_matching {
        let span = model.loss.args.span("generator").unwrap_or(model.loss.span);
        diags.push(
            Diagnostic::new(
                codes::NO_FEATURE_MATCHING,
                span,
                "G is trained by feature matching alone, but no `feature_matching` regularizer says which features",
            )
            .label("G's objective is only its feature matching")
            .help(
                "add `regularize G { feature_matching(at: D.features, weight: 1.0) }` with a `let features` in D, \
                 or write `semi_supervised(generator: non_saturating)`",
            ),
        );
    }
    // E0414: `test_error` is D's error as a classifier of the test split.
    for m in model.evaluate.iter().flat_map(|e| &e.metrics).filter(|m| m.name == "test_error") {
        let why = if data.classes.is_none() {
            Some(format!("the data `{}` have no class labels", data.source.name))
        } else if data.source.args.name("split").is_none() {
            Some(format!("the data `{}` have no test split", data.source.name))
        } else if !semi_supervised {
            Some(format!("the `{}` loss does not train D as a classifier", model.loss.name))
        } else {
            None
        };
        if let Some(why) = why {
            diags.push(
                Diagnostic::new(
                    codes::METRIC_NEEDS_CLASSIFIER,
                    m.span,
                    format!("`test_error` cannot be measured: {why}"),
                )
                .label("D's error on the test split")
                .with_secondary(model.loss.span, "the loss")
                .help(
                    "`test_error` reads a K+1-class D (`loss semi_supervised`, `-> classes`) on labelled data with \
                         a test split (mnist, fashion_mnist, cifar10); remove it otherwise",
                ),
            );
        }
    }
}
