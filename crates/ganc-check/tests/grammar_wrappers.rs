//! The grammar spells the wrappers as keywords (so that `batchnorm relu` on one line stays two
//! statements); the registry is their one list, and this test keeps the grammar's copy equal.

use ganc_registry::Kind;
use std::collections::BTreeSet;

#[test]
fn the_grammar_wrappers_are_the_registry_wrappers() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../grammar/gan.pest");
    let grammar = std::fs::read_to_string(path).expect("the grammar");
    let rule = grammar.lines().find(|l| l.starts_with("wrapper")).expect("a `wrapper` rule");
    let alternatives = &rule[rule.find('(').unwrap() + 1..rule.find(')').unwrap()];
    let in_grammar: BTreeSet<&str> = alternatives.split('|').map(|a| a.trim().trim_matches('"')).collect();
    let in_registry: BTreeSet<&str> = ganc_registry::of_kind(Kind::Wrapper).map(|s| s.name).collect();
    assert_eq!(in_grammar, in_registry, "grammar/gan.pest's `wrapper` rule and the registry's wrappers differ");
}
