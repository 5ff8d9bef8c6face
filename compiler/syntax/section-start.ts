import type { TokenType } from "chevrotain";
import {
  Bang,
  Block,
  Colon,
  Data,
  False,
  Fn,
  Forward,
  Identifier,
  Input,
  LBrace,
  LBracket,
  LParen,
  Loss,
  Metrics,
  Minus,
  Model,
  NumberToken,
  Optimizer,
  StringToken,
  Target,
  Train,
  True,
  UnterminatedString,
  keywordTokens,
} from "./tokens.js";

/**
 * Whether a keyword, with the two tokens after it, looks like the start of a declaration or
 * a section (`model NAME`, `input NAME:`, `forward {`, `loss EXPR`, ...) rather than a keyword
 * misused as a name (`forward { data }`). Error handling uses it: the bracket pass closes
 * brackets left open before such a line, and the parser reads other keywords in expressions
 * as misused names (one clear error) instead of losing its place.
 */
function isName(t: TokenType | undefined): boolean {
  return t === Identifier || (t !== undefined && keywordTokens.has(t));
}

export function startsSectionOrDecl(
  first: TokenType | undefined,
  second: TokenType | undefined,
  third: TokenType | undefined,
): "decl" | "section" | undefined {
  switch (first) {
    case Model:
    case Fn:
    case Block:
      return isName(second) ? "decl" : undefined;
    case Input:
    case Target:
      return isName(second) && third === Colon ? "section" : undefined;
    case Forward:
    case Train:
    case Data:
      return second === LBrace ? "section" : undefined;
    case Metrics:
      return second === Identifier ? "section" : undefined;
    case Loss:
    case Optimizer:
      return second !== undefined && expressionStarts.has(second) ? "section" : undefined;
    default:
      return undefined;
  }
}

const expressionStarts = new Set<TokenType>([
  Identifier,
  NumberToken,
  StringToken,
  UnterminatedString,
  LParen,
  LBracket,
  LBrace,
  Minus,
  Bang,
  True,
  False,
]);
