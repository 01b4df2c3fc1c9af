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

/// The span of a pair in `file`.
pub(crate) fn span_of(file: FileId, pair: &pest::iterators::Pair<'_, Rule>) -> Span {
    let s = pair.as_span();
    Span::new(file, s.start()..s.end())
}
