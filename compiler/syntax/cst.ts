import type { CstElement, CstNode, IToken } from "chevrotain";
import { type Diagnostic, diagnostic } from "../diagnostics/diagnostic.js";
import type { Span } from "../diagnostics/span.js";
import type { ErrorExpr, Identifier, Expr } from "./ast.js";
import type { SourceMap } from "./lexer.js";
import { describeToken } from "./parse-errors.js";
import { Identifier as IdentifierToken, keywordTokens } from "./tokens.js";

/**
 * Reading chevrotain's CST, which after error recovery may lack any child: every accessor
 * returns `undefined` or an empty list rather than assuming the grammar's shape.
 */

function isToken(element: CstElement): element is IToken {
  return "image" in element;
}

export function tokensOf(node: CstNode | undefined, key: string): IToken[] {
  return (node?.children[key] ?? []).filter(isToken);
}

export function tokenOf(node: CstNode | undefined, key: string, index = 0): IToken | undefined {
  let seen = 0;
  for (const element of node?.children[key] ?? []) {
    if (isToken(element) && seen++ === index) return element;
  }
  return undefined;
}

export function nodesOf(node: CstNode | undefined, key: string): CstNode[] {
  return (node?.children[key] ?? []).filter((e): e is CstNode => !isToken(e));
}

export function nodeOf(node: CstNode | undefined, key: string, index = 0): CstNode | undefined {
  let seen = 0;
  for (const element of node?.children[key] ?? []) {
    if (!isToken(element) && seen++ === index) return element;
  }
  return undefined;
}

/** A token the parser really read: not one inserted by error recovery. */
export function isReal(token: IToken | undefined): token is IToken {
  return (
    token !== undefined && token.isInsertedInRecovery !== true && Number.isFinite(token.startOffset)
  );
}

/** The index of the first token of `sorted` (in source order) that starts after `offset`. */
function firstAfter(sorted: readonly IToken[], offset: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid]!.startOffset > offset) high = mid;
    else low = mid + 1;
  }
  return low;
}

function startOf(element: CstElement): number {
  return isToken(element) ? element.startOffset : (element.location?.startOffset ?? NaN);
}

/**
 * The first token of a subtree as written in the source, if it has any. Follows the leftmost
 * child by offset (the parser tracks node offsets), so it costs the depth, not the size.
 */
export function firstToken(node: CstNode | undefined): IToken | undefined {
  let best: CstElement | undefined;
  for (const children of Object.values(node?.children ?? {})) {
    for (const child of children) {
      const start = startOf(child);
      const usable = isToken(child) ? isReal(child) && child.image !== "" : Number.isFinite(start);
      if (usable && (best === undefined || start < startOf(best))) best = child;
    }
  }
  if (best === undefined) return undefined;
  return isToken(best) ? best : firstToken(best);
}

/** State shared while building the AST of one file. */
export class Builder {
  readonly diagnostics: Diagnostic[] = [];
  /** Spans of parenthesised expressions including their parentheses (the AST span excludes them). */
  private readonly parenthesised = new WeakMap<Expr, Span>();

  constructor(readonly source: SourceMap) {}

  spanOf(token: IToken): Span {
    return this.source.tokenSpan(token);
  }

  /**
   * From the start of `a` to the end of `b`. Spans here all come from `source`, so their
   * positions are reused rather than looked up again (the AST of a large file has millions).
   */
  join(a: Span, b: Span): Span {
    return { file: a.file, start: a.start, end: b.end.offset >= a.start.offset ? b.end : a.start };
  }

  /** Records that `expr` was written in parentheses spanning `outer`. */
  markParenthesised(expr: Expr, outer: Span): void {
    this.parenthesised.set(expr, outer);
  }

  /** What `expr` covers as an operand: its span, widened to its parentheses if it had them. */
  extent(expr: Expr): Span {
    return this.parenthesised.get(expr) ?? expr.span;
  }

  /** A zero-width span where `span` ends: the place of something missing after it. */
  after(span: Span): Span {
    return { file: span.file, start: span.end, end: span.end };
  }

  errorExpr(span: Span): ErrorExpr {
    return { kind: "error", span };
  }

  /** An identifier, or a placeholder with an empty name where recovery left a hole. */
  identifier(token: IToken | undefined, fallback: Span): Identifier {
    if (!isReal(token)) return { name: "", span: fallback };
    return { name: token.image, span: this.spanOf(token) };
  }

  /** A declared name: a keyword there is E101, and is kept as the name so the tree stays whole. */
  declaredName(token: IToken | undefined, fallback: Span): Identifier {
    if (isReal(token) && keywordTokens.has(token.tokenType)) {
      this.diagnostics.push(
        diagnostic("E101", this.spanOf(token), {
          expected: "a name",
          found: describeToken(token, true),
        }),
      );
    }
    return this.identifier(token, fallback);
  }

  /** E101 at `token` (a syntax rule the grammar leaves to this builder). */
  expected(expected: string, token: IToken | undefined, fallback: Span, hint = ""): void {
    const span = isReal(token) ? this.spanOf(token) : fallback;
    const found = token === undefined ? "something else" : describeToken(token);
    this.diagnostics.push(diagnostic("E101", span, { expected, found: found + hint }));
  }

  /**
   * Items of a newline-separated list must be separated by a newline: reports E101 at the
   * first item that follows another on the same line.
   */
  checkSeparated(items: readonly CstNode[], newlines: readonly IToken[], what: string): void {
    let prev = firstToken(items[0]);
    for (let i = 1; i < items.length; i++) {
      const first = firstToken(items[i]);
      const before = prev;
      prev = first;
      if (first === undefined || before === undefined) continue;
      const next = newlines[firstAfter(newlines, before.startOffset)];
      const separated = next !== undefined && next.startOffset < first.startOffset;
      if (!separated) {
        // `x -> dense(128) relu` parses as two statements on a line: most likely a missing `->`.
        const hint =
          what === "statements" && first.tokenType === IdentifierToken
            ? "; is `->` missing between two stages?"
            : "";
        this.expected(`a newline between ${what}`, first, this.spanOf(first), hint);
      }
    }
  }
}
