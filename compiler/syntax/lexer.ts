import { type IToken, Lexer, createTokenInstance } from "chevrotain";
import { type Diagnostic, diagnostic } from "../diagnostics/diagnostic.js";
import type { Position, Span } from "../diagnostics/span.js";
import {
  BlockComment,
  LineComment,
  Newline,
  NumberToken,
  StringToken,
  UnterminatedComment,
  UnterminatedString,
  tokenVocabulary,
  validNumber,
} from "./tokens.js";

/**
 * Maps string offsets to positions. Lines end at `\n` (so `\r\n` ends a line once); a tab is
 * one column; offsets past the end clamp to the end of the text.
 */
export class SourceMap {
  private readonly lineStarts: number[] = [0];

  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    for (let i = 0; i < text.length; i++) {
      if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
    }
  }

  position(offset: number): Position {
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.lineStarts[mid] ?? 0) <= o) lo = mid;
      else hi = mid - 1;
    }
    return { offset: o, line: lo + 1, column: o - (this.lineStarts[lo] ?? 0) + 1 };
  }

  /** The half-open span `[start, end)`. */
  span(start: number, end: number): Span {
    const from = this.position(start);
    // Zero-width spans (the places of missing input, made for every construct) share one
    // position: positions are immutable, and the AST of a large file holds millions.
    return { file: this.file, start: from, end: end <= start ? from : this.position(end) };
  }

  /** The span of a token as written; zero-width for tokens the parser or layout pass made up. */
  tokenSpan(token: IToken): Span {
    const start = Number.isFinite(token.startOffset) ? token.startOffset : this.text.length;
    return this.span(start, start + token.image.length);
  }
}

export interface LexResult {
  /** Significant tokens and newlines, in source order; comments and whitespace removed. */
  readonly tokens: IToken[];
  readonly diagnostics: Diagnostic[];
  /** Where an unterminated block comment swallowed the rest of the file, if one did. */
  readonly truncatedAt: number | undefined;
  /** Offset ranges `[from, to]` in which syntax errors follow from a lexical error. */
  readonly suppressed: { from: number; to: number }[];
}

const lexer = new Lexer([...tokenVocabulary], {
  positionTracking: "onlyOffset",
  ensureOptimizations: true,
});

/**
 * Every token of `text` as written, comments and newlines included (whitespace is skipped);
 * characters the lexer does not know are left out. The formatter reads this stream.
 */
export function tokenizeWithTrivia(text: string): IToken[] {
  return lexer.tokenize(text).tokens;
}

const knownEscapes = new Set(['"', "\\", "n", "t"]);

/**
 * Splits `text` into tokens. Never fails: an unknown character is E104 (one per run) and is
 * skipped; an unterminated string is E102 and still a string token; a bad escape is E103; an
 * unterminated block comment is E105 and swallows the rest of the file; a malformed number is
 * E110 and still a number token. A block comment spanning lines counts as a line break.
 */
export function lex(source: SourceMap): LexResult {
  const { text } = source;
  const result = lexer.tokenize(text);
  const diagnostics: Diagnostic[] = [];
  const suppressed: { from: number; to: number }[] = [];
  let truncatedAt: number | undefined;
  for (const e of result.errors) {
    const ch = String.fromCodePoint(text.codePointAt(e.offset) ?? 0xfffd);
    diagnostics.push(
      diagnostic("E104", source.span(e.offset, e.offset + e.length), {
        char: ch,
        hint: characterHint(ch),
      }),
    );
    const lineEnd = text.indexOf("\n", e.offset);
    suppressed.push({ from: e.offset, to: lineEnd < 0 ? text.length : lineEnd });
  }
  const tokens: IToken[] = [];
  for (const token of result.tokens) {
    const type = token.tokenType;
    if (type === LineComment) continue;
    if (type === BlockComment) {
      if (token.image.includes("\n")) tokens.push(syntheticNewline(token));
      continue;
    }
    if (type === UnterminatedComment) {
      diagnostics.push(
        diagnostic("E105", source.span(token.startOffset, token.startOffset + 2), {}),
      );
      truncatedAt = token.startOffset;
      suppressed.push({ from: token.startOffset, to: text.length });
      continue;
    }
    if (type === StringToken || type === UnterminatedString) {
      checkEscapes(token, source, diagnostics);
      if (type === UnterminatedString) {
        diagnostics.push(diagnostic("E102", source.tokenSpan(token), {}));
      }
    } else if (type === NumberToken) {
      const valid = validNumber.test(token.image);
      // A literal past the largest double (1e400) would be Infinity everywhere it is used.
      const tooLarge = valid && !Number.isFinite(Number(token.image));
      if (!valid || tooLarge) {
        diagnostics.push(
          diagnostic("E110", source.tokenSpan(token), { text: token.image, tooLarge }),
        );
      }
    }
    tokens.push(token);
  }
  return { tokens, diagnostics, truncatedAt, suppressed };
}

function syntheticNewline(comment: IToken): IToken {
  const o = comment.startOffset;
  return createTokenInstance(
    Newline,
    comment.image,
    o,
    o + comment.image.length - 1,
    NaN,
    NaN,
    NaN,
    NaN,
  );
}

function checkEscapes(token: IToken, source: SourceMap, out: Diagnostic[]): void {
  const image = token.image;
  for (let i = 1; i < image.length; i++) {
    if (image[i] !== "\\") continue;
    const next = image[i + 1];
    // A backslash ending an unterminated string is part of the E102, not an escape.
    if (next !== undefined && !knownEscapes.has(next)) {
      const at = token.startOffset + i;
      out.push(diagnostic("E103", source.span(at, at + 2), { escape: `\\${next}` }));
    }
    i++;
  }
}

/** The value of a string token: quotes removed, known escapes decoded, unknown ones kept. */
export function decodeString(token: IToken): string {
  const closed = token.tokenType === StringToken;
  const body = token.image.slice(1, closed ? -1 : undefined);
  return body.replace(/\\(.?)/g, (_, c: string) =>
    c === "n" ? "\n" : c === "t" ? "\t" : c === '"' ? '"' : c === "\\" ? "\\" : `\\${c}`,
  );
}

/** A nudge for characters that other languages use where .nn has something else. */
function characterHint(ch: string): string {
  switch (ch) {
    case "#":
      return "; comments start with // (or /* ... */)";
    case "\u2192":
      return "; write the arrow as ->";
    case "'":
      return '; strings use double quotes: "..."';
    case ";":
      return "; statements end at the end of the line, no semicolon needed";
    default:
      return "";
  }
}
