import type { Span } from "./span.js";
import {
  type DiagnosticCode,
  type DiagnosticData,
  type MessageArgs,
  formatMessage,
} from "./messages.js";

export type Severity = "error" | "warning";

/** A note attached to a diagnostic, pointing at another place (e.g. where a block is used). */
export interface RelatedInfo {
  readonly message: string;
  readonly span: Span;
}

/** A user-facing problem at a place in the source. Collected and returned, never thrown. */
export interface Diagnostic {
  readonly code: DiagnosticCode;
  readonly severity: Severity;
  readonly message: string;
  readonly span: Span;
  readonly related: readonly RelatedInfo[];
}

export function severityOf(code: DiagnosticCode): Severity {
  return code.startsWith("W") ? "warning" : "error";
}

/** Builds the diagnostic for `code` at `span`, with the code's message from the table. */
export function diagnostic<C extends DiagnosticCode>(
  code: C,
  span: Span,
  args: MessageArgs<C>,
  related: readonly RelatedInfo[] = [],
): Diagnostic {
  return { code, severity: severityOf(code), message: formatMessage(code, args), span, related };
}

/** Places data produced away from the source (e.g. by a shape rule) at `span`. */
export function diagnosticAt(
  data: DiagnosticData,
  span: Span,
  related: readonly RelatedInfo[] = [],
): Diagnostic {
  return diagnostic(data.code, span, data.args as never, related);
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}

/** Source order: file, then position, then code, so output is stable. */
export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  if (a.span.file !== b.span.file) return a.span.file < b.span.file ? -1 : 1;
  if (a.span.start.offset !== b.span.start.offset) return a.span.start.offset - b.span.start.offset;
  if (a.code !== b.code) return a.code < b.code ? -1 : 1;
  if (a.message !== b.message) return a.message < b.message ? -1 : 1;
  const noteA = a.related[0]?.span.start.offset ?? -1;
  const noteB = b.related[0]?.span.start.offset ?? -1;
  return noteA - noteB;
}

/**
 * Sorted, without repeats. The same error reached through different use sites (a block used
 * twice) is kept once per use site; a copy without use-site notes (from checking a fn or block
 * body on its own) is dropped when a copy with notes exists.
 */
export function normalizeDiagnostics(diagnostics: readonly Diagnostic[]): readonly Diagnostic[] {
  const place = (d: Diagnostic) =>
    `${d.code}|${d.span.file}|${d.span.start.offset}|${d.span.end.offset}|${d.message}`;
  const notes = (d: Diagnostic) =>
    d.related.map((r) => `${r.span.start.offset}:${r.message}`).join(";");
  const withNotes = new Set(diagnostics.filter((d) => d.related.length > 0).map(place));
  const seen = new Set<string>();
  const kept: Diagnostic[] = [];
  for (const d of diagnostics) {
    if (d.related.length === 0 && withNotes.has(place(d))) continue;
    const key = `${place(d)}|${notes(d)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    kept.push(d);
  }
  return kept.sort(compareDiagnostics);
}
