import type { CstNode, IRecognitionException, IToken } from "chevrotain";
import { type Diagnostic, diagnostic, normalizeDiagnostics } from "../diagnostics/diagnostic.js";
import type { Decl, Program } from "./ast.js";
import { parseInRuns } from "./parse-runs.js";
import { firstTooDeep, maxTreeDepth } from "./depth.js";
import { parser } from "./grammar.js";
import { layout, maxNesting } from "./layout.js";
import { SourceMap, lex } from "./lexer.js";
import { toDiagnostics } from "./parse-errors.js";
import { toAst } from "./to-ast.js";

export type * from "./ast.js";
export { printExpr, printProgram, printStage } from "./print.js";
export {
  keywordGroups,
  keywords,
  lexicalPatterns,
  operators,
  punctuation,
  tokenVocabulary,
} from "./tokens.js";

export interface ParseResult {
  readonly ast: Program;
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * Parses the text of one `.nn` file.
 *
 * Assumes nothing of `text`: any string is accepted. Guarantees an AST for any input (with
 * `error` expressions and empty-named identifiers where input was missing), and reports every
 * lexical and syntax error as a diagnostic with an E1xx code and an exact span in `file`,
 * sorted by position. Never throws on user input.
 *
 * Errors that follow from an earlier one are left out: parser errors between an unclosed
 * bracket and the place it was found unclosed (E106), at a stray closing bracket (E107), after
 * an unexpected character on its line (E104), and after an unterminated comment (E105).
 * A file nested deeper than `maxNesting` brackets (or `^` in a row) is not parsed: E111; one
 * whose syntax tree is deeper than `maxTreeDepth` (long operator chains) is refused: E112.
 */
export function parse(text: string, file: string): ParseResult {
  const source = new SourceMap(file, text);
  const lexed = lex(source);
  const laid = layout(lexed.tokens, source, lexed.truncatedAt);
  // A string left open swallows the brackets after it, so bracket errors are its echo.
  const openString = lexed.diagnostics.some((d) => d.code === "E102");
  const early = [...lexed.diagnostics, ...(openString ? [] : laid.diagnostics)];
  const refuse = (span = source.span(0, 0)): ParseResult => ({
    ast: { file, decls: [], span: source.span(0, text.length) },
    // Bracket errors are left out: in such a file they are mostly the same problem again.
    diagnostics: normalizeDiagnostics([
      ...lexed.diagnostics,
      diagnostic("E111", span, { limit: maxNesting }),
    ]),
  });
  if (laid.tooDeep !== undefined) return refuse(source.tokenSpan(laid.tooDeep));
  const fast = early.length === 0 ? quickParse(laid.tokens, source) : undefined;
  if (fast !== undefined) return fast;
  let cst: CstNode;
  let errors: readonly IRecognitionException[];
  let built: ReturnType<typeof toAst>;
  try {
    parser.input = [...laid.tokens];
    cst = parser.program();
    errors = parser.errors;
    built = toAst(cst, source);
  } catch (error) {
    // Expected only for a stack overflow on nesting that `maxNesting` does not count.
    if (!(error instanceof RangeError)) throw error;
    return refuse();
  }
  const tooDeep = firstTooDeep(built.program);
  if (tooDeep !== undefined) {
    return {
      ast: { file, decls: [], span: source.span(0, text.length) },
      diagnostics: normalizeDiagnostics([
        ...lexed.diagnostics,
        diagnostic("E112", tooDeep, { limit: maxTreeDepth }),
      ]),
    };
  }
  const parseErrors = toDiagnostics(errors, { source, tokens: laid.tokens, pairs: laid.pairs });
  const quiet = [...laid.suppressed, ...lexed.suppressed];
  const isConsequence = (d: Diagnostic): boolean =>
    quiet.some((r) => d.span.start.offset >= r.from && d.span.start.offset <= r.to);
  const syntax = [...parseErrors, ...built.diagnostics].filter((d) => !isConsequence(d));
  return {
    ast: built.program,
    diagnostics: normalizeDiagnostics([...early, ...firstPerPlace(syntax)]),
  };
}

/**
 * A file without lexical or bracket errors parsed a run of declarations at a time (linear time
 * and memory); undefined when it has a syntax error, or is too deep, so that `parse` reports
 * exactly as a single parse does.
 */
function quickParse(tokens: readonly IToken[], source: SourceMap): ParseResult | undefined {
  let decls: Decl[] | undefined;
  try {
    decls = parseInRuns(tokens, source);
  } catch (error) {
    if (error instanceof RangeError) return undefined;
    throw error;
  }
  if (decls === undefined) return undefined;
  const program: Program = {
    file: source.file,
    decls,
    span: source.span(0, source.text.length),
  };
  if (firstTooDeep(program) !== undefined) return undefined;
  return { ast: program, diagnostics: [] };
}

/**
 * One syntax error per mistake: an error right after another on the same line (the next token
 * or so) is the parser's recovery stumbling over the first one. The parser's error (listed
 * first) wins over the AST builder's at one place.
 */
function firstPerPlace(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const kept: Diagnostic[] = [];
  for (const d of [...diagnostics].sort((a, b) => a.span.start.offset - b.span.start.offset)) {
    const prev = kept.at(-1);
    const echo =
      prev !== undefined &&
      prev.span.start.line === d.span.start.line &&
      d.span.start.offset - prev.span.end.offset <= 3;
    if (!echo) kept.push(d);
  }
  return kept;
}
