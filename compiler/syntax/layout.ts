import { type IToken, type TokenType, createTokenInstance } from "chevrotain";
import { type Diagnostic, diagnostic } from "../diagnostics/diagnostic.js";
import type { SourceMap } from "./lexer.js";
import { startsSectionOrDecl } from "./section-start.js";
import {
  Arrow,
  Bang,
  Caret,
  Colon,
  Comma,
  Dot,
  EqEq,
  Equals,
  Greater,
  GreaterEq,
  LBrace,
  LBracket,
  LParen,
  Less,
  LessEq,
  Minus,
  Model,
  Newline,
  NotEq,
  Plus,
  RBrace,
  RBracket,
  RParen,
  Slash,
  Star,
} from "./tokens.js";

/**
 * The pass between lexer and parser. Two steps, in this order:
 *
 * 1. Brackets are matched. An unclosed `(`, `[` or `{` is E106 at the opening bracket, and a
 *    closing bracket is inserted (zero-width, image `""`) after the last token before what
 *    revealed it: a closer of an outer bracket, the end of the file, or a line starting with a
 *    declaration keyword (closes every bracket) or a section keyword (closes the brackets
 *    inside the model's braces). A stray closer is E107 and is removed. The parser therefore
 *    always sees balanced brackets, and the ranges between a bad bracket and its repair are
 *    recorded so that parser errors there (consequences of the bracket error) can be dropped.
 *
 * 2. Newlines are filtered. A newline is dropped when it cannot end a statement:
 *    - inside `(...)` or `[...]` (innermost bracket; inside `{...}` newlines count);
 *    - after an operator, `->`, `,`, `=`, `:`, `.` or an open bracket;
 *    - before `->` or `}`;
 *    - after another newline, or at the start or end of the file.
 */

export interface BracketPair {
  readonly open: IToken;
  /** Offset of the matching closer (for an inserted closer, where it was inserted). */
  readonly closeOffset: number;
}

export interface LayoutResult {
  readonly tokens: IToken[];
  readonly diagnostics: Diagnostic[];
  /** Offset ranges `[from, to]` in which parser errors follow from a bracket error. */
  readonly suppressed: readonly { readonly from: number; readonly to: number }[];
  readonly pairs: readonly BracketPair[];
  /** The first token nested deeper than `maxNesting`, if any: the file is then not parsed. */
  readonly tooDeep: IToken | undefined;
}

/**
 * The parser recurses once per bracket level and per `^` in a chain; beyond this the stack
 * could overflow, so deeper files are refused with E111 (real programs nest a few levels).
 */
export const maxNesting = 64;

const closerOf = new Map<TokenType, TokenType>([
  [LParen, RParen],
  [LBracket, RBracket],
  [LBrace, RBrace],
]);
const closers = new Set<TokenType>([RParen, RBracket, RBrace]);
const textOf = new Map<TokenType, string>([
  [LParen, "("],
  [RParen, ")"],
  [LBracket, "["],
  [RBracket, "]"],
  [LBrace, "{"],
  [RBrace, "}"],
]);

/**
 * The operators and separators after which a line always continues (an expression, a pipeline
 * or a list is unfinished); `nnc fmt` reads the same set to indent such lines.
 */
export const continuationTokens: ReadonlySet<TokenType> = new Set<TokenType>([
  Plus,
  Minus,
  Star,
  Slash,
  Caret,
  Less,
  Greater,
  LessEq,
  GreaterEq,
  EqEq,
  NotEq,
  Bang,
  Arrow,
  Comma,
  Equals,
  Colon,
  Dot,
]);

/** Tokens after which a line always continues: the continuation tokens and an open bracket. */
const continuesAfter = new Set<TokenType>([...continuationTokens, LParen, LBracket, LBrace]);

/**
 * Balances brackets, then drops the newlines that do not separate anything (see above).
 * `truncatedAt` is where an unterminated comment swallowed the rest of the file: brackets
 * still open there are closed without an E106, the E105 already explains them.
 */
export function layout(
  tokens: readonly IToken[],
  source: SourceMap,
  truncatedAt: number | undefined,
): LayoutResult {
  const balanced = balanceBrackets(tokens, source, truncatedAt !== undefined);
  return {
    ...balanced,
    tokens: filterNewlines(balanced.tokens),
    tooDeep: tooDeep(balanced.tokens),
  };
}

interface OpenBracket {
  readonly token: IToken;
  /** The `{` of a model, which a section keyword at the start of a line does not close. */
  readonly modelBody: boolean;
}

/** A declaration or section starting a line: brackets still open before it were not closed. */
function boundaryAt(tokens: readonly IToken[], i: number): "decl" | "section" | undefined {
  if (i > 0 && tokens[i - 1]?.tokenType !== Newline) return undefined;
  const [first, second, third] = [tokens[i], tokens[i + 1], tokens[i + 2]].map((t) => t?.tokenType);
  return startsSectionOrDecl(first, second, third);
}

function tooDeep(tokens: readonly IToken[]): IToken | undefined {
  let depth = 0;
  let carets = 0;
  for (const token of tokens) {
    const type = token.tokenType;
    if (closerOf.has(type)) depth++;
    else if (closers.has(type)) depth--;
    else if (type === Caret) carets++;
    else if (type === Newline || type === Comma) carets = 0;
    if (depth > maxNesting || carets > maxNesting) return token;
  }
  return undefined;
}

function balanceBrackets(
  tokens: readonly IToken[],
  source: SourceMap,
  truncated: boolean,
): Omit<LayoutResult, "tooDeep"> {
  const out: IToken[] = [];
  const diagnostics: Diagnostic[] = [];
  const suppressed: { from: number; to: number }[] = [];
  const pairs: BracketPair[] = [];
  const stack: OpenBracket[] = [];
  /** Closes `open` with a zero-width closer just after the last token before any newlines. */
  const closeUnclosed = (open: IToken, report: boolean): void => {
    const close = closerOf.get(open.tokenType) ?? RParen;
    if (report) {
      const args = { open: textOf.get(open.tokenType) ?? "", close: textOf.get(close) ?? "" };
      diagnostics.push(diagnostic("E106", source.tokenSpan(open), args));
    }
    let index = out.length;
    while (index > 0 && out[index - 1]?.tokenType === Newline) index--;
    const before = out[index - 1];
    const at = before === undefined ? 0 : before.startOffset + before.image.length;
    out.splice(index, 0, createTokenInstance(close, "", at, at - 1, NaN, NaN, NaN, NaN));
    suppressed.push({ from: open.startOffset, to: at });
    pairs.push({ open, closeOffset: at });
  };
  tokens.forEach((token, i) => {
    const type = token.tokenType;
    const boundary = boundaryAt(tokens, i);
    if (boundary === "decl" || (boundary === "section" && stack.some((o) => o.modelBody))) {
      // A section closes what is open inside the model; a declaration closes everything.
      const keep = boundary === "section" ? findLastIndex(stack, (o) => o.modelBody) + 1 : 0;
      while (stack.length > keep) closeUnclosed(stack.pop()!.token, true);
    }
    if (closerOf.has(type)) {
      const modelBody = type === LBrace && significantBefore(out, 2)?.tokenType === Model;
      stack.push({ token, modelBody });
      out.push(token);
      return;
    }
    if (!closers.has(type)) {
      out.push(token);
      return;
    }
    const depth = findLastIndex(stack, (open) => closerOf.get(open.token.tokenType) === type);
    if (depth < 0) {
      diagnostics.push(diagnostic("E107", source.tokenSpan(token), { close: token.image }));
      suppressed.push({ from: token.startOffset, to: token.startOffset + token.image.length });
      return;
    }
    while (stack.length - 1 > depth) closeUnclosed(stack.pop()!.token, true);
    pairs.push({ open: stack.pop()!.token, closeOffset: token.startOffset });
    out.push(token);
  });
  while (stack.length > 0) closeUnclosed(stack.pop()!.token, !truncated);
  return { tokens: out, diagnostics, suppressed, pairs };
}

/** The `n`th token from the end of `tokens` that is not a newline. */
function significantBefore(tokens: readonly IToken[], n: number): IToken | undefined {
  let seen = 0;
  for (let i = tokens.length - 1; i >= 0; i--) {
    const token = tokens[i]!;
    if (token.tokenType !== Newline && ++seen === n) return token;
  }
  return undefined;
}

function findLastIndex<T>(items: readonly T[], test: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (test(items[i] as T)) return i;
  return -1;
}

function filterNewlines(tokens: readonly IToken[]): IToken[] {
  const out: IToken[] = [];
  const open: TokenType[] = [];
  // nextType[i]: the type of the first non-newline token after position i.
  const nextType: (TokenType | undefined)[] = tokens.map(() => undefined);
  let following: TokenType | undefined;
  for (let i = tokens.length - 1; i >= 0; i--) {
    nextType[i] = following;
    const type = tokens[i]?.tokenType;
    if (type !== Newline) following = type;
  }
  tokens.forEach((token, i) => {
    const type = token.tokenType;
    if (type !== Newline) {
      if (closerOf.has(type)) open.push(type);
      else if (closers.has(type)) open.pop();
      out.push(token);
      return;
    }
    const innermost = open.at(-1);
    if (innermost === LParen || innermost === LBracket) return;
    const prev = out.at(-1);
    if (prev === undefined || prev.tokenType === Newline || continuesAfter.has(prev.tokenType))
      return;
    const next = nextType[i];
    if (next === undefined || next === Arrow || next === RBrace) return;
    out.push(token);
  });
  return out;
}
