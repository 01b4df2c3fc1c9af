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

/// The most syntax errors reported for one file.
const MAX_ERRORS: usize = 20;

/// Words that start a top-level item at the beginning of a line: where recovery resumes.
pub const ITEM_STARTS: &[&str] = &[
    "import",
    "data",
    "latent",
    "condition",
    "block",
    "generator",
    "discriminator",
    "encoder",
    "loss",
    "regularize",
    "train",
    "evaluate",
];

/// Parses one file. On syntax errors, returns them all: after each error the top-level item
/// that holds it is blanked out and the rest parsed again, so independent mistakes in other
/// sections are reported in the same run.
pub fn parse(file: FileId, text: &str) -> Result<ast::File, Vec<Diagnostic>> {
    if let Some(d) = nesting::check_nesting(file, text) {
        return Err(vec![d]);
    }
    pest::set_call_limit(NonZeroUsize::new(CALL_LIMIT));
    pest::set_error_detail(true);
    let mut errors = Vec::new();
    let mut work = text.to_string();
    loop {
        match GanParser::parse(Rule::file, &work) {
            Ok(mut pairs) if errors.is_empty() => {
                let root = pairs.next().expect("the file rule always yields one pair");
                return Ok(lower::file(file, root));
            }
            Ok(_) => return Err(errors),
            Err(e) => {
                let d = expected::syntax_error(file, &work, e);
                let at = d.primary.span.start;
                if errors.iter().any(|e: &Diagnostic| e.primary.span.start == at) {
                    return Err(errors);
                }
                errors.push(d);
                let (start, end) = item_around(&work, at);
                if errors.len() >= MAX_ERRORS || end <= start {
                    return Err(errors);
                }
                // Blank the item, keeping line breaks so that later spans stay put.
                let blank: String = work[start..end]
                    .chars()
                    .map(|c| if c == '\n' { '\n' } else { ' ' }.to_string().repeat(c.len_utf8()))
                    .collect();
                work.replace_range(start..end, &blank);
            }
        }
    }
}

/// The byte range of the top-level item around `at`: from the last line before it that starts
/// with an item keyword to the next such line (or the end).
fn item_around(text: &str, at: usize) -> (usize, usize) {
    let starts_item = |line: &str| {
        ITEM_STARTS.iter().any(|k| {
            line.strip_prefix(k).is_some_and(|rest| rest.starts_with([' ', '\t', '{', '\r']) || rest.is_empty())
        })
    };
    let mut start = None;
    let mut end = text.len();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if starts_item(line) {
            if offset < at {
                start = Some(offset);
            } else if offset > at {
                end = offset;
                break;
            }
        }
        offset += line.len();
    }
    (start.unwrap_or(0), end)
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
