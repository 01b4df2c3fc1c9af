//! The `evaluate every N { ... }` section: metrics computed during training.

use super::{component, lookup, positive_steps};
use crate::ir::Evaluate;
use ganc_diagnostics::Diagnostic;
use ganc_registry::Kind;
use ganc_syntax::ast::Item;

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
