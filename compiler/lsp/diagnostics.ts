import {
  type Diagnostic as LspDiagnostic,
  type DiagnosticRelatedInformation,
  DiagnosticSeverity,
} from "vscode-languageserver";
import { assertNever } from "../assert.js";
import type { Diagnostic, Severity } from "../diagnostics/diagnostic.js";
import type { Span } from "../diagnostics/span.js";
import type { LineIndex, LspRange } from "./positions.js";

/**
 * The compiler's diagnostics as LSP diagnostics.
 *
 * Assumes: diagnostics of one document whose text `lines` indexes, spans as the compiler makes
 * them (UTF-16 offsets, end exclusive). Guarantees: the range covers exactly the span's text; a
 * zero-width span covers the character it points at (as the CLI's one caret does), or the one
 * before it at the end of a line, or stays empty on an empty line. `code`, severity and
 * `message` are those `nnc check` prints on its `file:line:col: error[CODE]: message` line;
 * its `note:` lines become related information, or, for clients without related information,
 * lines appended to the message, each with its 1-based line and column as the CLI prints them.
 */

export interface ConvertOptions {
  /** The document's URI: spans in the checked file point into it. */
  readonly uri: string;
  /** The file name the document was checked as (the spans' `file`). */
  readonly file: string;
  /** Whether the client shows `relatedInformation`; otherwise notes go into the message. */
  readonly relatedInformation: boolean;
}

export function toLspSeverity(severity: Severity): DiagnosticSeverity {
  switch (severity) {
    case "error":
      return DiagnosticSeverity.Error;
    case "warning":
      return DiagnosticSeverity.Warning;
    default:
      return assertNever(severity, "severity");
  }
}

function isLineBreak(code: number): boolean {
  return code === 10 || code === 13;
}

/** The LSP range of `span`, widened to one character when it is empty. */
export function diagnosticRange(lines: LineIndex, span: Span): LspRange {
  const { text } = lines;
  const start = Math.max(0, Math.min(span.start.offset, text.length));
  const end = Math.max(start, Math.min(span.end.offset, text.length));
  if (end > start) return lines.range(start, end);
  if (start < text.length && !isLineBreak(text.charCodeAt(start))) {
    const high = text.charCodeAt(start);
    // Never split a surrogate pair: the character is both code units.
    const width = high >= 0xd800 && high <= 0xdbff && start + 1 < text.length ? 2 : 1;
    return lines.range(start, start + width);
  }
  if (start > 0 && !isLineBreak(text.charCodeAt(start - 1))) {
    const low = text.charCodeAt(start - 1);
    const width = low >= 0xdc00 && low <= 0xdfff && start >= 2 ? 2 : 1;
    return lines.range(start - width, start);
  }
  return lines.range(start, start);
}

export function toLspDiagnostic(
  d: Diagnostic,
  lines: LineIndex,
  options: ConvertOptions,
): LspDiagnostic {
  const related: DiagnosticRelatedInformation[] = [];
  const appended: string[] = [];
  for (const note of d.related) {
    const inDocument = note.span.file === options.file;
    if (options.relatedInformation && inDocument) {
      related.push({
        location: { uri: options.uri, range: diagnosticRange(lines, note.span) },
        message: note.message,
      });
    } else {
      const { line, column } = note.span.start;
      appended.push(`${note.span.file}:${line}:${column}: note: ${note.message}`);
    }
  }
  const lsp: LspDiagnostic = {
    range: diagnosticRange(lines, d.span),
    severity: toLspSeverity(d.severity),
    code: d.code,
    source: "nnc",
    message: [d.message, ...appended].join("\n"),
  };
  return related.length > 0 ? { ...lsp, relatedInformation: related } : lsp;
}

export function toLspDiagnostics(
  diagnostics: readonly Diagnostic[],
  lines: LineIndex,
  options: ConvertOptions,
): LspDiagnostic[] {
  return diagnostics.map((d) => toLspDiagnostic(d, lines, options));
}
