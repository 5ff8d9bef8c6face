import {
  EOF,
  type IParserErrorMessageProvider,
  type IRecognitionException,
  type IToken,
  type TokenType,
} from "chevrotain";
import { type Diagnostic, diagnostic } from "../diagnostics/diagnostic.js";
import { didYouMean } from "../diagnostics/suggest.js";
import type { BracketPair } from "./layout.js";
import type { SourceMap } from "./lexer.js";
import { startsSectionOrDecl } from "./section-start.js";
import {
  AnyName,
  Arrow,
  Equals,
  False,
  Identifier,
  LBrace,
  LBracket,
  LParen,
  Newline,
  NumberToken,
  RBrace,
  RBracket,
  RParen,
  StringToken,
  True,
  UnterminatedString,
  keywordTokens,
} from "./tokens.js";

/**
 * Syntax error messages. Chevrotain asks the provider for a message string; ours is a small
 * JSON record (what was expected, and whether a name would have fitted) that `toDiagnostics`
 * completes with the token found, so every syntax error is E101 `expected X, found Y`.
 */
interface Expectation {
  readonly expected: string;
  /** The closing bracket expected, to name the bracket it would close. */
  readonly close?: string;
  /** A name would have been accepted here, so a keyword found deserves a note. */
  readonly name?: boolean;
  /** The rule that expected a closing bracket, to say what else would have fitted. */
  readonly rule?: string;
  /** Found where the next declaration should start. */
  readonly topLevel?: boolean;
}

const declaration = "a declaration ('fn', 'block' or 'model')";
const closers = new Map<TokenType, string>([
  [RParen, ")"],
  [RBracket, "]"],
  [RBrace, "}"],
]);
const openerOf = new Map<string, TokenType>([
  [")", LParen],
  ["]", LBracket],
  ["}", LBrace],
]);
const openText = new Map<string, string>([
  [")", "("],
  ["]", "["],
  ["}", "{"],
]);

/** What else would have been fine before a closing bracket, by rule (and previous token). */
function beforeCloser(ruleName: string, previous: IToken | undefined): string {
  const afterOpen =
    previous !== undefined &&
    [LParen, LBracket, LBrace].includes(previous.tokenType) &&
    !previous.isInsertedInRecovery;
  const afterSeparator = afterOpen || previous?.image === ",";
  const afterLine = afterOpen || previous?.tokenType === Newline;
  switch (ruleName) {
    case "modelDecl":
      return afterLine ? "a section or " : "a newline or ";
    case "forwardSection":
      return afterLine ? "a statement or " : "a newline or ";
    case "blockDecl":
    case "repeatStage":
      return afterOpen ? "a stage or " : "'->' or ";
    case "entryBlock":
      return afterSeparator ? "an entry ('key: value') or " : "',', a newline or ";
    case "callOrName":
    case "callStage":
      return afterSeparator ? "an argument or " : "',' or ";
    case "listExpr":
      return afterSeparator ? "an expression or " : "',' or ";
    case "typeNode":
      return "',' or ";
    case "fnDecl":
      return afterSeparator ? "a parameter or " : "',' or ";
    case "parenExpr":
    case "repeatCount":
      return "an operator or ";
    default:
      return "";
  }
}

function describeType(type: TokenType): string {
  if (type === EOF) return "end of file";
  return type.LABEL ?? type.name;
}

function oneOf(items: readonly string[]): string {
  const unique = [...new Set(items)];
  if (unique.length <= 1) return unique[0] ?? "something else";
  return `${unique.slice(0, -1).join(", ")} or ${unique.at(-1)}`;
}

function acceptsName(types: readonly TokenType[]): boolean {
  return types.some((t) => t === Identifier || t === AnyName);
}

function encode(e: Expectation): string {
  return JSON.stringify(e);
}

export const errorMessageProvider: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, ruleName }) {
    const close = closers.get(expected);
    if (close !== undefined) return encode({ expected: `'${close}'`, close, rule: ruleName });
    if (expected === EOF) return encode({ expected: declaration, topLevel: true });
    return encode({ expected: describeType(expected), name: acceptsName([expected]) });
  },
  buildNotAllInputParsedMessage() {
    return encode({ expected: declaration, topLevel: true });
  },
  buildNoViableAltMessage({ expectedPathsPerAlt, customUserDescription }) {
    const firsts = expectedPathsPerAlt.flatMap((alt) => alt.map((path) => path[0] ?? EOF));
    const expected = customUserDescription ?? oneOf(firsts.map(describeType));
    return encode({ expected, name: acceptsName(firsts) || customUserDescription !== undefined });
  },
  buildEarlyExitMessage({ expectedIterationPaths, customUserDescription }) {
    const firsts = expectedIterationPaths.map((path) => path[0] ?? EOF);
    const expected = customUserDescription ?? oneOf(firsts.map(describeType));
    return encode({ expected, name: acceptsName(firsts) });
  },
};

function decode(message: string): Expectation {
  try {
    const value: unknown = JSON.parse(message);
    if (typeof value === "object" && value !== null && "expected" in value) {
      return value as Expectation;
    }
  } catch {
    // A message not built by our provider: keep chevrotain's text.
  }
  return { expected: message };
}

const isEof = (token: IToken): boolean => token.tokenType === EOF;

/** How an error message names a token: its text in quotes, or `newline` / `end of file`. */
export function describeToken(token: IToken, withKeywordNote = false): string {
  if (isEof(token)) return "end of file";
  if (token.tokenType === Newline) return "newline";
  if (token.image === "") return describeType(token.tokenType);
  if (token.tokenType === StringToken || token.tokenType === UnterminatedString) {
    return token.image.length > 24 ? `${token.image.slice(0, 20)}..."` : token.image;
  }
  const text = token.image.length > 24 ? `${token.image.slice(0, 20)}...` : token.image;
  if (
    withKeywordNote &&
    keywordTokens.has(token.tokenType) &&
    token.tokenType !== True &&
    token.tokenType !== False
  ) {
    return `'${text}' (a keyword, which cannot be used as a name)`;
  }
  return `'${text}'`;
}

export interface ErrorContext {
  readonly source: SourceMap;
  /** The tokens the parser read, to find the neighbours of an error's token. */
  readonly tokens: readonly IToken[];
  readonly pairs: readonly BracketPair[];
}

/**
 * Turns chevrotain's errors into E101 diagnostics, placed at the offending token (for the end
 * of the file: just after the last token), keeping the first error at any one place.
 */
export function toDiagnostics(
  errors: readonly IRecognitionException[],
  ctx: ErrorContext,
): Diagnostic[] {
  const { source, tokens } = ctx;
  const indexOf = new Map(tokens.map((t, i) => [t, i]));
  /** The last token written in the source before position `index`. */
  const writtenBefore = (index: number): IToken | undefined => {
    for (let i = index - 1; i >= 0; i--) if (tokens[i]!.image !== "") return tokens[i];
    return undefined;
  };
  const last = writtenBefore(tokens.length);
  const endOfInput = last === undefined ? 0 : last.startOffset + last.image.length;
  const out: Diagnostic[] = [];
  const located = errors.map((error) => {
    const real = !isEof(error.token) && Number.isFinite(error.token.startOffset);
    return { error, real, at: real ? error.token.startOffset : source.text.length };
  });
  located.sort((x, y) => x.at - y.at);
  // After an error inside `(...)` or `[...]`, the rest of that bracket is not reported: it is
  // usually the parser's recovery stumbling over the same mistake.
  let quietUntil = -1;
  for (const { error, real, at } of located) {
    const token = error.token;
    if (at <= quietUntil) continue;
    const inner = innermostPair(ctx.pairs, at);
    quietUntil = inner !== undefined && inner.open.tokenType !== LBrace ? inner.closeOffset : at;
    const span = real ? source.tokenSpan(token) : source.span(endOfInput, endOfInput);
    const e = decode(error.message);
    let expected = e.expected;
    // Recovery may have skipped tokens before reporting, so find the true previous token.
    const index = real ? (indexOf.get(token) ?? -1) : tokens.length;
    const previous = writtenBefore(index);
    if (e.rule !== undefined) expected = beforeCloser(e.rule, previous) + expected;
    if (e.topLevel === true && previous !== undefined && previous.tokenType !== Newline) {
      expected = "a newline";
    }
    if (e.close !== undefined) {
      const opener = enclosingOpener(
        ctx.pairs,
        e.close,
        real ? token.startOffset : source.text.length,
      );
      if (opener !== undefined) {
        const open = source.position(opener.startOffset);
        expected += ` to close the '${openText.get(e.close) ?? ""}' at ${open.line}:${open.column}`;
      }
    }
    // A keyword that starts a section is most likely one, not a misused name: no note then.
    const [first, second, third] = [0, 1, 2].map((k) => tokens[index + k]?.tokenType);
    const section = index >= 0 && startsSectionOrDecl(first, second, third) !== undefined;
    const found = describeToken(token, e.name === true && !section);
    const hint = real ? syntaxHint(token, previous, expected, ctx, index) : "";
    out.push(diagnostic("E101", span, { expected, found: found + hint }));
  }
  return out;
}

const binaryOperators = new Set(["+", "-", "*", "/", "^", "<", ">", "<=", ">=", "==", "!="]);
const sectionWords = [
  "input",
  "target",
  "forward",
  "loss",
  "optimizer",
  "metrics",
  "train",
  "data",
];

/** A nudge for the mistakes students make most, appended to the E101 message. */
function syntaxHint(
  token: IToken,
  previous: IToken | undefined,
  expected: string,
  ctx: ErrorContext,
  index: number,
): string {
  const sameLine = (t: IToken | undefined) => t !== undefined && t.startLine === token.startLine;
  const inner = innermostPair(ctx.pairs, token.startOffset);
  const inParens = inner?.open.tokenType === LParen;
  if (binaryOperators.has(token.image)) {
    const lineTokens = ctx.tokens.slice(0, Math.max(index, 0)).filter(sameLine);
    if (lineTokens.length === 0) {
      return `; a line cannot start with '${token.image}': end the previous line with it to continue the expression`;
    }
    if (lineTokens.some((t) => t.tokenType === Arrow)) {
      return "; to compute with a pipeline's result, put the pipeline in parentheses: (x -> dense(4)) + y";
    }
  }
  if (token.image === "," && inner?.open.tokenType === LBrace && expected.startsWith("a newline")) {
    return "; sections and statements go one per line, without commas";
  }
  if (token.tokenType === Equals && inParens)
    return "; named arguments are written `name: value`, e.g. lr: 0.01";
  if (
    inParens &&
    previous?.tokenType === Identifier &&
    sameLine(previous) &&
    token.tokenType === NumberToken
  ) {
    return "; named arguments are written `name: value`, e.g. lr: 0.01";
  }
  if (
    !inParens &&
    token.tokenType === Identifier &&
    sameLine(previous) &&
    (previous?.tokenType === RParen || previous?.tokenType === Identifier)
  ) {
    return "; is `->` missing between two stages?";
  }
  if (expected.includes("a section") && token.tokenType === Identifier) {
    return didYouMean(token.image, sectionWords);
  }
  return "";
}

function innermostPair(pairs: readonly BracketPair[], offset: number): BracketPair | undefined {
  let best: BracketPair | undefined;
  for (const pair of pairs) {
    if (pair.open.startOffset >= offset || pair.closeOffset < offset) continue;
    if (best === undefined || pair.open.startOffset > best.open.startOffset) best = pair;
  }
  return best;
}

function enclosingOpener(
  pairs: readonly BracketPair[],
  close: string,
  offset: number,
): IToken | undefined {
  const type = openerOf.get(close);
  let best: IToken | undefined;
  for (const { open, closeOffset } of pairs) {
    if (open.tokenType !== type || open.startOffset >= offset || closeOffset < offset) continue;
    if (best === undefined || open.startOffset > best.startOffset) best = open;
  }
  return best;
}
