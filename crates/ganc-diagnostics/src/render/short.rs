use crate::{Diagnostic, SourceMap};

/// One line: `path:line:col: error[E0123]: message` (then ` (help: ...)` when there is help).
pub fn short(sources: &SourceMap, d: &Diagnostic) -> String {
    let file = sources.get(d.primary.span.file);
    let at = file.line_col(d.primary.span.start);
    let mut line =
        format!("{}:{}:{}: {}[{}]: {}", file.path, at.line, at.column, d.severity.as_str(), d.code.id, d.message);
    if let Some(help) = &d.help {
        line.push_str(&format!(" (help: {help})"));
    }
    line
}
