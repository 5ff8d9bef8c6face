import { PassThrough } from "node:stream";
import { pathToFileURL } from "node:url";
import {
  type CompletionItem,
  CompletionRequest,
  type Connection,
  DefinitionRequest,
  DidChangeTextDocumentNotification,
  DidCloseTextDocumentNotification,
  DidOpenTextDocumentNotification,
  DocumentFormattingRequest,
  type Hover,
  HoverRequest,
  type InitializeResult,
  InitializeRequest,
  InitializedNotification,
  type Location,
  type Position,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
  PublishDiagnosticsNotification,
  type Range,
  StreamMessageReader,
  StreamMessageWriter,
  type TextEdit,
  createConnection,
  createProtocolConnection,
} from "vscode-languageserver/node";
import { startServer } from "../../compiler/lsp/server.js";

/**
 * A language client and the nnc server in one process, joined by two in-memory streams, so
 * tests speak the real protocol (framing, JSON-RPC, capabilities) without spawning anything.
 * `diagnostics(uri)` resolves with the next publication for `uri` not yet taken.
 */
export interface TestClient {
  readonly initialized: InitializeResult;
  readonly logs: readonly string[];
  open(uri: string, text: string, version?: number): void;
  change(uri: string, version: number, range: Range, text: string): void;
  close(uri: string): void;
  diagnostics(uri: string): Promise<PublishDiagnosticsParams>;
  hover(uri: string, position: Position): Promise<Hover | null>;
  definition(uri: string, position: Position): Promise<Location | null>;
  completion(uri: string, position: Position): Promise<CompletionItem[]>;
  formatting(uri: string): Promise<TextEdit[]>;
  dispose(): void;
}

export function uriOf(path: string): string {
  return pathToFileURL(path).href;
}

export async function startClient(
  options: { relatedInformation?: boolean } = {},
): Promise<TestClient> {
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  const server: Connection = createConnection(
    new StreamMessageReader(toServer),
    new StreamMessageWriter(toClient),
  );
  startServer(server);
  const client: ProtocolConnection = createProtocolConnection(
    new StreamMessageReader(toClient),
    new StreamMessageWriter(toServer),
  );
  const logs: string[] = [];
  const queued = new Map<string, PublishDiagnosticsParams[]>();
  const waiting = new Map<string, ((p: PublishDiagnosticsParams) => void)[]>();
  client.onNotification(PublishDiagnosticsNotification.type, (params) => {
    const waiter = waiting.get(params.uri)?.shift();
    if (waiter) waiter(params);
    else queued.set(params.uri, [...(queued.get(params.uri) ?? []), params]);
  });
  client.onNotification("window/logMessage", (params: { message: string }) => {
    logs.push(params.message);
  });
  client.listen();
  const initialized = await client.sendRequest(InitializeRequest.type, {
    // No process id: the server would otherwise watch that process and exit with it.
    processId: null,
    rootUri: null,
    capabilities: {
      textDocument: {
        publishDiagnostics: { relatedInformation: options.relatedInformation ?? true },
      },
    },
  });
  await client.sendNotification(InitializedNotification.type, {});
  const textDocument = (uri: string) => ({ uri });
  return {
    initialized,
    logs,
    open(uri, text, version = 1) {
      void client.sendNotification(DidOpenTextDocumentNotification.type, {
        textDocument: { uri, languageId: "nn", version, text },
      });
    },
    change(uri, version, range, text) {
      void client.sendNotification(DidChangeTextDocumentNotification.type, {
        textDocument: { uri, version },
        contentChanges: [{ range, text }],
      });
    },
    close(uri) {
      void client.sendNotification(DidCloseTextDocumentNotification.type, {
        textDocument: textDocument(uri),
      });
    },
    diagnostics(uri) {
      const ready = queued.get(uri)?.shift();
      if (ready) return Promise.resolve(ready);
      return new Promise((resolve) => {
        waiting.set(uri, [...(waiting.get(uri) ?? []), resolve]);
      });
    },
    hover(uri, position) {
      return client.sendRequest(HoverRequest.type, { textDocument: textDocument(uri), position });
    },
    async definition(uri, position) {
      const result = await client.sendRequest(DefinitionRequest.type, {
        textDocument: textDocument(uri),
        position,
      });
      if (result === null) return null;
      if (!Array.isArray(result)) return result;
      const first = result[0];
      if (first === undefined) return null;
      return "targetUri" in first
        ? { uri: first.targetUri, range: first.targetSelectionRange }
        : first;
    },
    async completion(uri, position) {
      const result = await client.sendRequest(CompletionRequest.type, {
        textDocument: textDocument(uri),
        position,
      });
      if (result === null) return [];
      return Array.isArray(result) ? result : result.items;
    },
    async formatting(uri) {
      const result = await client.sendRequest(DocumentFormattingRequest.type, {
        textDocument: textDocument(uri),
        options: { tabSize: 2, insertSpaces: true },
      });
      return result ?? [];
    },
    dispose() {
      client.dispose();
      server.dispose();
      toServer.destroy();
      toClient.destroy();
    },
  };
}

/** The position of the `nth` (0-based) occurrence of `needle` in `text`, plus `shift` characters. */
export function positionOf(text: string, needle: string, shift = 0, nth = 0): Position {
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = text.indexOf(needle, at + 1);
    if (at < 0) throw new Error(`${JSON.stringify(needle)} not found ${nth + 1} times`);
  }
  const offset = at + shift;
  const before = text.slice(0, offset);
  const line = before.split("\n").length - 1;
  return { line, character: offset - (before.lastIndexOf("\n") + 1) };
}

/** The text with `|` removed, and the position where it was. */
export function withCursor(marked: string): { text: string; position: Position } {
  const at = marked.indexOf("|");
  if (at < 0) throw new Error("no | cursor in the text");
  const text = marked.slice(0, at) + marked.slice(at + 1);
  return { text, position: positionOf(marked, "|") };
}
