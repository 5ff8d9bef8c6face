import { ProposedFeatures, createConnection } from "vscode-languageserver/node";
import { startServer } from "./server.js";

/**
 * The language server's process entry: `node dist/compiler/lsp/main.js --stdio` (the transport
 * argument, `--stdio`, `--node-ipc` or `--socket=N`, is read by `createConnection` from the
 * command line, as every vscode-languageclient passes one). Kept apart from server.ts so tests
 * can start the server on their own streams without a process.
 */
startServer(createConnection(ProposedFeatures.all));
