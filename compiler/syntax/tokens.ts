import { type CustomPatternMatcherReturn, type TokenType, Lexer, createToken } from "chevrotain";

/**
 * The token vocabulary of `.nn`, and a plain-data table of it for tools (the TextMate grammar
 * generator reads `keywords`, `operators`, `punctuation` and `lexicalPatterns`).
 *
 * Every token's `LABEL` is how syntax errors describe it to users: quoted text for fixed
 * tokens (`')'`), a phrase for classes (`a name`, `a number`).
 */

// --- categories: abstract token types that several concrete tokens belong to ------------------

/** Anything usable as a named argument's name or an entry key: a name or any keyword. */
export const AnyName = createToken({ name: "AnyName", pattern: Lexer.NA, label: "a name" });
/** Keywords but `true`, `false` and `repeat`: misused names where a name would fit. */
export const KeywordName = createToken({
  name: "KeywordName",
  pattern: Lexer.NA,
  label: "a keyword",
});
export const CompareOp = createToken({
  name: "CompareOp",
  pattern: Lexer.NA,
  label: "a comparison",
});
export const AdditiveOp = createToken({
  name: "AdditiveOp",
  pattern: Lexer.NA,
  label: "'+' or '-'",
});
export const MultiplicativeOp = createToken({
  name: "MultiplicativeOp",
  pattern: Lexer.NA,
  label: "'*' or '/'",
});
export const PrefixOp = createToken({ name: "PrefixOp", pattern: Lexer.NA, label: "'-' or '!'" });
export const StringLit = createToken({ name: "StringLit", pattern: Lexer.NA, label: "a string" });

// --- trivia -------------------------------------------------------------------------------------

/** Kept in the stream (unlike whitespace): statements are separated by newlines. */
export const Newline = createToken({
  name: "Newline",
  pattern: /\r?\n/,
  line_breaks: true,
  label: "newline",
});
export const Whitespace = createToken({
  name: "Whitespace",
  pattern: /[ \t\f\v\r\uFEFF]+/,
  group: Lexer.SKIPPED,
});
/** Comments stay in the lexer output so the layout pass can see block comments spanning lines. */
export const LineComment = createToken({ name: "LineComment", pattern: /\/\/[^\n]*/ });
export const BlockComment = createToken({
  name: "BlockComment",
  pattern: /\/\*[\s\S]*?\*\//,
  line_breaks: true,
});
/** A `/*` with no `*\/`: reported as E105 and dropped. */
export const UnterminatedComment = createToken({
  name: "UnterminatedComment",
  pattern: /\/\*[\s\S]*/,
  line_breaks: true,
});

// --- literals and names -------------------------------------------------------------------------

/** A terminated string; the escapes are validated after lexing so a bad one is E103, not E104. */
export const StringToken = createToken({
  name: "String",
  pattern: /"(?:[^"\\\r\n]|\\[^\r\n])*"/,
  categories: [StringLit],
  label: "a string",
});
/** A string missing its closing quote on its line: reported as E102, parsed as a string. */
export const UnterminatedString = createToken({
  name: "UnterminatedString",
  pattern: /"(?:[^"\\\r\n]|\\[^\r\n]?)*/,
  categories: [StringLit],
  label: "a string",
});

/** A valid number, anchored; the lexer's number token may also hold a malformed one (E110). */
export const validNumber = /^(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const numberLike = /(?:\d|\.\d)(?:[eE][+-]\d|[A-Za-z0-9_.])*/y;

/**
 * Matches a whole run of number-like characters (`1.2.3`, `3x`, `1e`), so that a malformed
 * number is one E110 instead of a confusing sequence of tokens.
 */
function matchNumber(text: string, offset: number): CustomPatternMatcherReturn | null {
  numberLike.lastIndex = offset;
  const match = numberLike.exec(text);
  return match === null ? null : [match[0]];
}

export const NumberToken = createToken({
  name: "Number",
  pattern: { exec: matchNumber },
  line_breaks: false,
  start_chars_hint: [".", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
  label: "a number",
});

export const Identifier = createToken({
  name: "Identifier",
  pattern: /[A-Za-z_][A-Za-z0-9_]*/,
  categories: [AnyName],
  label: "a name",
});

/** Keywords that never stand where a name could: values, and `repeat` which starts a stage. */
const notNames = new Set(["true", "false", "repeat"]);

function keyword(word: string): TokenType {
  return createToken({
    name: `Kw_${word}`,
    pattern: new RegExp(word),
    longer_alt: Identifier,
    categories: notNames.has(word) ? [AnyName] : [AnyName, KeywordName],
    label: `'${word}'`,
  });
}

/** The language's keywords, in the order of language.md; none of them can be a name. */
export const keywords: readonly string[] = [
  "model",
  "input",
  "target",
  "forward",
  "loss",
  "optimizer",
  "metrics",
  "train",
  "data",
  "fn",
  "block",
  "repeat",
  "as",
  "true",
  "false",
];

/** Keywords by role, for tools that colour them differently. */
export const keywordGroups = {
  declaration: ["model", "fn", "block"],
  section: ["input", "target", "forward", "loss", "optimizer", "metrics", "train", "data"],
  stage: ["repeat", "as"],
  constant: ["true", "false"],
} as const satisfies Record<string, readonly string[]>;

const kw = Object.fromEntries(keywords.map((w) => [w, keyword(w)])) as Record<string, TokenType>;
function kwToken(word: string): TokenType {
  const t = kw[word];
  if (t === undefined) throw new Error(`internal error: no keyword token ${word}`);
  return t;
}

export const Model = kwToken("model");
export const Input = kwToken("input");
export const Target = kwToken("target");
export const Forward = kwToken("forward");
export const Loss = kwToken("loss");
export const Optimizer = kwToken("optimizer");
export const Metrics = kwToken("metrics");
export const Train = kwToken("train");
export const Data = kwToken("data");
export const Fn = kwToken("fn");
export const Block = kwToken("block");
export const Repeat = kwToken("repeat");
export const As = kwToken("as");
export const True = kwToken("true");
export const False = kwToken("false");

// --- operators and punctuation ------------------------------------------------------------------

function punct(name: string, text: string, categories: TokenType[] = []): TokenType {
  const pattern = new RegExp(text.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&"));
  return createToken({ name, pattern, categories, label: `'${text}'` });
}

export const Arrow = punct("Arrow", "->");
export const LessEq = punct("LessEq", "<=", [CompareOp]);
export const GreaterEq = punct("GreaterEq", ">=", [CompareOp]);
export const EqEq = punct("EqEq", "==", [CompareOp]);
export const NotEq = punct("NotEq", "!=", [CompareOp]);
export const Less = punct("Less", "<", [CompareOp]);
export const Greater = punct("Greater", ">", [CompareOp]);
export const Plus = punct("Plus", "+", [AdditiveOp]);
export const Minus = punct("Minus", "-", [AdditiveOp, PrefixOp]);
export const Star = punct("Star", "*", [MultiplicativeOp]);
export const Slash = punct("Slash", "/", [MultiplicativeOp]);
export const Caret = punct("Caret", "^");
export const Bang = punct("Bang", "!", [PrefixOp]);
export const Equals = punct("Equals", "=");
export const LParen = punct("LParen", "(");
export const RParen = punct("RParen", ")");
export const LBracket = punct("LBracket", "[");
export const RBracket = punct("RBracket", "]");
export const LBrace = punct("LBrace", "{");
export const RBrace = punct("RBrace", "}");
export const Comma = punct("Comma", ",");
export const Colon = punct("Colon", ":");
export const Dot = punct("Dot", ".");

/** Operators, longest first (the order a lexer must try them in). */
export const operators: readonly string[] = [
  "->",
  "<=",
  ">=",
  "==",
  "!=",
  "+",
  "-",
  "*",
  "/",
  "^",
  "<",
  ">",
  "!",
  "=",
  ".",
];

/** Brackets and separators. */
export const punctuation: readonly string[] = ["(", ")", "[", "]", "{", "}", ",", ":"];

/** Regular-expression sources (JavaScript syntax) of the token classes, for tools. */
export const lexicalPatterns = {
  identifier: "[A-Za-z_][A-Za-z0-9_]*",
  number: "(?:\\d+(?:\\.\\d+)?|\\.\\d+)(?:[eE][+-]?\\d+)?",
  string: '"(?:[^"\\\\\\r\\n]|\\\\.)*"',
  stringEscape: '\\\\["\\\\nt]',
  lineComment: "//.*$",
  blockCommentBegin: "/\\*",
  blockCommentEnd: "\\*/",
} as const;

/**
 * Every token type, in the order the lexer tries them: comments before `/`, numbers before
 * `.`, longer operators before their prefixes, keywords before identifiers.
 */
export const tokenVocabulary: readonly TokenType[] = [
  Newline,
  Whitespace,
  LineComment,
  BlockComment,
  UnterminatedComment,
  StringToken,
  UnterminatedString,
  NumberToken,
  ...keywords.map(kwToken),
  Identifier,
  Arrow,
  LessEq,
  GreaterEq,
  EqEq,
  NotEq,
  Less,
  Greater,
  Plus,
  Minus,
  Star,
  Slash,
  Caret,
  Bang,
  Equals,
  LParen,
  RParen,
  LBracket,
  RBracket,
  LBrace,
  RBrace,
  Comma,
  Colon,
  Dot,
  AnyName,
  KeywordName,
  CompareOp,
  AdditiveOp,
  MultiplicativeOp,
  PrefixOp,
  StringLit,
];

/** The keyword token types, for telling a misused keyword from other tokens. */
export const keywordTokens: ReadonlySet<TokenType> = new Set(keywords.map(kwToken));
