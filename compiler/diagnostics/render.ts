import type { Diagnostic } from "./diagnostic.js";
import { printable } from "./printable.js";

export interface RenderOptions {
  /** Wrap severities and carets in ANSI colours (for terminals). */
  readonly color?: boolean;
}

const ansi = {
  red: "\u001b[31m",
  yellow: "\u001b[33m",
  cyan: "\u001b[36m",
  bold: "\u001b[1m",
  reset: "\u001b[0m",
};

/**
 * Renders one diagnostic the way editors' problem matchers read it:
 *
 *     file:line:col: error[E201]: message
 *         7 |   (h + r) -> dense(10)
 *           |    ^^^^^
 *
 * `source` is the text of the diagnostic's file. Spans over several lines underline the first.
 * Control characters of the input (file names, messages quoting it, the source line) are shown
 * escaped (`\x1b`), never written raw, and the carets stay under the escaped text.
 */
export function renderDiagnostic(
  d: Diagnostic,
  source: string,
  options: RenderOptions = {},
): string {
  const paint = (code: string, text: string): string =>
    options.color ? `${code}${text}${ansi.reset}` : text;
  const severityColor = d.severity === "error" ? ansi.red : ansi.yellow;
  const { line, column } = d.span.start;
  const header =
    `${printable(d.span.file)}:${line}:${column}: ` +
    paint(ansi.bold + severityColor, `${d.severity}[${d.code}]`) +
    `: ${printable(d.message)}`;
  const out = [header, ...codeFrame(source, d, paint, severityColor)];
  for (const r of d.related) {
    out.push(
      `${printable(r.span.file)}:${r.span.start.line}:${r.span.start.column}: ${paint(ansi.cyan, "note")}: ${printable(r.message)}`,
    );
  }
  return out.join("\n");
}

/** Renders every diagnostic, each followed by a blank line; `sources` maps file names to text. */
export function renderDiagnostics(
  diagnostics: readonly Diagnostic[],
  sources: ReadonlyMap<string, string>,
  options: RenderOptions = {},
): string {
  const shown = new Map<string, number>();
  const rendered: string[] = [];
  for (const d of diagnostics) {
    const count = shown.get(d.span.file) ?? 0;
    shown.set(d.span.file, count + 1);
    if (count < maxDiagnosticsPerFile) {
      rendered.push(renderDiagnostic(d, sources.get(d.span.file) ?? "", options) + "\n");
    }
  }
  for (const [file, count] of shown) {
    const more = count - maxDiagnosticsPerFile;
    if (more > 0)
      rendered.push(
        `${file}: ${more} more ${more === 1 ? "diagnostic" : "diagnostics"} not shown\n`,
      );
  }
  return rendered.join("\n");
}

/**
 * At most this many diagnostics of one file are printed, then a count of the rest: a file with
 * thousands of mistakes (usually one mistake repeated) stays readable, and its code frames
 * cost time in proportion to the file.
 */
export const maxDiagnosticsPerFile = 100;

function codeFrame(
  source: string,
  d: Diagnostic,
  paint: (code: string, text: string) => string,
  color: string,
): string[] {
  const lines = source.split(/\r?\n/);
  const lineIndex = d.span.start.line - 1;
  const text = lines[lineIndex];
  if (text === undefined) return [];
  const number = String(d.span.start.line);
  const gutter = number.length + 4;
  const column = d.span.start.column - 1;
  const spanEnd = d.span.end.line === d.span.start.line ? d.span.end.column - 1 : text.length;
  // A long line (a 10k-term expression, a minified file) is shown as a window from a little
  // before the span: a frame stays a few hundred characters, never the whole line.
  const from = text.length > maxFrameWidth ? Math.max(0, column - frameContext) : 0;
  const to = Math.min(text.length, from + maxFrameWidth);
  const before = from > 0 ? "..." : "";
  const after = to < text.length ? "..." : "";
  const shown = text.slice(from, to);
  const start = column - from;
  const end = Math.min(spanEnd, to) - from;
  const width = Math.max(1, printable(shown.slice(start, end)).length);
  // Tabs count as one column; keep them in the caret line so the carets line up under them.
  const pad = printable(before + shown.slice(0, start)).replace(/[^\t]/g, " ");
  return [
    `${number.padStart(gutter)} | ${before}${printable(shown)}${after}`,
    `${" ".repeat(gutter)} | ${pad}${paint(color, "^".repeat(width))}`,
  ];
}

/** The most characters of a source line a code frame shows, and how many before the span. */
const maxFrameWidth = 200;
const frameContext = 60;
