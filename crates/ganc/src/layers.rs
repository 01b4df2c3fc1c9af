//! `ganc layers`: the registry as a reference listing.

use ganc_registry::{Kind, ENTRIES};
use miette::{miette, Result};
use std::process::ExitCode;

const KINDS: &[(&str, Kind)] = &[
    ("layer", Kind::Layer),
    ("loss", Kind::Loss),
    ("regularizer", Kind::Regularizer),
    ("optimizer", Kind::Optimizer),
    ("option", Kind::TrainOption),
    ("periodic", Kind::Periodic),
    ("watch", Kind::Watch),
    ("data", Kind::Data),
    ("distribution", Kind::Distribution),
    ("condition", Kind::Condition),
    ("metric", Kind::Metric),
];

/// Prints the listing, optionally of one kind.
pub fn run(kind: Option<&str>) -> Result<ExitCode> {
    let selected: Vec<Kind> = match kind {
        None => KINDS.iter().map(|(_, k)| *k).collect(),
        Some(name) => match KINDS.iter().find(|(n, _)| *n == name) {
            Some((_, k)) => vec![*k],
            None => {
                let names: Vec<&str> = KINDS.iter().map(|(n, _)| *n).collect();
                return Err(miette!(help = format!("kinds: {}", names.join(", ")), "unknown kind `{name}`"));
            }
        },
    };
    for kind in selected {
        println!("== {}s ==", kind.noun());
        let mut last_family = None;
        for spec in ENTRIES.iter().filter(|s| s.kind == kind) {
            if let Some(layer) = spec.layer {
                if last_family != Some(layer.family) {
                    println!("  -- {} --", layer.family.title());
                    last_family = Some(layer.family);
                }
            }
            println!("  {:<48} {}  [{}]", spec.signature(), spec.doc, spec.paper);
        }
        println!();
    }
    Ok(ExitCode::SUCCESS)
}
