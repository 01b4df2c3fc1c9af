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
                help = "codes are E0001-E0410, E0501 and W0002-W0006; `ganc check` prints them",
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
