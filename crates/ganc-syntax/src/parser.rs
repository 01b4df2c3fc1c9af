//! The pest parser and the entry point [`parse`].

use crate::{ast, expected, lower, nesting};
use ganc_diagnostics::{Diagnostic, FileId, Span};
use pest::Parser;
use std::num::NonZeroUsize;

#[derive(pest_derive::Parser)]
#[grammar = "../../grammar/gan.pest"]
pub(crate) struct GanParser;

/// Bounds the parser's work so that no input can make it run for long.
const CALL_LIMIT: usize = 20_000_000;

/// Parses one file. On a syntax error, returns its diagnostic (the parser stops at the first).
pub fn parse(file: FileId, text: &str) -> Result<ast::File, Box<Diagnostic>> {
    if let Some(d) = nesting::check_nesting(file, text) {
        return Err(Box::new(d));
    }
    pest::set_call_limit(NonZeroUsize::new(CALL_LIMIT));
    match GanParser::parse(Rule::file, text) {
        Ok(mut pairs) => {
            let root = pairs.next().expect("the file rule always yields one pair");
            Ok(lower::file(file, root))
        }
        Err(e) => Err(Box::new(expected::syntax_error(file, text, e))),
    }
}

/// The span of a pair in `file`, without the whitespace and comments pest lets trail after
/// a rule whose optional tail is absent (`tanh  // note` spans just `tanh`).
pub(crate) fn span_of(file: FileId, pair: &pest::iterators::Pair<'_, Rule>) -> Span {
    let s = pair.as_span();
    Span::new(file, s.start()..s.start() + content_len(s.as_str()))
}

/// Length of `text` up to the end of its last character that is neither whitespace nor part
/// of a comment.
fn content_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    let (mut i, mut end) = (0, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 2;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += 1;
                }
                i += 1;
                end = i.min(bytes.len());
            }
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            _ => {
                i += 1;
                end = i;
            }
        }
    }
    end
}
