import { fileURLToPath } from "node:url";
import {
  type CompletionItem,
  type Connection,
  type Definition,
  type Hover,
  type InitializeResult,
  type TextEdit,
  TextDocumentSyncKind,
  TextDocuments,
} from "vscode-languageserver";
import { TextDocument } from "vscode-languageserver-textdocument";
import { type Analysis, AnalysisCache } from "./analysis.js";
import { completionsAt } from "./completion.js";
import { definitionSpanAt } from "./definition.js";
import { toLspDiagnostics } from "./diagnostics.js";
import { formattingEdits } from "./formatting.js";
import { hoverAt } from "./hover.js";

/**
 * The protocol glue of the `.nn` language server: documents, diagnostics, hover, go to
 * definition, completion and document formatting, each answered by the pure functions of this
 * folder.
 *
 * Assumes: a connection that is not yet listening; the client sends full or incremental
 * document changes. Guarantees: diagnostics are published on open and on every change (those of
 * `nnc check` on the document's text, never on files: the server reads nothing from disk), and
 * cleared on close; a document is checked once per version, however many requests ask about it.
 * An exception from the compiler or a handler is logged with `connection.console.error` and
 * answered as "nothing here", so the server outlives broken invariants.
 */

export const serverName = "nnc";

/** Triggers: `(` for arguments, `,` for the next one, `>` of `->` for stages, `:` and `{` for
 * values and keys. Letters trigger completion in every client anyway. */
export const triggerCharacters = ["(", ",", ">", ":", "{"];

/** The file name a document is checked as: its path for `file:` URIs, else the URI itself. */
export function fileNameOf(uri: string): string {
  if (!uri.startsWith("file:")) return uri;
  try {
    return fileURLToPath(uri);
  } catch {
    return uri;
  }
}

export function startServer(connection: Connection): void {
  const documents = new TextDocuments(TextDocument);
  const cache = new AnalysisCache();
  let relatedInformation = false;

  const fail = (what: string, error: unknown): void => {
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    connection.console.error(`nnc: ${what}: ${detail}`);
  };

  /** Runs a handler, answering `fallback` instead of failing the request when it throws. */
  const guard = <T>(what: string, fallback: T, handler: () => T): T => {
    try {
      return handler();
    } catch (error) {
      fail(what, error);
      return fallback;
    }
  };

  const analysisOf = (uri: string): Analysis | null => {
    const doc = documents.get(uri);
    if (!doc) return null;
    return cache.get(uri, doc.version, doc.getText(), fileNameOf(uri));
  };

  const publish = (doc: TextDocument): void => {
    const analysis = cache.get(doc.uri, doc.version, doc.getText(), fileNameOf(doc.uri));
    if (analysis.failure !== null) fail(`internal error checking ${doc.uri}`, analysis.failure);
    const diagnostics = toLspDiagnostics(analysis.result?.diagnostics ?? [], analysis.lines, {
      uri: doc.uri,
      file: analysis.file,
      relatedInformation,
    });
    void connection.sendDiagnostics({ uri: doc.uri, version: doc.version, diagnostics });
  };

  connection.onInitialize((params): InitializeResult => {
    relatedInformation =
      params.capabilities.textDocument?.publishDiagnostics?.relatedInformation === true;
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        hoverProvider: true,
        definitionProvider: true,
        completionProvider: { triggerCharacters, resolveProvider: false },
        documentFormattingProvider: true,
      },
      serverInfo: { name: serverName },
    };
  });

  documents.onDidChangeContent((event) => {
    guard(`checking ${event.document.uri}`, undefined, () => publish(event.document));
  });

  documents.onDidClose((event) => {
    cache.delete(event.document.uri);
    void connection.sendDiagnostics({ uri: event.document.uri, diagnostics: [] });
  });

  connection.onHover((params): Hover | null =>
    guard("hover", null, () => {
      const analysis = analysisOf(params.textDocument.uri);
      if (!analysis) return null;
      return hoverAt(analysis, analysis.lines.offsetAt(params.position));
    }),
  );

  connection.onDefinition((params): Definition | null =>
    guard("definition", null, () => {
      const analysis = analysisOf(params.textDocument.uri);
      if (!analysis) return null;
      const span = definitionSpanAt(analysis, analysis.lines.offsetAt(params.position));
      if (!span) return null;
      return { uri: params.textDocument.uri, range: analysis.lines.spanRange(span) };
    }),
  );

  connection.onCompletion((params): CompletionItem[] =>
    guard("completion", [], () => {
      const analysis = analysisOf(params.textDocument.uri);
      if (!analysis) return [];
      return completionsAt(analysis.text, analysis.lines.offsetAt(params.position), analysis);
    }),
  );

  connection.onDocumentFormatting((params): TextEdit[] =>
    guard("formatting", [], () => {
      const doc = documents.get(params.textDocument.uri);
      if (!doc) return [];
      return formattingEdits(doc, fileNameOf(doc.uri));
    }),
  );

  documents.listen(connection);
  connection.listen();
}
