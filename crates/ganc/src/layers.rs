//! `ganc layers`: the registry as a reference listing, or (`--trains`) the list of what
//! `ganc train` lowers today, as the README shows it.

use ganc_registry::{Kind, Runtime, ENTRIES};
use miette::{miette, Result};
use std::process::ExitCode;

const KINDS: &[(&str, Kind)] = &[
    ("layer", Kind::Layer),
    ("wrapper", Kind::Wrapper),
    ("loss", Kind::Loss),
    ("regularizer", Kind::Regularizer),
    ("optimizer", Kind::Optimizer),
    ("option", Kind::TrainOption),
    ("periodic", Kind::Periodic),
    ("watch", Kind::Watch),
    ("schedule", Kind::Schedule),
    ("data", Kind::Data),
    ("distribution", Kind::Distribution),
    ("condition", Kind::Condition),
    ("output", Kind::Output),
    ("metric", Kind::Metric),
];

/// Prints the listing, optionally of one kind; with `trains`, only what `ganc train` lowers.
pub fn run(kind: Option<&str>, trains: bool) -> Result<ExitCode> {
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
    if trains {
        print!("{}", trained(&selected));
        return Ok(ExitCode::SUCCESS);
    }
    for kind in selected {
        println!("== {} ==", kind.plural());
        let mut last_family = None;
        for spec in ENTRIES.iter().filter(|s| s.kind == kind) {
            if let Some(layer) = spec.layer {
                if last_family != Some(layer.family) {
                    println!("  -- {} --", layer.family.title());
                    last_family = Some(layer.family);
                }
            }
            let status = match spec.runtime {
                Runtime::Trains => "",
                Runtime::NotYet => "  (checked only: `ganc train` refuses it for now)",
                Runtime::Implied => "  (always on)",
            };
            println!("  {:<48} {}  [{}]{status}", spec.signature(), spec.doc, spec.paper);
        }
        println!();
    }
    Ok(ExitCode::SUCCESS)
}

/// One markdown line per kind: the names `ganc train` lowers.
fn trained(kinds: &[Kind]) -> String {
    let mut out = String::new();
    for kind in kinds {
        let names: Vec<String> =
            ENTRIES.iter().filter(|s| s.kind == *kind && s.trains()).map(|s| format!("`{}`", s.name)).collect();
        if !names.is_empty() {
            out.push_str(&format!("- {}: {}\n", kind.plural(), names.join(", ")));
        }
    }
    out
}
