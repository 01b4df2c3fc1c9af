//! Syntax errors in words a person reads: pest's expected rules become "a layer or `}`".

use crate::parser::Rule;
use ganc_diagnostics::{codes, Diagnostic, FileId, Span};
use pest::error::{Error, ErrorVariant, InputLocation};

/// What a rule looks like to someone writing a `.gan` file.
fn describe(rule: Rule) -> &'static str {
    use Rule::*;
    match rule {
        EOI => "end of file",
        import_decl | data_decl | latent_decl | condition_decl | block_def | network | loss_decl | regularize
        | train | evaluate => "a section (`data`, `latent`, `generator`, `loss`, `train`, ...)",
        network_kind => "`generator`, `discriminator` or `encoder`",
        let_stmt | residual_stmt | repeat_stmt | grow_stmt | shrink_stmt | layer_stmt | wrapper | kw_let
        | kw_residual | kw_repeat | kw_grow | kw_shrink => "a layer",
        body => "`{`",
        pipe => "`|>`",
        args => "`(`",
        named_arg => "an argument",
        call | call_expr | ident | path => "a name",
        ident_list => "an input name",
        block_params | block_param => "a parameter name",
        import_names => "`{` or a path string",
        string | string_inner => "a string",
        int | float => "a number",
        value | range | schedule | duration | arith | tuple | paren | boolean | neg => "a value",
        add | sub | mul | div | rem => "an operator",
        optimizer_entry | ema_entry | watch_entry | every_entry | option_entry | call_entry | kw_optimizer | kw_ema
        | kw_watch => "a training option",
        watch_item => "a watched quantity",
        kw_import => "`import`",
        kw_from => "`from`",
        kw_data => "`data`",
        kw_latent => "`latent`",
        kw_condition => "`condition`",
        kw_block => "`block`",
        kw_skip => "`skip`",
        kw_to_rgb => "`to_rgb`",
        kw_from_rgb => "`from_rgb`",
        kw_loss => "`loss`",
        kw_regularize => "`regularize`",
        kw_train => "`train`",
        kw_evaluate => "`evaluate`",
        kw_every => "`every`",
        kw_steps => "`steps`",
        kw_over => "`over`",
        kw_at => "`at`",
        network_at => "network options (`at scales: 3`)",
        file | item | stmt | train_entry | arg | prefix | infix | primary | exponent | digits | ident_char
        | WHITESPACE | COMMENT => "more input",
    }
}

/// Joins descriptions as "a, b or c".
fn one_of(items: &[&str]) -> String {
    match items {
        [] => "something else".to_string(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

/// The token at `pos`, for "found ...".
fn found_at(text: &str, pos: usize) -> (String, usize) {
    let rest = &text[pos..];
    let Some(first) = rest.chars().next() else {
        return ("end of file".to_string(), 0);
    };
    let len = if first.is_alphanumeric() || first == '_' {
        rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(rest.len())
    } else {
        first.len_utf8()
    };
    (format!("`{}`", &rest[..len].escape_debug()), len)
}

fn push_unique(list: &mut Vec<String>, item: String) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// Converts a pest error into an `E0001` diagnostic.
///
/// pest's own error lists only the rules tried where the parse failed, not the punctuation
/// (`~`, `->`, `:`), and so places a missing `->` at the start of the whole item. With error
/// detail on ([`pest::set_error_detail`]) it also records the farthest position any token was
/// tried at, and which tokens: that is where the text went wrong.
pub(crate) fn syntax_error(file: FileId, text: &str, error: Error<Rule>) -> Diagnostic {
    let mut pos = match error.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let mut wanted: Vec<String> = Vec::new();
    match (&error.variant, error.parse_attempts()) {
        (ErrorVariant::ParsingError { .. }, Some(attempts)) if attempts.max_position > pos => {
            pos = attempts.max_position;
            // The rules that failed inside the item; the item itself ("a section") only says
            // where the parser was, not what it wanted.
            for stack in &attempts.call_stacks {
                if let Some(rule) = stack.deepest.get_rule() {
                    let d = describe(*rule);
                    if !d.starts_with("a section") {
                        push_unique(&mut wanted, d.to_string());
                    }
                }
            }
            for token in attempts.expected_tokens().iter().map(ToString::to_string) {
                // Literal text only: not character ranges (`a..z`), built-in rules or comments.
                let range = token.chars().count() == 4 && token.get(1..3) == Some("..");
                let comment = token == "//" || token == "/*";
                if !range && !comment && token != "BUILTIN_RULE" && !token.trim().is_empty() {
                    push_unique(&mut wanted, format!("`{token}`"));
                }
            }
        }
        (ErrorVariant::ParsingError { positives, .. }, _) => {
            for rule in positives {
                push_unique(&mut wanted, describe(*rule).to_string());
            }
            // Closing braces are literals, which pest does not list: add them where a list may end.
            if wanted.iter().any(|w| matches!(w.as_str(), "a layer" | "a training option" | "a watched quantity")) {
                push_unique(&mut wanted, "`}`".to_string());
            }
        }
        (ErrorVariant::CustomError { .. }, _) => {}
    }
    let (found, len) = found_at(text, pos);
    let span = Span::new(file, pos..pos + len);
    if let ErrorVariant::CustomError { .. } = error.variant {
        return Diagnostic::new(codes::NESTING_TOO_DEEP, span, "the file is too complex to parse")
            .help("split it into smaller blocks or files");
    }
    let wanted: Vec<&str> = wanted.iter().map(String::as_str).collect();
    let wanted = one_of(&wanted);
    let mut d = Diagnostic::new(codes::SYNTAX, span, format!("expected {wanted}, found {found}"))
        .label(format!("expected {wanted} here"));
    let help = if wanted == "`~`" {
        Some("inputs are drawn from a distribution with `~`, e.g. `latent z ~ normal(128)`".to_string())
    } else {
        hint(text, pos)
    };
    if let Some(help) = help {
        d = d.help(help);
    }
    d
}

/// A targeted hint for common slips.
fn hint(text: &str, pos: usize) -> Option<String> {
    let rest = &text[pos..];
    let before = text[..pos].trim_end();
    let (mut parens, mut braces) = (0i64, 0i64);
    for line in text[..pos].lines() {
        let code = line.split("//").next().unwrap_or("");
        for c in code.chars() {
            match c {
                '(' => parens += 1,
                ')' => parens -= 1,
                '{' => braces += 1,
                '}' => braces -= 1,
                _ => {}
            }
        }
    }
    if parens > 0 && !rest.starts_with(')') {
        return Some("a `(` before this point is not closed: is a `)` or a `,` missing?".into());
    }
    let at_line_start = text[..pos].ends_with('\n') || pos == 0;
    if braces > 0 && (rest.is_empty() || at_line_start) {
        return Some("a `{` before this point is not closed: is a `}` missing?".into());
    }
    if rest.starts_with('=') && !before.ends_with("let") {
        Some("arguments and options are written `name: value`, not `name = value`".into())
    } else if rest.starts_with(';') {
        Some("statements need no `;`: put each on its own line".into())
    } else if rest.is_empty() {
        Some("the file ends early: is a `}` or `)` missing?".into())
    } else {
        None
    }
}
