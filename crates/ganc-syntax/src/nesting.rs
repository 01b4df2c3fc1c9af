//! A guard run before the parser: pest descends recursively, so braces or parentheses nested
//! thousands deep would exhaust the stack. The scan is linear and allocation-free.

use ganc_diagnostics::{codes, Diagnostic, FileId, Span};

/// The deepest nesting of `{`, `(` accepted. Real models stay below 20.
pub const MAX_NESTING: usize = 64;

/// The most operators one expression may hold (`1 + 1 + ...`, `- - 1`): the expression tree is
/// as deep as this, and every pass over it recurses.
pub const MAX_OPERATORS: usize = 256;

/// Returns an error at the first bracket that goes deeper than [`MAX_NESTING`], or at the
/// first expression with more than [`MAX_OPERATORS`] operators.
pub(crate) fn check_nesting(file: FileId, text: &str) -> Option<Diagnostic> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut operators = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' | b'-' | b'*' | b'/' | b'%'
                if !(bytes[i] == b'/' && matches!(bytes.get(i + 1), Some(b'/' | b'*'))) =>
            {
                operators += 1;
                if operators > MAX_OPERATORS {
                    return Some(
                        Diagnostic::new(
                            codes::NESTING_TOO_DEEP,
                            Span::new(file, i..i + 1),
                            format!("an expression with more than {MAX_OPERATORS} operators"),
                        )
                        .label("too many operators")
                        .help("compute the value once and write the number, or use block parameters"),
                    );
                }
            }
            b',' | b'(' | b')' | b'{' | b'}' | b'\n' | b':' => operators = 0,
            _ => {}
        }
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
                i += 1;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'{' | b'(' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(
                        Diagnostic::new(
                            codes::NESTING_TOO_DEEP,
                            Span::new(file, i..i + 1),
                            format!("brackets nested more than {MAX_NESTING} deep"),
                        )
                        .label(format!("this bracket opens level {depth}"))
                        .help("split the body into named `block`s; no model needs this depth"),
                    );
                }
            }
            b'}' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_nesting_is_refused_and_comments_are_ignored() {
        let deep = "(".repeat(MAX_NESTING + 1);
        assert!(check_nesting(FileId(0), &deep).is_some());
        let commented = format!("// {deep}\n/* {deep} */ \"{deep}\"");
        assert!(check_nesting(FileId(0), &commented).is_none());
        assert!(check_nesting(FileId(0), &"(".repeat(MAX_NESTING)).is_none());
    }
}
