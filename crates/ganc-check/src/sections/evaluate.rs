//! The `evaluate every N { ... }` section: metrics computed during training.

use super::{component, lookup, positive_steps};
use crate::ir::{Data, Evaluate, Model};
use ganc_diagnostics::{codes, Diagnostic};
use ganc_registry::Kind;
use ganc_syntax::ast::Item;

/// The metrics that measure 2D points.
const POINT_METRICS: &[&str] = &["modes"];
/// The metrics that read the discriminator rather than samples (checked with the loss).
const CLASSIFIER_METRICS: &[&str] = &["test_error", "reconstruction", "linear_probe", "elbo"];

/// Checks the `evaluate` sections; the last one counts.
pub(super) fn section(items: &[Item], diags: &mut Vec<Diagnostic>) -> Option<Evaluate> {
    let mut evaluate = None;
    for item in items {
        let Item::Evaluate(e) = item else { continue };
        let every = positive_steps(&e.period, diags);
        let metrics =
            e.metrics.iter().filter_map(|m| lookup(Kind::Metric, m, diags).map(|s| component(s, m, diags))).collect();
        evaluate = Some(Evaluate { every, metrics });
    }
    evaluate
}

/// Each metric must measure the kind of data the model has: `modes` 2D points, the others images.
pub(super) fn fits_data(evaluate: &Evaluate, data: &Data, diags: &mut Vec<Diagnostic>) {
    let points = data.value == "point";
    for m in evaluate.metrics.iter().filter(|m| !CLASSIFIER_METRICS.contains(&m.name)) {
        let measures_points = POINT_METRICS.contains(&m.name);
        if measures_points == points {
            continue;
        }
        let (what, help) = if measures_points {
            (
                format!(
                    "`{}` counts the modes of a 2D mixture, but the data `{}` are images",
                    m.name, data.source.name
                ),
                "measure images with `fid`, `kid`, `inception_score`, `precision_recall` or `classes_covered`",
            )
        } else {
            (
                format!("`{}` compares image features, but the data `{}` are 2D points", m.name, data.source.name),
                "measure a 2D mixture with `modes`",
            )
        };
        diags.push(
            Diagnostic::new(codes::METRIC_DATA_MISMATCH, m.span, what)
                .label("this metric cannot measure this data")
                .help(help),
        );
    }
}

/// `class_accuracy` reads the class each sample was drawn for, and ganc's classifier's classes:
/// it needs a generator that takes class labels, on MNIST or Fashion-MNIST.
pub(crate) fn class_accuracy(model: &Model, diags: &mut Vec<Diagnostic>) {
    let metrics = model.evaluate.iter().flat_map(|e| e.metrics.iter()).filter(|m| m.name == "class_accuracy");
    for m in metrics {
        let labels = model.inputs.iter().find(|i| i.source.name == "labels");
        let g_draws = labels.is_some_and(|y| model.generator().is_some_and(|g| g.inputs.contains(&y.name)));
        let classified = matches!(model.data.source.name, "mnist" | "fashion_mnist");
        let why = match (g_draws, classified) {
            (false, _) => "the generator draws no classes",
            (true, false) => "ganc's classifier reads MNIST and Fashion-MNIST only",
            (true, true) => continue,
        };
        diags.push(
            Diagnostic::new(codes::METRIC_DATA_MISMATCH, m.span, format!("`class_accuracy` cannot be measured: {why}"))
                .label("needs the class of each sample")
                .help(
                    "give the generator class labels (`condition y ~ labels`, `generator G(z, y)`) on `mnist` or \
                     `fashion_mnist`, or measure `classes_covered`",
                ),
        );
    }
}
