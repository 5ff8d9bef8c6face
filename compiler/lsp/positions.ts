import type { Span } from "../diagnostics/span.js";

/**
 * Offsets of a document's text and LSP positions, both ways.
 *
 * Assumes: offsets are indices into the JavaScript string (UTF-16 code units), as the
 * compiler's spans are. Guarantees: positions follow LSP (0-based line, UTF-16 character, `\n`,
 * `\r\n` and a lone `\r` each end a line), so a range computed here lands on the same characters
 * in any editor even where the compiler's own line/column (which ends lines at `\n` only) would
 * not. Offsets out of range clamp to the text; a position past a line's end clamps to the end.
 */

/** An LSP position: 0-based line and UTF-16 character. */
export interface LspPosition {
  readonly line: number;
  readonly character: number;
}

/** An LSP range, end exclusive. */
export interface LspRange {
  readonly start: LspPosition;
  readonly end: LspPosition;
}

export class LineIndex {
  /** Offset of the first character of each line. */
  private readonly starts: number[] = [0];

  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 13 /* \r */) {
        if (text.charCodeAt(i + 1) === 10) i++;
        this.starts.push(i + 1);
      } else if (c === 10 /* \n */) {
        this.starts.push(i + 1);
      }
    }
  }

  get lineCount(): number {
    return this.starts.length;
  }

  positionAt(offset: number): LspPosition {
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: o - (this.starts[lo] ?? 0) };
  }

  offsetAt(position: LspPosition): number {
    if (position.line < 0) return 0;
    if (position.line >= this.starts.length) return this.text.length;
    const start = this.starts[position.line] ?? 0;
    const end = this.lineEnd(position.line);
    return Math.max(start, Math.min(start + position.character, end));
  }

  /** The offset where line `line`'s text ends (before its line break). */
  lineEnd(line: number): number {
    const next = this.starts[line + 1];
    if (next === undefined) return this.text.length;
    const brk = next - 1;
    return this.text.charCodeAt(brk) === 10 && this.text.charCodeAt(brk - 1) === 13 ? brk - 1 : brk;
  }

  range(start: number, end: number): LspRange {
    return { start: this.positionAt(start), end: this.positionAt(end) };
  }

  spanRange(span: Span): LspRange {
    return this.range(span.start.offset, span.end.offset);
  }
}

/** Whether `offset` lies in `span`, its end included (a cursor right after a name is on it). */
export function spanContains(span: Span, offset: number): boolean {
  return span.start.offset <= offset && offset <= span.end.offset;
}

/** Whether two spans cover the same text. */
export function sameSpan(a: Span, b: Span): boolean {
  return a.start.offset === b.start.offset && a.end.offset === b.end.offset;
}

export function spanLength(span: Span): number {
  return span.end.offset - span.start.offset;
}
