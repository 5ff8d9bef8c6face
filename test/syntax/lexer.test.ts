import { describe, expect, it } from "vitest";
import {
  keywordGroups,
  keywords,
  operators,
  punctuation,
  tokenVocabulary,
} from "../../compiler/syntax/index.js";
import { layout } from "../../compiler/syntax/layout.js";
import { SourceMap, lex } from "../../compiler/syntax/lexer.js";

/** The tokens the parser sees, as text (`⏎` for a newline), and the lexer's diagnostics. */
function stream(text: string): string[] {
  const source = new SourceMap("t.nn", text);
  const lexed = lex(source);
  expect(lexed.diagnostics).toEqual([]);
  return layout(lexed.tokens, source, undefined).tokens.map((t) =>
    t.tokenType.name === "Newline" ? "⏎" : t.image,
  );
}

describe("token table", () => {
  it("lists the keywords of the contract", () => {
    expect([...keywords].sort()).toEqual(
      "model input target forward loss optimizer metrics train data fn block repeat as true false"
        .split(" ")
        .sort(),
    );
    expect(Object.values(keywordGroups).flat().sort()).toEqual([...keywords].sort());
  });

  it("lists operators and punctuation, and a token type for each", () => {
    expect([...operators, ...punctuation].sort()).toEqual(
      "-> + - * / ^ ( ) [ ] { } , : = < > <= >= == != ! .".split(" ").sort(),
    );
    const labels = new Set(tokenVocabulary.map((t) => t.LABEL));
    for (const text of [...operators, ...punctuation, ...keywords])
      expect(labels).toContain(`'${text}'`);
  });
});

describe("lexer", () => {
  it("reads numbers, with a leading minus as an operator", () => {
    expect(stream("12 0.5 .5 1e-4 2.5E+3 -3")).toEqual([
      "12",
      "0.5",
      ".5",
      "1e-4",
      "2.5E+3",
      "-",
      "3",
    ]);
  });

  it("tells keywords from identifiers that start with one", () => {
    const source = new SourceMap("t.nn", "model modelx as as_1 input2 true_");
    expect(lex(source).tokens.map((t) => t.tokenType.name)).toEqual([
      "Kw_model",
      "Identifier",
      "Kw_as",
      "Identifier",
      "Identifier",
      "Identifier",
    ]);
  });

  it("reads longest operators first, and member access", () => {
    expect(stream("a<=b>=c==d!=e->f.g!h")).toEqual([
      "a",
      "<=",
      "b",
      ">=",
      "c",
      "==",
      "d",
      "!=",
      "e",
      "->",
      "f",
      ".",
      "g",
      "!",
      "h",
    ]);
  });

  it("skips comments and whitespace; a block comment over lines is a line break", () => {
    expect(stream("a // x\nb /* y */ c /* 1\n 2 */ d")).toEqual(["a", "⏎", "b", "c", "⏎", "d"]);
  });
});

describe("newline handling", () => {
  it("collapses newlines and drops them at the start and end of the file", () => {
    expect(stream("\n\na\n\n\nb\n\n")).toEqual(["a", "⏎", "b"]);
    expect(stream("a\r\n\r\nb\r\n")).toEqual(["a", "⏎", "b"]);
  });

  it("continues after operators, '->', ',', '=', ':' and open brackets", () => {
    for (const op of [
      "+",
      "-",
      "*",
      "/",
      "^",
      "<",
      ">",
      "<=",
      ">=",
      "==",
      "!=",
      "->",
      ",",
      "=",
      ":",
    ]) {
      expect(stream(`a ${op}\nb`)).toEqual(["a", op, "b"]);
    }
    expect(stream("f {\nb\n}")).toEqual(["f", "{", "b", "}"]);
  });

  it("continues before '->' and '}'", () => {
    expect(stream("x\n  -> relu\n  -> softmax")).toEqual(["x", "->", "relu", "->", "softmax"]);
    expect(stream("{ a\n}")).toEqual(["{", "a", "}"]);
  });

  it("ignores newlines inside parentheses and brackets, not inside braces", () => {
    expect(stream("f(a\n b\n)")).toEqual(["f", "(", "a", "b", ")"]);
    expect(stream("[a\n b\n]")).toEqual(["[", "a", "b", "]"]);
    expect(stream("{ a\n b }")).toEqual(["{", "a", "⏎", "b", "}"]);
    expect(stream("f({ a\n b })")).toEqual(["f", "(", "{", "a", "⏎", "b", "}", ")"]);
  });

  it("keeps a newline between statements", () => {
    expect(stream("h = x\n(h + 1)")).toEqual(["h", "=", "x", "⏎", "(", "h", "+", "1", ")"]);
  });
});
