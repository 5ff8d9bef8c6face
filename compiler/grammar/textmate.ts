import { type TokenType } from "chevrotain";
import {
  Arrow,
  Bang,
  Caret,
  Colon,
  Comma,
  CompareOp,
  AdditiveOp,
  Dot,
  Equals,
  LBrace,
  LBracket,
  LParen,
  MultiplicativeOp,
  RBrace,
  RBracket,
  RParen,
  lexicalPatterns,
  operators,
  punctuation,
  tokenVocabulary,
} from "../syntax/tokens.js";
import { type BuiltinNameKind, builtinNames, keywordGroups, valueWords } from "../vocabulary.js";

/**
 * The TextMate grammar of `.nn` (VS Code and most editors' highlighting), generated from the
 * lexer's token table and the vocabulary table so that it cannot drift from what the compiler
 * accepts. `scripts/build-grammar.mjs` writes it to `grammar/nn.tmLanguage.json`.
 *
 * The grammar is flat: one token at a time, like the lexer, except comments, strings and the
 * parameter lists of declarations. Braces and brackets therefore nest to any depth, and a
 * half-typed file never leaves the highlighter stuck in a region. Every rule carries a
 * `comment` that says why it is there; it is kept in the JSON too.
 */

export interface TextMateCapture {
  readonly name: string;
}

export type TextMateCaptures = Readonly<Record<string, TextMateCapture>>;

export interface TextMateRule {
  readonly comment?: string;
  readonly name?: string;
  readonly match?: string;
  readonly begin?: string;
  readonly end?: string;
  readonly captures?: TextMateCaptures;
  readonly beginCaptures?: TextMateCaptures;
  readonly endCaptures?: TextMateCaptures;
  readonly include?: string;
  readonly patterns?: readonly TextMateRule[];
}

export interface TextMateGrammar {
  readonly $schema: string;
  readonly name: string;
  readonly scopeName: string;
  readonly fileTypes: readonly string[];
  readonly patterns: readonly TextMateRule[];
  readonly repository: Readonly<Record<string, TextMateRule>>;
}

const ident = lexicalPatterns.identifier;
/** Characters that continue a name or a number: a match must not stop or start inside a run. */
const wordChar = "[A-Za-z0-9_]";

/** Escapes `text` for a regular expression (the same set the lexer escapes). */
function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
}

/** A whole-word alternation: `dense_2`, `modelx` and `relu6` are names, not the words inside. */
function words(list: readonly string[]): string {
  return `\\b(?:${list.map(literal).join("|")})\\b`;
}

function scope(...parts: string[]): string {
  return [...parts, "nn"].join(".");
}

function captures(...names: string[]): TextMateCaptures {
  return Object.fromEntries(names.map((name, i) => [String(i + 1), { name }]));
}

// --- keywords ---------------------------------------------------------------------------------

type Declaration = (typeof keywordGroups.declaration)[number];

/** What a declaration keyword declares: models and blocks are types of network, fns functions. */
const declaredName: Record<Declaration, string> = {
  model: scope("entity.name.type.model"),
  block: scope("entity.name.type.block"),
  fn: scope("entity.name.function"),
};

function declarationScope(word: Declaration): string {
  return scope("storage.type", word);
}

/** Scopes of the other keyword groups; a new group in tokens.ts fails to compile until it has one. */
const groupScope: Record<Exclude<keyof typeof keywordGroups, "declaration">, string> = {
  section: scope("keyword.other.section"),
  stage: scope("keyword.control"),
  constant: scope("constant.language.boolean"),
};

/** Sections that declare a typed name (`input x: [batch, 4]`). */
const typedSections: readonly (typeof keywordGroups.section)[number][] = ["input", "target"];
const layerNaming: (typeof keywordGroups.stage)[number] = "as";

/** Declarations with a parameter list (`fn f(x) = ...`, `block b(units) { ... }`). */
const withParameters: readonly Declaration[] = ["fn", "block"];

function parameterListRule(word: Declaration): TextMateRule {
  return {
    comment: `'${word} NAME(' opens a parameter list: its names are parameters, '= value' a default.`,
    begin: `\\b(${word})\\s+(${ident})\\s*(\\()`,
    beginCaptures: captures(declarationScope(word), declaredName[word], parenScope("(")),
    end: "\\)",
    endCaptures: { "0": { name: parenScope(")") } },
    patterns: [
      { include: "#comments" },
      {
        comment: "A default value runs to the next ',' or ')' of the parameter list.",
        begin: "=",
        beginCaptures: { "0": { name: scope("keyword.operator.assignment") } },
        end: "(?=[,)])",
        patterns: [{ include: "#parens" }, { include: "#tokens" }],
      },
      {
        comment: "Any other name in the list is a parameter.",
        match: ident,
        name: scope("variable.parameter"),
      },
      { include: "#tokens" },
    ],
  };
}

function declarationRules(): TextMateRule[] {
  return keywordGroups.declaration.flatMap((word) => [
    ...(withParameters.includes(word) ? [parameterListRule(word)] : []),
    {
      comment: `'${word} NAME' without a parameter list (a model, or a declaration being typed).`,
      match: `\\b(${word})\\b(?:\\s+(${ident}))?`,
      captures: captures(declarationScope(word), declaredName[word]),
    },
  ]);
}

function keywordRules(): TextMateRule[] {
  const groups = Object.keys(groupScope) as (keyof typeof groupScope)[];
  return [
    // Declaration keywords get a scope each (storage.type.model.nn), as other languages' do.
    ...keywordGroups.declaration.map((word) => ({
      comment: `'${word}' on its own (the declarations rule names what follows it).`,
      match: words([word]),
      name: declarationScope(word),
    })),
    ...groups.map((group) => ({
      comment: `The ${group} keywords of the lexer's table.`,
      match: words(keywordGroups[group]),
      name: groupScope[group],
    })),
  ];
}

// --- built-in names ---------------------------------------------------------------------------

/**
 * One rule per kind of built-in, in the vocabulary's order. A name of several kinds (`mse` is a
 * loss and a metric, `step` an activation and a schedule) is in the rule of its first kind only,
 * so its colour is fixed by the table, not by which of two matching rules comes first.
 */
function builtinRules(): TextMateRule[] {
  const kindOf = new Map<string, BuiltinNameKind>();
  for (const b of builtinNames) if (!kindOf.has(b.name)) kindOf.set(b.name, b.kind);
  const kinds = [...new Set(builtinNames.map((b) => b.kind))];
  return kinds.map((kind) => ({
    comment: `Built-in ${kind} names, from the vocabulary table.`,
    match: words([...kindOf].filter(([, k]) => k === kind).map(([name]) => name)),
    // The plain functions (exp, sum, matmul) are the built-in library: support.function.builtin.
    name: scope("support.function", kind === "function" ? "builtin" : kind),
  }));
}

// --- operators and punctuation ----------------------------------------------------------------

function tokenTypeOf(text: string): TokenType {
  const type = tokenVocabulary.find((t) => t.LABEL === `'${text}'`);
  if (type === undefined) throw new Error(`no token type for '${text}'`);
  return type;
}

function hasCategory(type: TokenType, category: TokenType): boolean {
  return (type.CATEGORIES ?? []).includes(category);
}

/** The scope of an operator, by its token type, so a new operator must be given one here. */
function operatorScope(text: string): string {
  const type = tokenTypeOf(text);
  if (type === Arrow) return scope("keyword.operator.pipeline");
  if (hasCategory(type, CompareOp)) return scope("keyword.operator.comparison");
  if (hasCategory(type, AdditiveOp) || hasCategory(type, MultiplicativeOp) || type === Caret)
    return scope("keyword.operator.arithmetic");
  if (type === Bang) return scope("keyword.operator.logical");
  if (type === Equals) return scope("keyword.operator.assignment");
  if (type === Dot) return scope("punctuation.accessor");
  throw new Error(`internal error: no TextMate scope for operator '${text}'`);
}

const punctuationScopes: readonly [TokenType, string][] = [
  [LParen, "punctuation.section.parens.begin"],
  [RParen, "punctuation.section.parens.end"],
  [LBracket, "punctuation.section.brackets.begin"],
  [RBracket, "punctuation.section.brackets.end"],
  [LBrace, "punctuation.section.braces.begin"],
  [RBrace, "punctuation.section.braces.end"],
  [Comma, "punctuation.separator.comma"],
  [Colon, "punctuation.separator.colon"],
];

function punctuationScope(text: string): string {
  const type = tokenTypeOf(text);
  const entry = punctuationScopes.find(([t]) => t === type);
  if (entry === undefined) throw new Error(`internal error: no TextMate scope for '${text}'`);
  return scope(entry[1]);
}

function parenScope(text: "(" | ")"): string {
  return punctuationScope(text);
}

// --- the grammar ------------------------------------------------------------------------------

export function textMateGrammar(): TextMateGrammar {
  const keyValue = scope("punctuation.separator.key-value");
  const repository: Record<string, TextMateRule> = {
    comments: {
      patterns: [
        {
          comment: "Block comments do not nest, as in the lexer; an unclosed one runs to the end.",
          name: scope("comment.block"),
          begin: lexicalPatterns.blockCommentBegin,
          end: lexicalPatterns.blockCommentEnd,
          beginCaptures: { "0": { name: scope("punctuation.definition.comment") } },
          endCaptures: { "0": { name: scope("punctuation.definition.comment") } },
        },
        {
          comment: "A line comment runs to the end of the line.",
          name: scope("comment.line.double-slash"),
          begin: "//",
          end: "$",
          beginCaptures: { "0": { name: scope("punctuation.definition.comment") } },
        },
      ],
    },
    strings: {
      comment: "Strings stay on one line: an unclosed one ends there, as the lexer's E102 does.",
      name: scope("string.quoted.double"),
      begin: '"',
      end: '(")|$',
      beginCaptures: { "0": { name: scope("punctuation.definition.string.begin") } },
      endCaptures: { "1": { name: scope("punctuation.definition.string.end") } },
      patterns: [
        { match: lexicalPatterns.stringEscape, name: scope("constant.character.escape") },
        {
          comment: "Any other backslash escape is the lexer's E103.",
          match: "\\\\.",
          name: scope("invalid.illegal.unknown-escape"),
        },
      ],
    },
    declarations: { patterns: declarationRules() },
    parens: {
      comment:
        "Balanced parentheses, so a call in a default value does not end the parameter list.",
      begin: "\\(",
      end: "\\)",
      beginCaptures: { "0": { name: parenScope("(") } },
      endCaptures: { "0": { name: parenScope(")") } },
      patterns: [{ include: "#parens" }, { include: "#tokens" }],
    },
    tokens: {
      comment: "One token at a time, in the lexer's order where two could start at one place.",
      patterns: [
        { include: "#comments" },
        { include: "#strings" },
        ...typedSections.map((word) => ({
          comment: `'${word} NAME:' declares a typed name, which the model's expressions use.`,
          match: `\\b(${word})\\s+(${ident})\\s*(:)`,
          captures: captures(
            groupScope.section,
            scope("entity.name.variable", word),
            scope("punctuation.separator.type"),
          ),
        })),
        {
          comment: "'as NAME' names a layer.",
          match: `\\b(${layerNaming})\\s+(${ident})`,
          captures: captures(groupScope.stage, scope("entity.name.variable.layer")),
        },
        {
          comment: "'name:' is a named argument or entry key, even a keyword ('target:' in csv).",
          match: `\\b(${ident})\\s*(:)`,
          captures: captures(scope("variable.parameter"), keyValue),
        },
        {
          comment: "Numbers start no name ('dense_1') and contain no '-' ('x-1', '->').",
          match: `(?<!${wordChar})${lexicalPatterns.number}(?![A-Za-z0-9_.])`,
          name: scope("constant.numeric"),
        },
        {
          comment: "A run the lexer reads as one malformed number (E110): '1.2.3', '3x', '1e'.",
          match: `(?<!${wordChar})(?:\\d|\\.\\d)(?:[eE][+-]\\d|[A-Za-z0-9_.])*`,
          name: scope("invalid.illegal.numeric"),
        },
        ...keywordRules(),
        ...builtinRules(),
        {
          comment: "Element types of tensor types ('i32[batch]').",
          match: words(valueWords.dtypes),
          name: scope("storage.type.dtype"),
        },
        {
          comment: "The values of the data section's 'normalize'.",
          match: words(valueWords.normalize),
          name: scope("support.constant.normalize"),
        },
        {
          comment: "Weight initialisers of a layer's 'init:' ('he', 'normal(0.02)').",
          match: words(valueWords.initializers),
          name: scope("support.function.init"),
        },
        {
          comment: "Names the language defines in a model: 'output' and 'weights' ('l2(weights)').",
          match: words(valueWords.implicit),
          name: scope("variable.language"),
        },
        {
          comment: "'.name' after a value is a member ('fc1.weight').",
          match: `(\\.)\\s*(${ident})`,
          captures: captures(operatorScope("."), scope("variable.other.property")),
        },
        ...operators.map((text) => ({
          comment:
            "Operators in the lexer's order, longest first: '->' before '-', '<=' before '<'.",
          match: literal(text),
          name: operatorScope(text),
        })),
        ...punctuation.map((text) => ({
          match: literal(text),
          name: punctuationScope(text),
        })),
        {
          comment: "Every other name: inputs, bindings, user fns and blocks, layer names.",
          match: `\\b${ident}\\b`,
          name: scope("variable.other"),
        },
        {
          comment: "Anything else is a character the lexer rejects (E104).",
          match: "[^\\s]",
          name: scope("invalid.illegal.character"),
        },
      ],
    },
  };
  return {
    $schema: "https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json",
    name: "nn",
    scopeName: "source.nn",
    fileTypes: ["nn"],
    patterns: [{ include: "#declarations" }, { include: "#tokens" }],
    repository,
  };
}
