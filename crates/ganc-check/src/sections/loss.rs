//! The `loss` section: the adversarial loss.

use super::{component, first_section, lookup};
use crate::ir::Component;
use ganc_diagnostics::{Diagnostic, Span};
use ganc_registry::Kind;
use ganc_syntax::ast::Item;

/// Checks the `loss` section: the loss, if usable, and where it is declared.
pub(super) fn section(items: &[Item], diags: &mut Vec<Diagnostic>) -> (Option<Component>, Option<Span>) {
    let mut loss: Option<Component> = None;
    let mut loss_span: Option<Span> = None;
    for item in items {
        let Item::Loss(call) = item else { continue };
        let help = "an experiment has one adversarial loss; add terms with `regularize`";
        if !first_section(&mut loss_span, call.span, "`loss`", "loss", help, diags) {
            continue;
        }
        if let Some(spec) = lookup(Kind::Loss, call, diags) {
            loss = Some(component(spec, call, diags));
        }
    }
    (loss, loss_span)
}
