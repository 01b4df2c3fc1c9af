//! The `data` section: the data set, its value's name and its sample shape.

use super::{component, first_section, lookup};
use crate::ir::Data;
use ganc_diagnostics::{Diagnostic, Span};
use ganc_registry::Kind;
use ganc_syntax::ast::Item;

/// Checks the `data` section: the data, if usable, and where it is declared.
pub(super) fn section(items: &[Item], diags: &mut Vec<Diagnostic>) -> (Option<Data>, Option<Span>) {
    let mut data: Option<Data> = None;
    let mut data_span: Option<Span> = None;
    for item in items {
        let Item::Data(call) = item else { continue };
        let help = "an experiment trains on one data set";
        if !first_section(&mut data_span, call.span, "`data` section", "data source", help, diags) {
            continue;
        }
        let Some(spec) = lookup(Kind::Data, call, diags) else { continue };
        let source = component(spec, call, diags);
        let Some(info) = spec.data() else { continue };
        let shape = match info.shape {
            Some(s) => s.to_vec(),
            None => {
                let size = source.args.int("size");
                vec![source.args.int("channels"), size, size]
            }
        };
        if shape.iter().any(|d| *d <= 0) {
            // An argument was refused (reported): no shape to check the networks against.
            continue;
        }
        data = Some(Data { source, value: info.value, shape, classes: info.classes, unit_range: info.unit_range });
    }
    (data, data_span)
}
