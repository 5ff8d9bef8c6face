import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { lexicalPatterns, punctuation } from "../../compiler/syntax/tokens.js";
import { repoRoot } from "../helpers/compile.js";

interface LanguageConfiguration {
  comments: { lineComment: string; blockComment: [string, string] };
  brackets: [string, string][];
  autoClosingPairs: { open: string; close: string; notIn?: string[] }[];
  surroundingPairs: [string, string][];
  indentationRules: { increaseIndentPattern: string; decreaseIndentPattern: string };
  wordPattern: string;
}

const config = JSON.parse(
  readFileSync(`${repoRoot}grammar/language-configuration.json`, "utf8"),
) as LanguageConfiguration;

describe("grammar/language-configuration.json", () => {
  it("lists the lexer's brackets, each closed and surrounded automatically", () => {
    const lexerBrackets = punctuation.filter((p) => "()[]{}".includes(p));
    expect(config.brackets.flat().sort()).toEqual([...lexerBrackets].sort());
    for (const [open, close] of config.brackets) {
      expect(config.autoClosingPairs).toContainEqual({ open, close });
      expect(config.surroundingPairs).toContainEqual([open, close]);
    }
  });

  it("closes quotes outside strings and comments only", () => {
    expect(config.autoClosingPairs).toContainEqual({
      open: '"',
      close: '"',
      notIn: ["string", "comment"],
    });
  });

  it("has the lexer's comment markers", () => {
    expect(`${config.comments.lineComment} x`).toMatch(new RegExp(lexicalPatterns.lineComment));
    const [begin, end] = config.comments.blockComment;
    expect(begin).toMatch(new RegExp(`^${lexicalPatterns.blockCommentBegin}$`));
    expect(end).toMatch(new RegExp(`^${lexicalPatterns.blockCommentEnd}$`));
  });

  it("indents after an open bracket and outdents on a closing one", () => {
    const increase = new RegExp(config.indentationRules.increaseIndentPattern);
    const decrease = new RegExp(config.indentationRules.decreaseIndentPattern);
    for (const line of ["model M {", "  forward {  // why", "  x -> f(", "  reshape(x, ["])
      expect(line).toMatch(increase);
    for (const line of ["  x -> relu", "  train { epochs: 3 }", "  y = f(x)"])
      expect(line).not.toMatch(increase);
    for (const line of ["}", "  )", "\t] f32"]) expect(line).toMatch(decrease);
    expect("  x -> relu").not.toMatch(decrease);
  });

  it("selects whole names and numbers as words", () => {
    const word = new RegExp(`^(?:${config.wordPattern})$`);
    for (const w of ["dense_1", "_x", "MnistMLP", "12", "0.5", ".5", "1e-4", "2.5E+3"])
      expect(w).toMatch(word);
    for (const w of ["a-b", "x.weight", "->"]) expect(w).not.toMatch(word);
  });
});
