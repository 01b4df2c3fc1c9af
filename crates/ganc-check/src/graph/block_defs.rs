//! Checks on block definitions themselves, called or not: the names they use, and recursion.

use super::Walker;
use crate::value::{eval, Env};
use ganc_diagnostics::{codes, Diagnostic, Span};
use ganc_registry::Kind;
use ganc_syntax::ast::{BlockDef, Body, Stmt};
use std::collections::HashMap;

/// Checks a layer name inside a block body that may never be called: only that it exists.
pub fn check_block_names(def: &BlockDef, blocks: &HashMap<String, &BlockDef>, diags: &mut Vec<Diagnostic>) {
    for p in &def.params {
        if let Some(Err(d)) = p.default.as_ref().map(|e| eval(e, &Env::new())) {
            if d.code == codes::INTEGER_OVERFLOW {
                diags.push(*d);
            }
        }
    }
    fn visit(body: &Body, blocks: &HashMap<String, &BlockDef>, diags: &mut Vec<Diagnostic>) {
        for stmt in &body.stmts {
            match stmt {
                Stmt::Layer(l) => {
                    let known = blocks.contains_key(&l.call.name.name)
                        || ganc_registry::lookup(Kind::Layer, &l.call.name.name).is_some();
                    if !known {
                        let mut w = Walker::new(blocks, None, None, diags);
                        w.unknown_layer(l);
                    }
                }
                Stmt::Let(l) => {
                    if let Some(src) = &l.source {
                        visit(&src.body, blocks, diags);
                    }
                }
                Stmt::Residual { main, skip, .. } => {
                    visit(main, blocks, diags);
                    if let Some(s) = skip {
                        visit(s, blocks, diags);
                    }
                }
                Stmt::Repeat { body, .. } => visit(body, blocks, diags),
                Stmt::Stage(s) => {
                    visit(&s.body, blocks, diags);
                    visit(&s.head, blocks, diags);
                }
            }
        }
    }
    visit(&def.body, blocks, diags);
}

/// Finds blocks that call themselves through any chain, in time linear in the number of calls;
/// reports each cycle once, at the call that closes it.
pub fn check_recursion(blocks: &HashMap<String, &BlockDef>, diags: &mut Vec<Diagnostic>) {
    fn calls(body: &Body, out: &mut Vec<(String, Span)>) {
        for stmt in &body.stmts {
            match stmt {
                Stmt::Layer(l) => out.push((l.call.name.name.clone(), l.call.name.span)),
                Stmt::Let(l) => {
                    if let Some(src) = &l.source {
                        calls(&src.body, out);
                    }
                }
                Stmt::Residual { main, skip, .. } => {
                    calls(main, out);
                    if let Some(s) = skip {
                        calls(s, out);
                    }
                }
                Stmt::Repeat { body, .. } => calls(body, out),
                Stmt::Stage(s) => {
                    calls(&s.body, out);
                    calls(&s.head, out);
                }
            }
        }
    }
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Active,
        Done,
    }
    let mut names: Vec<&String> = blocks.keys().collect();
    names.sort();
    let edges: HashMap<&str, Vec<(String, Span)>> = names
        .iter()
        .map(|n| {
            let mut out = Vec::new();
            calls(&blocks[*n].body, &mut out);
            out.retain(|(callee, _)| blocks.contains_key(callee));
            (n.as_str(), out)
        })
        .collect();
    let mut state: HashMap<&str, State> = HashMap::new();
    for start in names {
        if state.contains_key(start.as_str()) {
            continue;
        }
        // Iterative depth-first search: (block, index of its next call to follow).
        let mut path: Vec<(&str, usize)> = vec![(start.as_str(), 0)];
        state.insert(start.as_str(), State::Active);
        while let Some((name, next)) = path.last().copied() {
            let out = &edges[name];
            if next == out.len() {
                state.insert(name, State::Done);
                path.pop();
                continue;
            }
            path.last_mut().unwrap().1 += 1;
            let (callee, span) = &out[next];
            match state.get(callee.as_str()) {
                Some(State::Done) => {}
                Some(State::Active) => {
                    let from = path.iter().position(|(n, _)| n == callee).unwrap_or(0);
                    let cycle: Vec<&str> =
                        path[from..].iter().map(|(n, _)| *n).chain(std::iter::once(callee.as_str())).collect();
                    diags.push(
                        Diagnostic::new(
                            codes::RECURSIVE_BLOCK,
                            *span,
                            format!("block `{callee}` calls itself: {}", cycle.join(" -> ")),
                        )
                        .label("recursive call")
                        .with_secondary(blocks[callee].name.span, "block defined here")
                        .help(
                            "blocks are expanded before training and cannot recurse; use `repeat N { ... }` for depth",
                        ),
                    );
                }
                None => {
                    let (callee, _) = blocks.get_key_value(callee).unwrap();
                    state.insert(callee.as_str(), State::Active);
                    path.push((callee.as_str(), 0));
                }
            }
        }
    }
}
