//! The `loss` section: the adversarial loss.

use super::{component, lookup};
use crate::ir::Component;
use ganc_diagnostics::{codes, Diagnostic, Span};
use ganc_registry::Kind;
use ganc_syntax::ast::Item;

/// Checks the `loss` section: the loss, if usable, and where it is declared.
pub(super) fn section(items: &[Item], diags: &mut Vec<Diagnostic>) -> (Option<Component>, Option<Span>) {
    let mut loss: Option<Component> = None;
    let mut loss_span: Option<Span> = None;
    for item in items {
        let Item::Loss(call) = item else { continue };
        if let Some(first) = loss_span {
            diags.push(
                Diagnostic::new(codes::DUPLICATE_DEFINITION, call.span, "a second `loss`")
                    .label("second loss")
                    .with_secondary(first, "first loss")
                    .help("an experiment has one adversarial loss; add terms with `regularize`"),
            );
            continue;
        }
        loss_span = Some(call.span);
        if let Some(spec) = lookup(Kind::Loss, call, diags) {
            loss = Some(component(spec, call, diags));
        }
    }
    (loss, loss_span)
}
