import type { IToken, TokenType } from "chevrotain";
import {
  Arrow,
  BlockComment,
  Comma,
  Data,
  False,
  Identifier,
  Input,
  LBrace,
  LBracket,
  LParen,
  LineComment,
  Loss,
  Metrics,
  Minus,
  Model,
  Newline,
  NumberToken,
  Optimizer,
  RBrace,
  RBracket,
  RParen,
  StringToken,
  Target,
  Train,
  True,
  keywordTokens,
} from "../syntax/tokens.js";
import { continuationTokens } from "../syntax/layout.js";

/**
 * The formatter's view of a file: its physical lines of tokens (comments included), and for
 * each line how it relates to the statements and brackets around it. Nothing here depends on
 * the spacing or indentation of the input, only on its tokens and where its lines break, so
 * every later stage is a function of those too.
 */

export interface Item {
  readonly type: TokenType;
  /** The token as written; a line comment without trailing whitespace. */
  readonly text: string;
  /** `-` used as a prefix (negation), not between two operands. */
  readonly prefix: boolean;
}

/** How a code line is placed relative to the statement or bracket it belongs to. */
export type LineRole =
  /** The first line of a statement (a declaration, section, binding, entry...). */
  | "statement"
  /** Inside `( )` or `[ ]`: aligned with the bracket's contents. */
  | "bracket"
  /** Starts with `->`: continues a pipeline. */
  | "arrow"
  /** Follows a line ending with an operator, `,`, `=`, `:` or `.`. */
  | "operator"
  /** Starts with a closing bracket. */
  | "closer";

export interface Line {
  /** Code tokens (block comments included), without the trailing line comment. */
  readonly items: readonly Item[];
  /** The line comment ending the line, if any. */
  readonly comment: string | undefined;
  /** Blank lines before this one in the input. */
  readonly blankBefore: number;
}

/** A bracket open at the start of a line: its type and whether it holds a model's sections. */
export interface OpenBracket {
  readonly type: TokenType;
  readonly modelBody: boolean;
}

export interface LineInfo {
  /** No code on the line, only comments. */
  readonly commentOnly: boolean;
  readonly role: LineRole;
  /** Brackets open when the line starts, outermost first. */
  readonly open: readonly OpenBracket[];
  /** The line closes every bracket it opens and none opened before it. */
  readonly balanced: boolean;
  /** The statement it starts also ends on it (balanced, and the next code line starts anew). */
  readonly singleLine: boolean;
  /** Indexes of its items that are `->` outside any bracket opened on the line. */
  readonly topArrows: readonly number[];
}

const openers = new Set<TokenType>([LParen, LBracket, LBrace]);
const closers = new Set<TokenType>([RParen, RBracket, RBrace]);

const valueEnds = new Set<TokenType>([
  Identifier,
  NumberToken,
  StringToken,
  True,
  False,
  RParen,
  RBracket,
  RBrace,
]);

export const sectionKeywords = new Map<TokenType, "declares" | "settings">([
  [Input, "declares"],
  [Target, "declares"],
  [Loss, "settings"],
  [Optimizer, "settings"],
  [Metrics, "settings"],
  [Train, "settings"],
  [Data, "settings"],
]);

export function isOpener(type: TokenType): boolean {
  return openers.has(type);
}

export function isCloser(type: TokenType): boolean {
  return closers.has(type);
}

export function isComment(type: TokenType): boolean {
  return type === LineComment || type === BlockComment;
}

/** A name or keyword: what may stand before `:` as an entry key or a named argument. */
export function isNameLike(type: TokenType): boolean {
  return type === Identifier || keywordTokens.has(type);
}

/** Splits a token stream (from a file without syntax errors) into lines. */
export function splitLines(tokens: readonly IToken[]): Line[] {
  const lines: Line[] = [];
  let items: Item[] = [];
  let comment: string | undefined;
  let blank = 0;
  let previous: TokenType | undefined;
  const flush = (): void => {
    if (items.length === 0 && comment === undefined) {
      if (lines.length > 0) blank++;
      return;
    }
    lines.push({ items, comment, blankBefore: blank });
    items = [];
    comment = undefined;
    blank = 0;
  };
  for (const token of tokens) {
    const type = token.tokenType;
    if (type === Newline) {
      flush();
      continue;
    }
    if (type === LineComment) {
      comment = token.image.trimEnd();
      continue;
    }
    const prefix = type === Minus && (previous === undefined || !valueEnds.has(previous));
    // A block comment keeps its text; only its line ends are made `\n`.
    const text = type === BlockComment ? token.image.replace(/\r\n/g, "\n") : token.image;
    items.push({ type, text, prefix });
    if (type !== BlockComment) previous = type;
  }
  flush();
  return markStatementStarts(lines);
}

/**
 * `-` at the start of a statement is a negation even though a value ends the line before it;
 * `splitLines` cannot know where statements start, so this fixes those items afterwards.
 */
function markStatementStarts(lines: Line[]): Line[] {
  const infos = analyzeLines(lines);
  return lines.map((line, i) => {
    const first = firstCode(line);
    if (infos[i]?.role !== "statement" || first < 0 || line.items[first]?.type !== Minus)
      return line;
    const items = line.items.map((item, k) => (k === first ? { ...item, prefix: true } : item));
    return { ...line, items };
  });
}

function firstCode(line: Line): number {
  return line.items.findIndex((item) => !isComment(item.type));
}

/** The role, brackets and balance of each line (see `LineInfo`). */
export function analyzeLines(lines: readonly Line[]): LineInfo[] {
  const stack: OpenBracket[] = [];
  let lastCode: TokenType | undefined;
  /** The code token before `lastCode`, to recognise `model NAME {`. */
  let before1: TokenType | undefined;
  const partial = lines.map((line) => {
    const code = line.items.filter((item) => !isComment(item.type));
    const open = [...stack];
    if (code.length === 0) {
      const role: LineRole = "statement";
      return { commentOnly: true, role, open, balanced: true, topArrows: [] as number[] };
    }
    const first = code[0]!.type;
    const top = stack.at(-1)?.type;
    let role: LineRole;
    if (closers.has(first)) role = "closer";
    else if (top === LParen || top === LBracket) role = "bracket";
    else if (first === Arrow) role = "arrow";
    else if (
      lastCode !== undefined &&
      continuationTokens.has(lastCode) &&
      !(lastCode === Comma && top === LBrace)
    )
      role = "operator";
    else role = "statement";
    const depthAtStart = stack.length;
    let minDepth = depthAtStart;
    const topArrows: number[] = [];
    line.items.forEach((item, k) => {
      const type = item.type;
      if (isComment(type)) return;
      if (type === Arrow && stack.length === depthAtStart) topArrows.push(k);
      if (openers.has(type)) {
        stack.push({
          type,
          modelBody: type === LBrace && before1 === Model && lastCode === Identifier,
        });
      } else if (closers.has(type)) {
        stack.pop();
        minDepth = Math.min(minDepth, stack.length);
      }
      before1 = lastCode;
      lastCode = type;
    });
    const balanced = minDepth === depthAtStart && stack.length === depthAtStart;
    return { commentOnly: false, role, open, balanced, topArrows };
  });
  return partial.map((info, i) => {
    if (info.commentOnly) return { ...info, singleLine: false };
    let next = i + 1;
    while (next < partial.length && partial[next]!.commentOnly) next++;
    const nextRole = partial[next]?.role;
    const continued =
      nextRole === "arrow" ||
      nextRole === "operator" ||
      (nextRole === "closer" &&
        firstCode(lines[next]!) >= 0 &&
        lines[next]!.items[firstCode(lines[next]!)]!.type !== RBrace);
    return { ...info, singleLine: info.role === "statement" && info.balanced && !continued };
  });
}
