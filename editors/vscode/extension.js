// Starts `ganc lsp` for .gan files. The server does all the work: diagnostics, hover, completion,
// definitions, outline, formatting and quick fixes.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("ganc").get("path") || "ganc";
  const server = { command, args: ["lsp"] };
  client = new LanguageClient(
    "ganc",
    "ganc",
    { run: server, debug: server },
    { documentSelector: [{ scheme: "file", language: "gan" }] }
  );
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
