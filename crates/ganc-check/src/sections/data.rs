//! The `data` section: the data set, its value's name and its sample shape.

use super::{component, first_section, lookup};
use crate::ir::{Component, Data};
use ganc_diagnostics::{codes, Diagnostic, Span};
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
        let pair = pair_shape(&source, &shape, diags);
        data =
            Some(Data { source, value: info.value, shape, classes: info.classes, unit_range: info.unit_range, pair });
    }
    (data, data_span)
}

/// The shape of each target's input, for paired data: a `paired(...)` folder's, or the pairs an
/// image set makes (`pairs: edges` one channel, `pairs: coarse` the image's own shape, its
/// `factor` dividing the sides).
fn pair_shape(source: &Component, shape: &[i64], diags: &mut Vec<Diagnostic>) -> Option<Vec<i64>> {
    if source.name == "paired" {
        return Some(shape.to_vec());
    }
    match source.args.name("pairs") {
        Some("edges") => Some(vec![1, shape[1], shape[2]]),
        Some("coarse") => {
            let factor = source.args.int("factor");
            if factor > 0 && shape[1] % factor == 0 && shape[2] % factor == 0 {
                return Some(shape.to_vec());
            }
            let divisors: Vec<String> =
                (2..shape[1]).filter(|f| shape[1] % f == 0 && shape[2] % f == 0).map(|f| f.to_string()).collect();
            diags.push(
                Diagnostic::new(
                    codes::OUT_OF_RANGE,
                    source.args.span("factor").unwrap_or(source.span),
                    format!("blocks of {factor} do not tile {}x{} images", shape[1], shape[2]),
                )
                .label(format!("{factor} does not divide {}", shape[1]))
                .help(format!("use a factor that divides the side: {}", divisors.join(", "))),
            );
            // Still pairs of the image's shape: what reads them is checked as usual.
            Some(shape.to_vec())
        }
        _ => None,
    }
}
