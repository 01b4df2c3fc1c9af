//! The requests: hover, completion, go to definition, document symbols, formatting, quick fixes.

use crate::convert;
use crate::state::{Doc, Documents, ROOT};
use ganc_check::ir::{Layer, Node};
use ganc_diagnostics::{codes, Span};
use ganc_registry::{Kind, Side, Spec};
use ganc_syntax::ast::{self, Body, Item, Stmt};
use lsp_types::{
    CodeAction, CodeActionOrCommand, CodeActionParams, CompletionItem, CompletionItemKind, CompletionParams,
    CompletionResponse, DocumentFormattingParams, DocumentSymbol, DocumentSymbolParams, DocumentSymbolResponse,
    Documentation, GotoDefinitionParams, GotoDefinitionResponse, Hover, HoverContents, HoverParams, MarkupContent,
    MarkupKind, SymbolKind, TextEdit, WorkspaceEdit,
};
use std::collections::HashMap;

/// The identifier around byte `at`, and its byte range.
fn word_at(text: &str, at: usize) -> Option<(&str, std::ops::Range<usize>)> {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let start = text[..at].rfind(|c: char| !is_word(c)).map_or(0, |i| i + 1);
    let end = text[at..].find(|c: char| !is_word(c)).map_or(text.len(), |i| at + i);
    (start < end).then(|| (&text[start..end], start..end))
}

fn markdown(value: String) -> Hover {
    Hover { contents: HoverContents::Markup(MarkupContent { kind: MarkupKind::Markdown, value }), range: None }
}

/// The innermost layer of the checked model written at `at` (in a block, the first call's).
fn layer_at(doc: &Doc, at: usize) -> Option<&Layer> {
    fn visit<'a>(nodes: &'a [Node], at: usize, best: &mut Option<&'a Layer>) {
        for n in nodes {
            match n {
                Node::Layer(l) => {
                    let inside = l.span.file == ROOT && l.span.start <= at && at <= l.span.end;
                    let smaller = best.is_none_or(|b| l.span.end - l.span.start < b.span.end - b.span.start);
                    if inside && smaller {
                        *best = Some(l);
                    }
                }
                Node::Let { body, .. } | Node::Block { body, .. } => visit(body, at, best),
                Node::Residual { main, skip, .. } => {
                    visit(main, at, best);
                    visit(skip, at, best);
                }
                Node::Stage { body, head, .. } => {
                    visit(body, at, best);
                    visit(head, at, best);
                }
            }
        }
    }
    let model = doc.analysis.model.as_ref()?;
    let mut best = None;
    for net in &model.networks {
        visit(&net.body, at, &mut best);
    }
    best
}

/// Hover: a statement's shapes and parameters; a name's registry reference; a code's page.
pub fn hover(docs: &Documents, p: HoverParams) -> Option<Hover> {
    let doc = docs.get(&p.text_document_position_params.text_document.uri)?;
    let at = convert::offset(&doc.text, p.text_document_position_params.position);
    let (word, _) = word_at(&doc.text, at)?;
    let reference: Vec<String> = ganc_registry::named(word).map(|s| s.reference()).collect();
    if let Some(layer) = layer_at(doc, at) {
        let mut text = format!(
            "```\n{}: {} -> {}   ({} parameters)\n```\n",
            layer.name,
            layer.input,
            layer.output,
            group_digits(layer.params)
        );
        if let Some(spec) = ganc_registry::lookup(Kind::Layer, layer.name) {
            text.push_str(&format!("\n```\n{}```", spec.reference()));
        }
        return Some(markdown(text));
    }
    if let Some(code) = codes::lookup(word) {
        return Some(markdown(code.explanation.to_string()));
    }
    (!reference.is_empty()).then(|| markdown(format!("```\n{}```", reference.join("\n"))))
}

fn group_digits(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The innermost call whose `(` is open at `at`: its name.
fn open_call(text: &str, at: usize) -> Option<&str> {
    let mut depth = 0;
    for (i, c) in text[..at].char_indices().rev() {
        match c {
            ')' => depth += 1,
            '(' if depth == 0 => {
                let before = text[..i].trim_end();
                let start = before.rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).map_or(0, |j| j + 1);
                return (start < before.len()).then(|| &before[start..]);
            }
            '(' => depth -= 1,
            '{' | '}' if depth == 0 => return None,
            _ => {}
        }
    }
    None
}

/// The top-level item the text at `at` belongs to: its first line's first word and the rest
/// of that line.
fn section(text: &str, at: usize) -> Option<(&str, &str)> {
    text[..at].lines().rev().find_map(|line| {
        let word = line.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).next()?;
        ganc_syntax::ITEM_STARTS.contains(&word).then(|| (word, &line[word.len()..]))
    })
}

fn item(spec: &Spec, kind: CompletionItemKind) -> CompletionItem {
    CompletionItem {
        label: spec.name.to_string(),
        kind: Some(kind),
        detail: Some(spec.signature()),
        documentation: Some(Documentation::String(format!("{}\n\n{}", spec.doc, spec.paper))),
        ..CompletionItem::default()
    }
}

/// Completion: argument names inside a call, otherwise the names valid in the section.
pub fn completion(docs: &Documents, p: CompletionParams) -> Option<CompletionResponse> {
    let doc = docs.get(&p.text_document_position.text_document.uri)?;
    let at = convert::offset(&doc.text, p.text_document_position.position);
    if let Some(name) = open_call(&doc.text, at) {
        let items = ganc_registry::named(name)
            .flat_map(|s| s.params.iter())
            .map(|param| CompletionItem {
                label: param.name.to_string(),
                kind: Some(CompletionItemKind::FIELD),
                detail: Some(param.ty.describe()),
                documentation: Some(Documentation::String(param.doc.to_string())),
                insert_text: Some(format!("{}: ", param.name)),
                ..CompletionItem::default()
            })
            .collect();
        return Some(CompletionResponse::Array(items));
    }
    let of = |kind: Kind, as_: CompletionItemKind| ganc_registry::of_kind(kind).map(move |s| item(s, as_));
    let items: Vec<CompletionItem> = match section(&doc.text, at) {
        Some(("generator" | "discriminator" | "encoder" | "block", _)) => {
            let blocks = ganc_syntax::parse(ROOT, &doc.text)
                .map(|f| {
                    f.items
                        .iter()
                        .filter_map(|i| match i {
                            Item::Block(b) => Some(CompletionItem {
                                label: b.name.name.clone(),
                                kind: Some(CompletionItemKind::MODULE),
                                detail: Some("block".into()),
                                ..CompletionItem::default()
                            }),
                            _ => None,
                        })
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default();
            of(Kind::Layer, CompletionItemKind::FUNCTION)
                .chain(of(Kind::Wrapper, CompletionItemKind::KEYWORD))
                .chain(blocks)
                .collect()
        }
        Some(("loss", _)) => of(Kind::Loss, CompletionItemKind::FUNCTION).collect(),
        Some(("regularize", rest)) => {
            let side = regularized_side(doc, rest.trim().trim_end_matches('{').trim());
            ganc_registry::of_kind(Kind::Regularizer)
                .filter(|s| match (s.side(), side) {
                    (Some(s), Some(side)) => s == Side::Both || s == side,
                    _ => true,
                })
                .map(|s| item(s, CompletionItemKind::FUNCTION))
                .collect()
        }
        Some(("train", _)) => of(Kind::TrainOption, CompletionItemKind::PROPERTY)
            .chain(of(Kind::Optimizer, CompletionItemKind::FUNCTION))
            .chain(of(Kind::Periodic, CompletionItemKind::KEYWORD))
            .chain(of(Kind::Watch, CompletionItemKind::KEYWORD))
            .collect(),
        Some(("evaluate", _)) => of(Kind::Metric, CompletionItemKind::FUNCTION).collect(),
        Some(("data", _)) => of(Kind::Data, CompletionItemKind::FUNCTION).collect(),
        Some(("latent", _)) => of(Kind::Distribution, CompletionItemKind::FUNCTION).collect(),
        Some(("condition", _)) => of(Kind::Condition, CompletionItemKind::FUNCTION).collect(),
        _ => ganc_syntax::ITEM_STARTS
            .iter()
            .map(|k| CompletionItem {
                label: k.to_string(),
                kind: Some(CompletionItemKind::KEYWORD),
                ..CompletionItem::default()
            })
            .collect(),
    };
    Some(CompletionResponse::Array(items))
}

/// Which side `regularize NET` trains, from the network's kind in the file.
fn regularized_side(doc: &Doc, net: &str) -> Option<Side> {
    let file = ganc_syntax::parse(ROOT, &doc.text).ok()?;
    file.items.iter().find_map(|i| match i {
        Item::Network(n) if n.name.name == net => Some(match n.kind {
            ast::NetworkKind::Generator => Side::Generator,
            _ => Side::Discriminator,
        }),
        _ => None,
    })
}

/// Every `let` name bound in `body` (and nested bodies) before byte `at`, with its span.
fn lets_before(body: &Body, at: usize, out: &mut Vec<(String, Span)>) {
    for stmt in &body.stmts {
        match stmt {
            Stmt::Let(l) if l.name.span.start < at => {
                out.push((l.name.name.clone(), l.name.span));
                if let Some(src) = &l.source {
                    lets_before(&src.body, at, out);
                }
            }
            Stmt::Residual { main, skip, .. } => {
                lets_before(main, at, out);
                if let Some(skip) = skip {
                    lets_before(skip, at, out);
                }
            }
            Stmt::Repeat { body, .. } => lets_before(body, at, out),
            Stmt::Stage(s) => {
                lets_before(&s.body, at, out);
                lets_before(&s.head, at, out);
            }
            _ => {}
        }
    }
}

/// Go to definition: blocks (here or imported), `let` values, inputs, networks, import paths.
pub fn definition(docs: &Documents, p: GotoDefinitionParams) -> Option<GotoDefinitionResponse> {
    let doc = docs.get(&p.text_document_position_params.text_document.uri)?;
    let at = convert::offset(&doc.text, p.text_document_position_params.position);
    let file = ganc_syntax::parse(ROOT, &doc.text).ok()?;
    let (word, _) = word_at(&doc.text, at)?;
    let mut found: Option<Span> = None;
    for item in &file.items {
        match item {
            Item::Import(i) if i.path_span.start <= at && at <= i.path_span.end => {
                let (id, _) = doc.analysis.sources.files().find(|(_, f)| f.path.ends_with(i.path.as_str()))?;
                return doc.location(Span::new(id, 0..0)).map(GotoDefinitionResponse::Scalar);
            }
            Item::Block(b) if b.name.name == word => found = Some(b.name.span),
            Item::Network(n) if n.name.name == word => found = Some(n.name.span),
            Item::Input(i) if i.name.name == word => found = found.or(Some(i.name.span)),
            Item::Network(n) if n.span.start <= at && at <= n.span.end => {
                let mut lets = Vec::new();
                lets_before(&n.body, at, &mut lets);
                if let Some((_, span)) = lets.iter().rev().find(|(name, _)| name == word) {
                    return doc.location(*span).map(GotoDefinitionResponse::Scalar);
                }
            }
            Item::Block(b) if b.span.start <= at && at <= b.span.end => {
                if let Some(param) = b.params.iter().find(|p| p.name.name == word) {
                    return doc.location(param.name.span).map(GotoDefinitionResponse::Scalar);
                }
                let mut lets = Vec::new();
                lets_before(&b.body, at, &mut lets);
                if let Some((_, span)) = lets.iter().rev().find(|(name, _)| name == word) {
                    return doc.location(*span).map(GotoDefinitionResponse::Scalar);
                }
            }
            _ => {}
        }
    }
    if found.is_none() {
        // A block of an imported file.
        for (id, f) in doc.analysis.sources.files().filter(|(id, _)| *id != ROOT) {
            let Ok(imported) = ganc_syntax::parse(id, &f.text) else { continue };
            found = imported.items.iter().find_map(|i| match i {
                Item::Block(b) if b.name.name == word => Some(b.name.span),
                _ => None,
            });
            if found.is_some() {
                break;
            }
        }
    }
    found.and_then(|s| doc.location(s)).map(GotoDefinitionResponse::Scalar)
}

/// The outline: sections, networks with their `let` values, blocks.
pub fn symbols(docs: &Documents, p: DocumentSymbolParams) -> Option<DocumentSymbolResponse> {
    let doc = docs.get(&p.text_document.uri)?;
    let file = ganc_syntax::parse(ROOT, &doc.text).ok()?;
    let range = |s: Span| convert::range(&doc.text, s.range());
    #[allow(deprecated)] // `deprecated` is a required field of the struct.
    let symbol =
        |name: String, detail: Option<String>, kind: SymbolKind, span: Span, sel: Span, children| DocumentSymbol {
            name,
            detail,
            kind,
            tags: None,
            deprecated: None,
            range: range(span),
            selection_range: range(sel),
            children,
        };
    let mut out = Vec::new();
    for item in &file.items {
        out.push(match item {
            Item::Import(i) => symbol(format!("import {}", i.path), None, SymbolKind::FILE, i.span, i.path_span, None),
            Item::Data(c) => {
                symbol(format!("data {}", c.name.name), None, SymbolKind::OBJECT, c.span, c.name.span, None)
            }
            Item::Input(i) => symbol(
                i.name.name.clone(),
                Some(i.source.name.name.clone()),
                SymbolKind::VARIABLE,
                i.span,
                i.name.span,
                None,
            ),
            Item::Block(b) => {
                symbol(b.name.name.clone(), Some("block".into()), SymbolKind::FUNCTION, b.span, b.name.span, None)
            }
            Item::Network(n) => {
                let mut lets = Vec::new();
                lets_before(&n.body, usize::MAX, &mut lets);
                let children = lets
                    .into_iter()
                    .map(|(name, s)| symbol(name, Some("let".into()), SymbolKind::VARIABLE, s, s, None))
                    .collect();
                let kind = format!("{:?}", n.kind).to_lowercase();
                symbol(n.name.name.clone(), Some(kind), SymbolKind::CLASS, n.span, n.name.span, Some(children))
            }
            Item::Loss(c) => {
                symbol(format!("loss {}", c.name.name), None, SymbolKind::FUNCTION, c.span, c.name.span, None)
            }
            Item::Regularize(r) => symbol(
                format!("regularize {}", r.network.name),
                None,
                SymbolKind::NAMESPACE,
                r.span,
                r.network.span,
                None,
            ),
            Item::Train(t) => symbol("train".into(), None, SymbolKind::NAMESPACE, t.span, t.span, None),
            Item::Evaluate(e) => symbol("evaluate".into(), None, SymbolKind::NAMESPACE, e.span, e.span, None),
        });
    }
    Some(DocumentSymbolResponse::Nested(out))
}

/// Formatting: the whole document in `ganc fmt`'s layout (no edit when it already is).
pub fn formatting(docs: &Documents, p: DocumentFormattingParams) -> Option<Vec<TextEdit>> {
    let doc = docs.get(&p.text_document.uri)?;
    let formatted = ganc_syntax::format::format(&doc.text);
    if formatted == doc.text {
        return Some(Vec::new());
    }
    Some(vec![TextEdit { range: convert::range(&doc.text, 0..doc.text.len()), new_text: formatted }])
}

/// Quick fixes: each diagnostic's machine-applicable fix (did-you-mean) in the requested range.
pub fn code_actions(docs: &Documents, p: CodeActionParams) -> Option<Vec<CodeActionOrCommand>> {
    let doc = docs.get(&p.text_document.uri)?;
    let mut actions = Vec::new();
    for d in &p.context.diagnostics {
        let Some(data) = &d.data else { continue };
        let (Some(range), Some(text)) = (data.get("range"), data["text"].as_str()) else { continue };
        let Ok(range) = serde_json::from_value(range.clone()) else { continue };
        let edit = TextEdit { range, new_text: text.to_string() };
        actions.push(CodeActionOrCommand::CodeAction(CodeAction {
            title: format!("replace with `{text}`"),
            kind: Some(lsp_types::CodeActionKind::QUICKFIX),
            diagnostics: Some(vec![d.clone()]),
            edit: Some(WorkspaceEdit {
                changes: Some(HashMap::from([(doc.uri.clone(), vec![edit])])),
                ..Default::default()
            }),
            is_preferred: Some(true),
            ..CodeAction::default()
        }));
    }
    Some(actions)
}
