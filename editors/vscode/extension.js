// Starts `mcpc lsp` (the binary from the `mcpc.server.path` setting) for
// `.mcpc` files, and restarts it when the setting changes.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function start() {
  const command = vscode.workspace.getConfiguration("mcpc").get("server.path") || "mcpc";
  client = new LanguageClient(
    "mcpc",
    "mcpc",
    { command, args: ["lsp"] },
    {
      documentSelector: [{ scheme: "file", language: "mcpc" }],
      synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/*.mcpc") },
    },
  );
  return client.start();
}

function activate(context) {
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration("mcpc.server.path")) {
        if (client) await client.stop();
        await start();
      }
    }),
  );
  return start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
