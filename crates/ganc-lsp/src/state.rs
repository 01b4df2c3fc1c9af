//! The open documents and their analyses: each edit re-runs the checker on the buffer.

use crate::convert;
use ganc_check::{check_source, Analysis, FsLoader};
use ganc_diagnostics::{Diagnostic, FileId, Severity, Span};
use lsp_server::Notification;
use lsp_types::{
    DiagnosticRelatedInformation, DiagnosticSeverity, DidChangeTextDocumentParams, DidCloseTextDocumentParams,
    DidOpenTextDocumentParams, Location, NumberOrString, Uri,
};
use std::collections::HashMap;

/// An open document.
pub struct Doc {
    /// Its URI.
    pub uri: Uri,
    /// The buffer's text.
    pub text: String,
    /// The checker's analysis of the buffer.
    pub analysis: Analysis,
}

/// The file id of the document itself in its analysis (imports come after it).
pub const ROOT: FileId = FileId(0);

/// Every open document, by URI.
#[derive(Default)]
pub struct Documents {
    docs: HashMap<String, Doc>,
}

impl Documents {
    /// The document at `uri`.
    pub fn get(&self, uri: &Uri) -> Option<&Doc> {
        self.docs.get(uri.as_str())
    }

    /// Applies an open, change or close notification; returns the URI whose diagnostics changed.
    pub fn apply(&mut self, note: &Notification) -> Option<Uri> {
        let (uri, text) = match note.method.as_str() {
            crate::DID_OPEN => {
                let p: DidOpenTextDocumentParams = serde_json::from_value(note.params.clone()).ok()?;
                (p.text_document.uri, Some(p.text_document.text))
            }
            crate::DID_CHANGE => {
                let p: DidChangeTextDocumentParams = serde_json::from_value(note.params.clone()).ok()?;
                // Full synchronization: the last change holds the whole text.
                (p.text_document.uri, p.content_changes.into_iter().last().map(|c| c.text))
            }
            crate::DID_CLOSE => {
                let p: DidCloseTextDocumentParams = serde_json::from_value(note.params.clone()).ok()?;
                self.docs.remove(p.text_document.uri.as_str());
                return Some(p.text_document.uri);
            }
            _ => return None,
        };
        let text = text?;
        // Imports resolve beside the file, as for `ganc check`.
        let analysis = check_source(&convert::path(&uri), &text, &FsLoader);
        self.docs.insert(uri.as_str().to_string(), Doc { uri: uri.clone(), text, analysis });
        Some(uri)
    }

    /// Drops the document at `uri` (after its check failed).
    pub fn forget(&mut self, uri: &Uri) {
        self.docs.remove(uri.as_str());
    }

    /// The LSP diagnostics of the document at `uri` (none once it is closed).
    pub fn diagnostics(&self, uri: &Uri) -> Vec<lsp_types::Diagnostic> {
        let Some(doc) = self.get(uri) else { return Vec::new() };
        doc.analysis.diagnostics.iter().map(|d| to_lsp(doc, d)).collect()
    }
}

impl Doc {
    /// The LSP location of a span of this document's analysis (its own text or an import).
    pub fn location(&self, span: Span) -> Option<Location> {
        if span.file == ROOT {
            return Some(Location { uri: self.uri.clone(), range: convert::range(&self.text, span.range()) });
        }
        let file = self.analysis.sources.get(span.file);
        let uri = convert::uri(std::path::Path::new(&file.path))?;
        Some(Location { uri, range: convert::range(&file.text, span.range()) })
    }
}

/// One checker diagnostic in LSP terms. Diagnostics in imported files are shown at the top of
/// the document, naming the file; secondary labels become related information; the fix travels
/// in `data` for the quick fix.
fn to_lsp(doc: &Doc, d: &Diagnostic) -> lsp_types::Diagnostic {
    let in_doc = d.primary.span.file == ROOT;
    let range =
        if in_doc { convert::range(&doc.text, d.primary.span.range()) } else { convert::range(&doc.text, 0..0) };
    let mut message = d.message.clone();
    if !in_doc {
        message = format!("{}: {message}", doc.analysis.sources.get(d.primary.span.file).path);
    }
    if let Some(help) = &d.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    let related: Vec<DiagnosticRelatedInformation> = d
        .secondary
        .iter()
        .filter_map(|l| {
            doc.location(l.span).map(|location| DiagnosticRelatedInformation { location, message: l.message.clone() })
        })
        .collect();
    let data = d
        .fix
        .as_ref()
        .filter(|f| f.span.file == ROOT)
        .map(|f| serde_json::json!({ "range": convert::range(&doc.text, f.span.range()), "text": f.replacement }));
    lsp_types::Diagnostic {
        range,
        severity: Some(match d.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(d.code.id.to_string())),
        source: Some("ganc".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        data,
        ..lsp_types::Diagnostic::default()
    }
}
