//! `ganc fmt`: the canonical layout of a `.gan` file, kept line by line so that every comment
//! stays where it was written.
//!
//! - each line is indented by four spaces per open `{` and open `(` before it (a line that
//!   starts by closing one is indented at the level it closes to);
//! - in code, runs of spaces become one space, `,` and `:` take no space before and one after,
//!   brackets take no space inside;
//! - the space between code and a trailing `//` comment is kept (aligned comments stay aligned),
//!   and so is a comment line that continues such a comment at its column; comment text and
//!   string literals are never touched, nor lines inside `/* ... */`;
//! - trailing whitespace goes, runs of blank lines become one, and the file ends with one
//!   newline.
//!
//! Formatting is idempotent: formatting formatted text changes nothing. The result parses to
//! the same syntax tree (a test checks this on every model and example).

/// The canonical layout of `text`.
pub fn format(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut depth: i64 = 0;
    let mut in_block_comment = false;
    let mut blank_run = 0;
    // Where the trailing comment of the line before starts, when it has one.
    let mut comment_column: Option<usize> = None;
    for raw in text.lines() {
        if in_block_comment {
            out.push_str(raw.trim_end());
            out.push('\n');
            in_block_comment = !raw.contains("*/");
            continue;
        }
        let line = raw.trim();
        if line.is_empty() {
            blank_run += 1;
            comment_column = None;
            continue;
        }
        if blank_run > 0 && !out.is_empty() {
            out.push('\n');
        }
        blank_run = 0;
        let (code, comment) = split_comment(line);
        let (code, opens, closes_first, trailing) = normalize(code);
        let indent = (depth - closes_first).max(0) as usize;
        depth = (depth + opens).max(0);
        let lead = &raw[..raw.len() - raw.trim_start().len()];
        // A comment continuing the trailing comment above it keeps its alignment.
        let continues = code.is_empty() && comment_column.is_some_and(|col| lead.len() == col);
        if continues {
            out.push_str(lead);
        } else {
            out.push_str(&"    ".repeat(indent));
        }
        out.push_str(&code);
        comment_column = None;
        if let Some(comment) = comment {
            if !code.is_empty() {
                out.push_str(if trailing.is_empty() { " " } else { &trailing });
            }
            if !code.is_empty() || continues {
                comment_column = Some(out.len() - out.rfind('\n').map_or(0, |i| i + 1));
            }
            out.push_str(comment);
            in_block_comment = comment.starts_with("/*") && !comment[2..].contains("*/");
        }
        out.push('\n');
    }
    out
}

/// Splits a trimmed line into its code and the comment after it (`//` or `/*`), outside strings.
fn split_comment(line: &str) -> (&str, Option<&str>) {
    let mut in_string = false;
    let bytes = line.as_bytes();
    for i in 0..bytes.len() {
        match bytes[i] {
            b'"' => in_string = !in_string,
            b'/' if !in_string && matches!(bytes.get(i + 1), Some(b'/') | Some(b'*')) => {
                return (&line[..i], Some(&line[i..]));
            }
            _ => {}
        }
    }
    (line, None)
}

/// The normalized code of a line, the change in bracket depth it makes, how many brackets it
/// closes before opening any (its own indent goes back by that much), and the whitespace that
/// stood between the code and a trailing comment.
fn normalize(code: &str) -> (String, i64, i64, String) {
    let trimmed = code.trim_end();
    let trailing = code[trimmed.len()..].to_string();
    let mut out = String::with_capacity(trimmed.len());
    let (mut opens, mut closes_first, mut opened_any) = (0i64, 0i64, false);
    let mut in_string = false;
    let mut pending_space = false;
    for c in trimmed.chars() {
        if in_string {
            out.push(c);
            in_string = c != '"';
            continue;
        }
        match c {
            ' ' | '\t' => pending_space = true,
            ',' | ':' => {
                out.push(c);
                pending_space = true;
            }
            ')' | '}' => {
                opens -= 1;
                if !opened_any {
                    closes_first += 1;
                }
                if c == '}' && pending_space && !out.is_empty() && !out.ends_with(['(', '{']) {
                    out.push(' ');
                }
                out.push(c);
                pending_space = false;
            }
            _ => {
                if pending_space && !out.is_empty() && !out.ends_with(['(', '[']) && !matches!(c, ']') {
                    out.push(' ');
                }
                pending_space = false;
                if matches!(c, '(' | '{') {
                    opens += 1;
                    opened_any = true;
                }
                in_string = c == '"';
                out.push(c);
            }
        }
    }
    // A comma or colon at the end of the line keeps no space after it.
    (out, opens, closes_first, trailing)
}

#[cfg(test)]
mod tests {
    use super::format;

    #[test]
    fn indents_normalizes_and_keeps_comments() {
        let text = "data  mnist(split:train)   // the data\n\n\n\ngenerator G(z)->image{\nlinear(128 ,bias : false)\n  residual {  conv(8,kernel:3) }\n}\n";
        let want = "data mnist(split: train)   // the data\n\ngenerator G(z)->image{\n    linear(128, bias: false)\n    residual { conv(8, kernel: 3) }\n}\n";
        assert_eq!(format(text), want);
        assert_eq!(format(want), want);
    }

    #[test]
    fn comments_continuing_a_trailing_comment_stay_aligned() {
        let text = "D {\n    relu        // one\n                // two\n  // three\n}\n";
        let want = "D {\n    relu        // one\n                // two\n    // three\n}\n";
        assert_eq!(format(text), want);
        assert_eq!(format(want), want);
    }

    #[test]
    fn strings_and_block_comments_are_untouched() {
        let text = "import  \"std/a b.gan\"\n/* a\n   free  form\n*/\ntrain {\nbatch: 64\n}";
        let want = "import \"std/a b.gan\"\n/* a\n   free  form\n*/\ntrain {\n    batch: 64\n}\n";
        assert_eq!(format(text), want);
    }

    #[test]
    fn continuation_lines_indent_inside_parentheses() {
        let text = "train {\noptimizer G: adam(\nlr: 2e-4,\nbetas: (0.5, 0.999)\n)\n}\n";
        let want = "train {\n    optimizer G: adam(\n        lr: 2e-4,\n        betas: (0.5, 0.999)\n    )\n}\n";
        assert_eq!(format(text), want);
    }
}
