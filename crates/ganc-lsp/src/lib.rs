//! The `.gan` language server (`ganc lsp`): the checker's diagnostics as the user types, the
//! shape and parameter count of a statement on hover, the registry's reference on a name,
//! completion of layer, loss, regularizer, option and argument names, go to definition,
//! the outline, formatting and quick fixes.
//!
//! It is a thin layer over the same analysis as `ganc check` (no second parser, no second list
//! of names), so the editor and the command line never disagree. It speaks LSP over stdio with
//! `lsp-server` (rust-analyzer's transport); every request is answered, and a handler that
//! fails, for a request or a notification, is reported instead of taking the server down.

mod convert;
mod features;
mod state;

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, Notification as _, PublishDiagnostics,
};
use lsp_types::request::{
    CodeActionRequest, Completion, DocumentSymbolRequest, Formatting, GotoDefinition, HoverRequest, Request as _,
};
use lsp_types::{
    CodeActionProviderCapability, CompletionOptions, HoverProviderCapability, OneOf, PublishDiagnosticsParams,
    ServerCapabilities, TextDocumentSyncCapability, TextDocumentSyncKind,
};
use state::Documents;
use std::error::Error;

/// What the server can do, announced at initialization.
pub fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec!["(".into(), ",".into(), " ".into()]),
            ..CompletionOptions::default()
        }),
        definition_provider: Some(OneOf::Left(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
        ..ServerCapabilities::default()
    }
}

/// Serves LSP over stdin and stdout until the client shuts the server down.
pub fn run_stdio() -> Result<(), Box<dyn Error + Send + Sync>> {
    // The I/O threads are not joined: after `exit` the server ends at once, as the protocol
    // asks, even while the client still holds its end of stdin open.
    let (connection, _io_threads) = Connection::stdio();
    connection.initialize(serde_json::to_value(capabilities())?)?;
    serve(&connection)
}

/// The message loop.
pub fn serve(connection: &Connection) -> Result<(), Box<dyn Error + Send + Sync>> {
    let mut docs = Documents::default();
    for message in &connection.receiver {
        match message {
            Message::Request(req) => {
                if connection.handle_shutdown(&req)? {
                    return Ok(());
                }
                let response = answer(&docs, req);
                connection.sender.send(Message::Response(response))?;
            }
            Message::Notification(note) => {
                if let Some(params) = notified(&mut docs, &note) {
                    let note = Notification::new(PublishDiagnostics::METHOD.to_string(), params);
                    connection.sender.send(Message::Notification(note))?;
                }
            }
            Message::Response(_) => {}
        }
    }
    Ok(())
}

/// Runs a handler; a panic (its message already on stderr by the panic hook) becomes `None`.
fn guarded<T>(handler: impl FnOnce() -> T) -> Option<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(handler)).ok()
}

/// Answers one request; a handler that panics is answered with an internal error.
fn answer(docs: &Documents, req: Request) -> Response {
    let id = req.id.clone();
    match guarded(|| dispatch(docs, req)) {
        Some(Ok(value)) => Response::new_ok(id, value),
        Some(Err((code, message))) => Response::new_err(id, code as i32, message),
        None => Response::new_err(id, ErrorCode::InternalError as i32, "the request failed inside ganc".into()),
    }
}

/// Applies an open, change or close notification and gives the diagnostics to publish. When
/// checking the document panics, the server forgets the document (requests on it answer
/// nothing until the next edit), publishes one error saying so, logs it, and keeps serving.
fn notified(docs: &mut Documents, note: &Notification) -> Option<PublishDiagnosticsParams> {
    let publish = guarded(|| {
        docs.apply(note).map(|uri| PublishDiagnosticsParams { diagnostics: docs.diagnostics(&uri), uri, version: None })
    });
    if let Some(publish) = publish {
        return publish;
    }
    let uri: lsp_types::Uri = serde_json::from_value(note.params["textDocument"]["uri"].clone()).ok()?;
    docs.forget(&uri);
    eprintln!("ganc lsp: `{}` failed inside ganc on {}", note.method, uri.as_str());
    let failure = lsp_types::Diagnostic {
        severity: Some(lsp_types::DiagnosticSeverity::ERROR),
        source: Some("ganc".into()),
        message: "ganc failed inside while checking this file (a bug: please report it with the file)\n\
                  help: `ganc check` on the saved file shows where"
            .into(),
        ..lsp_types::Diagnostic::default()
    };
    Some(PublishDiagnosticsParams { uri, diagnostics: vec![failure], version: None })
}

type Answer = Result<serde_json::Value, (ErrorCode, String)>;

fn params<P: serde::de::DeserializeOwned>(req: &Request) -> Result<P, (ErrorCode, String)> {
    serde_json::from_value(req.params.clone()).map_err(|e| (ErrorCode::InvalidParams, e.to_string()))
}

fn json(v: impl serde::Serialize) -> Answer {
    serde_json::to_value(v).map_err(|e| (ErrorCode::InternalError, e.to_string()))
}

fn dispatch(docs: &Documents, req: Request) -> Answer {
    match req.method.as_str() {
        HoverRequest::METHOD => json(features::hover(docs, params(&req)?)),
        Completion::METHOD => json(features::completion(docs, params(&req)?)),
        GotoDefinition::METHOD => json(features::definition(docs, params(&req)?)),
        DocumentSymbolRequest::METHOD => json(features::symbols(docs, params(&req)?)),
        Formatting::METHOD => json(features::formatting(docs, params(&req)?)),
        CodeActionRequest::METHOD => json(features::code_actions(docs, params(&req)?)),
        other => Err((ErrorCode::MethodNotFound, format!("`{other}` is not supported by ganc lsp"))),
    }
}

// Notifications the server reads (for the state module's dispatch).
const DID_OPEN: &str = DidOpenTextDocument::METHOD;
const DID_CHANGE: &str = DidChangeTextDocument::METHOD;
const DID_CLOSE: &str = DidCloseTextDocument::METHOD;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_handler_is_contained() {
        assert_eq!(guarded(|| 7), Some(7));
        assert_eq!(guarded(|| -> i32 { panic!("a bug") }), None);
    }
}
