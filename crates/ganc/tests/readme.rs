//! The README's "What trains today" list is `ganc layers --trains`, the registry's record of what
//! `ganc train` lowers: the two cannot drift apart.
//!
//! Rewrite the README's list with `BLESS=1 cargo test -p ganc --test readme`.

mod common;

use common::workspace;
use std::process::Command;

const BEGIN: &str = "<!-- begin: ganc layers --trains -->\n";
const END: &str = "<!-- end: ganc layers --trains -->";

#[test]
fn the_readme_lists_what_the_registry_says_trains() {
    let out = Command::new(env!("CARGO_BIN_EXE_ganc")).args(["layers", "--trains"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let listing = String::from_utf8(out.stdout).unwrap();
    for name in ["`linear`", "`r1`", "`hinge`", "`mnist`"] {
        assert!(listing.contains(name), "{name} trains but is not listed:\n{listing}");
    }
    let layers = Command::new(env!("CARGO_BIN_EXE_ganc")).args(["layers", "--kind", "layer"]).output().unwrap();
    for refused in String::from_utf8(layers.stdout).unwrap().lines().filter(|l| l.contains("checked only")) {
        let name = refused.split_whitespace().next().unwrap().split('(').next().unwrap();
        assert!(!listing.contains(&format!("`{name}`")), "`{name}`, which the runtime refuses, is listed:\n{listing}");
    }

    let path = workspace().join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let start = readme.find(BEGIN).expect("README.md has the `ganc layers --trains` markers") + BEGIN.len();
    let end = start + readme[start..].find(END).expect("the list's end marker");
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&path, format!("{}{listing}{}", &readme[..start], &readme[end..])).unwrap();
        return;
    }
    assert_eq!(readme[start..end], listing, "README.md's list is stale: run BLESS=1 cargo test -p ganc --test readme");
}
