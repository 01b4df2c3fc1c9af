//! The blocks a file sees: its own `block` definitions and the ones it imports.

use super::duplicate;
use crate::load::Parsed;
use crate::suggest::closest;
use ganc_diagnostics::{codes, Diagnostic};
use ganc_registry::Kind;
use ganc_syntax::ast::{BlockDef, Item};
use std::collections::HashMap;

/// Collects the blocks visible from file `index`: its own and the ones it imports.
pub(super) fn visible_blocks<'a>(
    files: &'a [Parsed],
    index: usize,
    diags: &mut Vec<Diagnostic>,
    out: &mut HashMap<String, &'a BlockDef>,
    visiting: &mut Vec<usize>,
) {
    if visiting.contains(&index) {
        return;
    }
    visiting.push(index);
    let file = &files[index];
    let mut imports = file.imports.iter();
    for item in &file.ast.items {
        match item {
            Item::Block(b) => add_block(b, diags, out),
            Item::Import(imp) => {
                let Some(Some(target)) = imports.next() else { continue };
                let mut theirs = HashMap::new();
                visible_blocks(files, *target, diags, &mut theirs, visiting);
                match &imp.names {
                    None => {
                        let mut all: Vec<_> = theirs.into_iter().collect();
                        all.sort_by_key(|(_, b)| (b.span.file, b.span.start));
                        for (_, b) in all {
                            add_block(b, diags, out);
                        }
                    }
                    Some(names) => {
                        for n in names {
                            match theirs.get(&n.name) {
                                Some(b) => add_block(b, diags, out),
                                None => {
                                    let mut d = Diagnostic::new(
                                        codes::UNKNOWN_IMPORT,
                                        n.span,
                                        format!("`{}` defines no block `{}`", imp.path, n.name),
                                    )
                                    .label("not in that file");
                                    match closest(&n.name, theirs.keys().map(|k| k.as_str())) {
                                        Some(s) => d = d.help(format!("did you mean `{s}`?")).fix(n.span, s),
                                        None => {
                                            let mut names: Vec<_> = theirs.keys().map(|k| format!("`{k}`")).collect();
                                            names.sort();
                                            d = d.help(if names.is_empty() {
                                                "that file defines no blocks".into()
                                            } else {
                                                format!("it defines: {}", names.join(", "))
                                            });
                                        }
                                    }
                                    diags.push(d);
                                }
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    visiting.pop();
}

fn add_block<'a>(b: &'a BlockDef, diags: &mut Vec<Diagnostic>, out: &mut HashMap<String, &'a BlockDef>) {
    if let Some(prev) = out.get(&b.name.name) {
        if prev.span != b.span {
            diags.push(duplicate("block", &b.name.name, b.name.span, prev.name.span));
        }
        return;
    }
    if ganc_registry::lookup(Kind::Layer, &b.name.name).is_some() {
        diags.push(
            Diagnostic::new(
                codes::DUPLICATE_DEFINITION,
                b.name.span,
                format!("block `{}` has the name of a built-in layer", b.name.name),
            )
            .label("shadows the layer")
            .help("give the block another name"),
        );
        return;
    }
    for (i, p) in b.params.iter().enumerate() {
        if let Some(first) = b.params[..i].iter().find(|q| q.name.name == p.name.name) {
            diags.push(duplicate("parameter", &p.name.name, p.name.span, first.name.span));
        }
    }
    out.insert(b.name.name.clone(), b);
}
