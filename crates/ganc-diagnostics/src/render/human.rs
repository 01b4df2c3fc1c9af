use crate::{Diagnostic, FileId, Severity, SourceMap};
use codespan_reporting::diagnostic::{self as cs, LabelStyle};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, termcolor};
use std::io::{self, Write};

/// Renders diagnostics as codespan-reporting's rich text, with colour when `color` is set.
pub fn human(out: &mut dyn Write, sources: &SourceMap, diagnostics: &[Diagnostic], color: bool) -> io::Result<()> {
    let mut files = SimpleFiles::new();
    let ids: Vec<usize> = sources.files().map(|(_, f)| files.add(f.path.clone(), f.text.clone())).collect();
    let file = |id: FileId| ids[id.0 as usize];
    let mut buffer = if color { termcolor::Buffer::ansi() } else { termcolor::Buffer::no_color() };
    let config = term::Config::default();
    for d in diagnostics {
        let severity = match d.severity {
            Severity::Error => cs::Severity::Error,
            Severity::Warning => cs::Severity::Warning,
        };
        let mut labels = vec![cs::Label::new(LabelStyle::Primary, file(d.primary.span.file), d.primary.span.range())
            .with_message(d.primary.message.clone())];
        labels.extend(d.secondary.iter().map(|l| {
            cs::Label::new(LabelStyle::Secondary, file(l.span.file), l.span.range()).with_message(l.message.clone())
        }));
        let mut notes: Vec<String> = d.notes.iter().map(|n| format!("note: {n}")).collect();
        if let Some(help) = &d.help {
            notes.push(format!("help: {help}"));
        }
        let diagnostic = cs::Diagnostic::new(severity)
            .with_code(d.code.id)
            .with_message(d.message.clone())
            .with_labels(labels)
            .with_notes(notes);
        term::emit(&mut buffer, &config, &files, &diagnostic).map_err(io::Error::other)?;
    }
    out.write_all(buffer.as_slice())
}
