import type { IToken } from "chevrotain";
import type { Decl } from "./ast.js";
import { parser } from "./grammar.js";
import type { SourceMap } from "./lexer.js";
import { toAst } from "./to-ast.js";
import { LBrace, LBracket, LParen, Newline, RBrace, RBracket, RParen } from "./tokens.js";

/**
 * Parsing a file a run of whole declarations at a time, so that time and memory stay linear in
 * its size: chevrotain's CST of a run is garbage as soon as its AST is built, instead of the
 * whole file's CST (about 30 objects per token) living until the end, which made the garbage
 * collector's work grow with the file.
 *
 * Assumes `tokens` come from `layout` with no diagnostics: brackets balanced, and a newline at
 * bracket depth 0 ends a declaration. Guarantees: the declarations of the whole file, exactly as
 * one parse of all of `tokens` builds them, or undefined when any run has a syntax error (or an
 * AST builder's E101), in which case the caller parses the whole file at once, so that error
 * recovery and its messages are those of the single parse.
 *
 * Why a run parses as it would in the whole file: a run ends with a top-level newline, and every
 * decision of the grammar at the end of a declaration reads at most the token after it, which
 * is that newline either way (the keyword gates of `section-start.ts` read further only after a
 * name, never after a newline). A run without errors is therefore parsed as in the whole file,
 * and the whole file has no errors when no run has one.
 */

/** Tokens per run, at least: small enough for the young generation, large enough to amortise a parse. */
const runTokens = 200;

export function parseInRuns(tokens: readonly IToken[], source: SourceMap): Decl[] | undefined {
  const decls: Decl[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < tokens.length; i++) {
    const type = tokens[i]!.tokenType;
    if (type === LParen || type === LBracket || type === LBrace) depth++;
    else if (type === RParen || type === RBracket || type === RBrace) depth--;
    const last = i === tokens.length - 1;
    const ends = last || (type === Newline && depth === 0 && i + 1 - start >= runTokens);
    if (!ends) continue;
    parser.input = tokens.slice(start, i + 1);
    const cst = parser.program();
    if (parser.errors.length > 0) return undefined;
    const built = toAst(cst, source);
    if (built.diagnostics.length > 0) return undefined;
    for (const decl of built.program.decls) decls.push(decl);
    start = i + 1;
  }
  return decls;
}
