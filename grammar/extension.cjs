// The VS Code extension for .nn files: colours come from nn.tmLanguage.json (declared in
// package.json); this file only starts nnc's language server, which the packaging script
// (scripts/package-vsix.mjs) places in server/ with the packages it needs.
"use strict";

const path = require("node:path");

// Required by path: the packaged node_modules lives in server/ (vsce leaves out a top-level
// one), and the package's exports map is bypassed, so this names its file.
const clientEntry = ["server", "node_modules", "vscode-languageclient", "lib", "node", "main.js"];
const { LanguageClient, TransportKind } = require(path.join(__dirname, ...clientEntry));

/** @type {import("vscode-languageclient/node").LanguageClient | undefined} */
let client;

/** @param {import("vscode").ExtensionContext} context */
async function activate(context) {
  const server = context.asAbsolutePath(path.join("server", "dist", "compiler", "lsp", "main.js"));
  const run = { module: server, transport: TransportKind.stdio };
  client = new LanguageClient(
    "nnc",
    "nnc",
    { run, debug: run },
    {
      documentSelector: [
        { scheme: "file", language: "nn" },
        { scheme: "untitled", language: "nn" },
      ],
    },
  );
  await client.start();
}

async function deactivate() {
  if (client) await client.stop();
}

module.exports = { activate, deactivate };
