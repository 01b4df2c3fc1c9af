//! `ganc explain`: the page of a diagnostic code, or the registry entry of a name.

use ganc_diagnostics::codes;
use miette::{miette, Result};
use std::process::ExitCode;

/// Prints the explanation of `what`.
pub fn run(what: &str) -> Result<ExitCode> {
    if let Some(code) = codes::lookup(what) {
        println!("{}", code.explanation.trim_end());
        return Ok(ExitCode::SUCCESS);
    }
    let entries: Vec<_> = ganc_registry::named(what).collect();
    if entries.is_empty() {
        let looks_like_code = what.len() == 5 && what[1..].chars().all(|c| c.is_ascii_digit());
        return Err(if looks_like_code {
            miette!(
                help = format!("codes are {}; `ganc check` prints them", code_ranges()),
                "no diagnostic code `{what}`"
            )
        } else {
            miette!(
                help = "`ganc layers` lists every name",
                "`{what}` is neither a diagnostic code nor a layer, loss, regularizer or option"
            )
        });
    }
    for spec in entries {
        println!("{}", spec.reference());
    }
    Ok(ExitCode::SUCCESS)
}

/// The codes as ranges of the hundreds they come in: `E0001-E0003, E0101-E0111, ..., W0002-W0008`.
fn code_ranges() -> String {
    let mut groups: Vec<(&str, &str)> = Vec::new();
    for code in codes::ALL {
        match groups.last_mut() {
            Some((first, last)) if first[..3] == code.id[..3] => *last = code.id,
            _ => groups.push((code.id, code.id)),
        }
    }
    let ranges: Vec<String> =
        groups.iter().map(|(a, b)| if a == b { a.to_string() } else { format!("{a}-{b}") }).collect();
    ranges.join(", ")
}
