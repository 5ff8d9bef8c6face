/** A point in a source file. `line` and `column` are 1-based; a tab counts as one column. */
export interface Position {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
}

/** A half-open range `[start, end)` of one source file. */
export interface Span {
  readonly file: string;
  readonly start: Position;
  readonly end: Position;
}

/** The smallest span covering both `a` and `b` (which must be in the same file). */
export function joinSpans(a: Span, b: Span): Span {
  return {
    file: a.file,
    start: a.start.offset <= b.start.offset ? a.start : b.start,
    end: a.end.offset >= b.end.offset ? a.end : b.end,
  };
}

/** A zero-width span at the start of `file`, for facts about a whole file. */
export function fileStartSpan(file: string): Span {
  const start: Position = { offset: 0, line: 1, column: 1 };
  return { file, start, end: start };
}
