import { describe, expect, it } from "vitest";
import { SourceMap, lex } from "../../compiler/syntax/lexer.js";
import { NumberToken, validNumber } from "../../compiler/syntax/tokens.js";
import { scopesOf, tokensOf } from "./tokenize.js";

/** `[text, innermost scope]` of every non-blank token of `text`. */
async function pairs(text: string): Promise<[string, string][]> {
  return (await tokensOf(text)).map((t) => [t.text, t.scopes.at(-1) ?? ""]);
}

const op = (kind: string): string => `keyword.operator.${kind}.nn`;
const num = "constant.numeric.nn";
const name = "variable.other.nn";

describe("operators against numbers", () => {
  it("tells '->' from '-'", async () => {
    expect(await pairs("x -> dense(3)")).toEqual([
      ["x", name],
      ["->", op("pipeline")],
      ["dense", "support.function.layer.nn"],
      ["(", "punctuation.section.parens.begin.nn"],
      ["3", num],
      [")", "punctuation.section.parens.end.nn"],
    ]);
    expect(await pairs("x->relu")).toEqual([
      ["x", name],
      ["->", op("pipeline")],
      ["relu", "support.function.activation.nn"],
    ]);
  });

  it("keeps '-' out of numbers: 'a - 1', 'a-1' and '-1'", async () => {
    const minusOne: [string, string][] = [
      ["-", op("arithmetic")],
      ["1", num],
    ];
    expect(await pairs("a - 1")).toEqual([["a", name], ...minusOne]);
    expect(await pairs("a-1")).toEqual([["a", name], ...minusOne]);
    expect(await pairs("-1")).toEqual(minusOne);
    expect(await pairs("x^-2")).toEqual([
      ["x", name],
      ["^", op("arithmetic")],
      ...minusOne.slice(0, 1),
      ["2", num],
    ]);
  });

  it("reads the numbers of the contract whole", async () => {
    for (const n of ["12", "0.5", ".5", "1e-4", "2.5E+3", "1E5", "0.001"])
      expect(await pairs(n), n).toEqual([[n, num]]);
    expect(await pairs("1e-4 * l2(weights)")).toContainEqual(["1e-4", num]);
  });

  it("agrees with the lexer on which runs are malformed numbers", async () => {
    // '3.' has no digit after the point, so it is E110 like '1.2.3', '3x' and '1e'.
    for (const text of [
      "12",
      ".5",
      "1e-4",
      "2.5E+3",
      "3.",
      "1.2.3",
      "3x",
      "1e",
      "1e+",
      "0x1F",
      "7_0",
    ]) {
      const first = lex(new SourceMap("t.nn", text)).tokens[0]!;
      expect(first.tokenType, text).toBe(NumberToken);
      const [token] = await tokensOf(text);
      expect(token?.text, text).toBe(first.image);
      expect(token?.scopes, text).toEqual([
        validNumber.test(first.image) ? num : "invalid.illegal.numeric.nn",
      ]);
    }
  });

  it("finds no number inside a name", async () => {
    expect(await pairs("dense_1 + x2")).toEqual([
      ["dense_1", name],
      ["+", op("arithmetic")],
      ["x2", name],
    ]);
  });

  it("colours comparisons, '!' and '='", async () => {
    expect(await pairs("m = !(a <= b) == (a != 1)")).toEqual([
      ["m", name],
      ["=", op("assignment")],
      ["!", op("logical")],
      ["(", "punctuation.section.parens.begin.nn"],
      ["a", name],
      ["<=", op("comparison")],
      ["b", name],
      [")", "punctuation.section.parens.end.nn"],
      ["==", op("comparison")],
      ["(", "punctuation.section.parens.begin.nn"],
      ["a", name],
      ["!=", op("comparison")],
      ["1", num],
      [")", "punctuation.section.parens.end.nn"],
    ]);
  });

  it("colours '.' as member access", async () => {
    expect(await pairs("fc1.weight")).toEqual([
      ["fc1", name],
      [".", "punctuation.accessor.nn"],
      ["weight", "variable.other.property.nn"],
    ]);
  });
});

describe("strings and comments", () => {
  it("keeps '//' inside a string a string", async () => {
    const tokens = await tokensOf('source: csv("a // b")');
    expect(tokens.every((t) => !t.scopes.some((s) => s.startsWith("comment")))).toBe(true);
    expect(tokens.find((t) => t.text === "a // b")?.scopes).toEqual(["string.quoted.double.nn"]);
  });

  it("marks the escapes, and a bad one as the lexer's E103", async () => {
    expect(await pairs(String.raw`"\"q\" \n\t\\ \d"`)).toEqual([
      ['"', "punctuation.definition.string.begin.nn"],
      [String.raw`\"`, "constant.character.escape.nn"],
      ["q", "string.quoted.double.nn"],
      [String.raw`\"`, "constant.character.escape.nn"],
      [String.raw`\n`, "constant.character.escape.nn"],
      [String.raw`\t`, "constant.character.escape.nn"],
      [String.raw`\\`, "constant.character.escape.nn"],
      [String.raw`\d`, "invalid.illegal.unknown-escape.nn"],
      ['"', "punctuation.definition.string.end.nn"],
    ]);
  });

  it("ends an unterminated string at the end of its line", async () => {
    expect(await scopesOf('s = "open\nx', "x")).toEqual([name]);
  });

  it("colours a line comment after code", async () => {
    const tokens = await tokensOf("x -> relu // why: not /* a block");
    expect(tokens.map((t) => t.text)).toEqual(["x", "->", "relu", "//", " why: not /* a block"]);
    expect(tokens.at(-1)?.scopes).toEqual(["comment.line.double-slash.nn"]);
    expect(tokens.at(-2)?.scopes).toEqual([
      "comment.line.double-slash.nn",
      "punctuation.definition.comment.nn",
    ]);
  });

  it("carries a block comment across lines, then resumes", async () => {
    const tokens = await tokensOf('a /* one\n "two" -> 3\n*/ -> relu');
    const comment = tokens.filter((t) => t.scopes[0] === "comment.block.nn").map((t) => t.text);
    expect(comment).toEqual(["/*", " one", ' "two" -> 3', "*/"]);
    expect(await scopesOf("a /* x\n*/ -> relu", "->")).toEqual([op("pipeline")]);
  });
});

describe("names", () => {
  it("colours built-ins only as whole words", async () => {
    expect(await scopesOf("dense_2 -> relu -> relu6", "relu")).toEqual([
      "support.function.activation.nn",
    ]);
    for (const word of ["dense_2", "relu6", "modelx", "inputs", "adam2", "f32x", "truey"])
      expect(await pairs(word), word).toEqual([[word, name]]);
  });

  it("names what model, block and fn declare", async () => {
    expect(await pairs("model Foo {")).toEqual([
      ["model", "storage.type.model.nn"],
      ["Foo", "entity.name.type.model.nn"],
      ["{", "punctuation.section.braces.begin.nn"],
    ]);
    expect(await scopesOf("block hidden(units) {", "hidden")).toEqual([
      "entity.name.type.block.nn",
    ]);
    expect(await pairs("fn huber_like(p, y, delta = 1.0) = mean(p - y)")).toEqual([
      ["fn", "storage.type.fn.nn"],
      ["huber_like", "entity.name.function.nn"],
      ["(", "punctuation.section.parens.begin.nn"],
      ["p", "variable.parameter.nn"],
      [",", "punctuation.separator.comma.nn"],
      ["y", "variable.parameter.nn"],
      [",", "punctuation.separator.comma.nn"],
      ["delta", "variable.parameter.nn"],
      ["=", op("assignment")],
      ["1.0", num],
      [")", "punctuation.section.parens.end.nn"],
      ["=", op("assignment")],
      ["mean", "support.function.builtin.nn"],
      ["(", "punctuation.section.parens.begin.nn"],
      ["p", name],
      ["-", op("arithmetic")],
      ["y", name],
      [")", "punctuation.section.parens.end.nn"],
    ]);
  });

  it("keeps a parameter list open across lines and calls in defaults", async () => {
    const text = "fn f(a,\n  b = max(1, 2),\n  c) = a";
    expect(await scopesOf(text, "c")).toEqual(["variable.parameter.nn"]);
    expect(await scopesOf(text, "max")).toEqual(["support.function.builtin.nn"]);
    expect(await scopesOf(text, "a")).toEqual(["variable.parameter.nn", name]);
  });

  it("colours typed inputs and targets, with f32 and i32 as types", async () => {
    expect(await pairs("input  x: f32[batch, 784]")).toEqual([
      ["input", "keyword.other.section.nn"],
      ["x", "entity.name.variable.input.nn"],
      [":", "punctuation.separator.type.nn"],
      ["f32", "storage.type.dtype.nn"],
      ["[", "punctuation.section.brackets.begin.nn"],
      ["batch", name],
      [",", "punctuation.separator.comma.nn"],
      ["784", num],
      ["]", "punctuation.section.brackets.end.nn"],
    ]);
    expect(await scopesOf("target y: i32[batch]", "i32")).toEqual(["storage.type.dtype.nn"]);
    expect(await scopesOf("target y: i32[batch]", "y")).toEqual(["entity.name.variable.target.nn"]);
  });

  it("colours named arguments, even one spelt like a keyword", async () => {
    expect(await pairs("adam(lr: 0.01)").then((p) => p.slice(2, 4))).toEqual([
      ["lr", "variable.parameter.nn"],
      [":", "punctuation.separator.key-value.nn"],
    ]);
    expect(await scopesOf('csv("d.csv", target: "y")', "target")).toEqual([
      "variable.parameter.nn",
    ]);
  });

  it("colours initialisers and the names a model defines", async () => {
    expect(await scopesOf("dense(10, init: he)", "he")).toEqual(["support.function.init.nn"]);
    expect(await scopesOf("init: normal(0.02)", "normal")).toEqual(["support.function.init.nn"]);
    expect(await scopesOf("loss mse(output, y) + l2(weights)", "weights")).toEqual([
      "variable.language.nn",
    ]);
    expect(await scopesOf("dense(10, init: hexagon)", "hexagon")).toEqual(["variable.other.nn"]);
  });

  it("colours true and false", async () => {
    expect(await pairs("shuffle: true, drop_last: false")).toEqual([
      ["shuffle", "variable.parameter.nn"],
      [":", "punctuation.separator.key-value.nn"],
      ["true", "constant.language.boolean.nn"],
      [",", "punctuation.separator.comma.nn"],
      ["drop_last", "variable.parameter.nn"],
      [":", "punctuation.separator.key-value.nn"],
      ["false", "constant.language.boolean.nn"],
    ]);
  });

  it("colours a name shared by two kinds as its first kind", async () => {
    expect(await scopesOf("metrics mse, mae", "mse")).toEqual(["support.function.loss.nn"]);
    expect(await scopesOf("lr_schedule: step(every: 5)", "step")).toEqual([
      "support.function.activation.nn",
    ]);
  });
});

describe("nesting", () => {
  it("tokenizes nested braces and recovers after them", async () => {
    expect(await pairs("train { early_stopping: { patience: 3 } }\nloss mse")).toEqual([
      ["train", "keyword.other.section.nn"],
      ["{", "punctuation.section.braces.begin.nn"],
      ["early_stopping", "variable.parameter.nn"],
      [":", "punctuation.separator.key-value.nn"],
      ["{", "punctuation.section.braces.begin.nn"],
      ["patience", "variable.parameter.nn"],
      [":", "punctuation.separator.key-value.nn"],
      ["3", num],
      ["}", "punctuation.section.braces.end.nn"],
      ["}", "punctuation.section.braces.end.nn"],
      ["loss", "keyword.other.section.nn"],
      ["mse", "support.function.loss.nn"],
    ]);
  });

  it("leaves no state behind after an unbalanced brace", async () => {
    expect(await scopesOf("forward { x -> relu\n}\n}\nmodel M {", "M")).toEqual([
      "entity.name.type.model.nn",
    ]);
  });

  it("flags characters the lexer rejects", async () => {
    expect(await pairs("x # y → z")).toEqual([
      ["x", name],
      ["#", "invalid.illegal.character.nn"],
      ["y", name],
      ["→", "invalid.illegal.character.nn"],
      ["z", name],
    ]);
  });
});
