//! Whether a model fits in memory (E0311): a width typed with extra zeros must fail at check
//! time, not when training allocates it. Values are `f32`, 4 bytes each.
//!
//! The limits are far above any GAN of the literature (BigGAN has about 160 million
//! parameters, StyleGAN2's largest activation of one sample at 1024 x 1024 is 128 MiB) and
//! far below what would abort a run: a network's parameters may take 64 GiB (16 billion
//! parameters, before the optimizer's state doubles or triples them), one activation of one
//! sample 16 GiB.

use crate::ir::{Model, Shape};
use ganc_diagnostics::{codes, Diagnostic};

/// Bytes of one value (`f32`).
pub const BYTES_PER_VALUE: u64 = 4;
/// The most bytes the parameters of one network may take: 64 GiB.
pub const MAX_PARAM_BYTES: u64 = 1 << 36;
/// The most bytes one activation (or input) of one sample may take: 16 GiB.
pub const MAX_ACTIVATION_BYTES: u64 = 1 << 34;

/// The bytes `shape` takes per sample, in words, when that is over [`MAX_ACTIVATION_BYTES`].
pub fn activation(shape: &Shape) -> Option<String> {
    let dims = shape.dims()?;
    let bytes =
        dims.iter().try_fold(u128::from(BYTES_PER_VALUE), |a, d| a.checked_mul(u128::try_from(*d).unwrap_or(0)));
    match bytes {
        Some(b) if b <= u128::from(MAX_ACTIVATION_BYTES) => None,
        Some(b) => Some(describe_bytes(b)),
        None => Some("more than 2^128 bytes".into()),
    }
}

/// `n` bytes in words: `1099511627776 bytes (1 TiB)`.
pub fn describe_bytes(n: u128) -> String {
    const UNITS: [&str; 8] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"];
    let mut unit = None;
    let mut scaled = n as f64;
    while scaled >= 1024.0 && unit.map_or(0, |u| u + 1) < UNITS.len() {
        scaled /= 1024.0;
        unit = Some(unit.map_or(0, |u| u + 1));
    }
    match unit {
        None => format!("{n} bytes"),
        Some(u) => {
            let rounded = format!("{scaled:.1}");
            format!("{n} bytes ({} {})", rounded.trim_end_matches(".0"), UNITS[u])
        }
    }
}

/// Checks the data's samples, the inputs and each network's parameters against the limits.
pub fn check(model: &Model, diags: &mut Vec<Diagnostic>) {
    let sample_help =
        format!("one sample may take at most {}: reduce the size", describe_bytes(MAX_ACTIVATION_BYTES.into()));
    let data = Shape::Tensor(model.data.shape.clone());
    if let Some(too_big) = activation(&data) {
        diags.push(
            Diagnostic::new(
                codes::TOO_LARGE_FOR_MEMORY,
                model.data.source.span,
                format!("one sample {data} of `{}` needs {too_big}", model.data.source.name),
            )
            .label(format!("{too_big} per sample"))
            .help(sample_help.clone()),
        );
    }
    for input in &model.inputs {
        if let Some(too_big) = activation(&input.shape) {
            diags.push(
                Diagnostic::new(
                    codes::TOO_LARGE_FOR_MEMORY,
                    input.source.span,
                    format!("one sample {} of `{}` needs {too_big}", input.shape, input.name),
                )
                .label(format!("{too_big} per sample"))
                .help(sample_help.clone()),
            );
        }
    }
    for net in &model.networks {
        let layers = net.layers();
        let Some(largest) = layers.iter().max_by_key(|l| l.params) else { continue };
        let bytes = net.param_count().map(|n| u128::from(n) * u128::from(BYTES_PER_VALUE));
        if bytes.is_some_and(|b| b <= u128::from(MAX_PARAM_BYTES)) {
            continue;
        }
        let total = match (net.param_count(), bytes) {
            (Some(n), Some(b)) => format!("{n} parameters: {}", describe_bytes(b)),
            _ => "more than 2^64 parameters".into(),
        };
        diags.push(
            Diagnostic::new(codes::TOO_LARGE_FOR_MEMORY, largest.span, format!("`{}` has {total}", net.name))
                .label(format!("the largest layer: {} parameters", largest.params))
                .with_secondary(net.span, format!("`{}` defined here", net.name))
                .help(format!(
                    "the parameters of one network may take at most {}: reduce the widths (channels, features)",
                    describe_bytes(MAX_PARAM_BYTES.into())
                )),
        );
    }
}
