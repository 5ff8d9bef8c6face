import { describe, expect, it } from "vitest";
import { type GrammarToken, tokensOf } from "./tokenize.js";

/**
 * The acceptance test: a program that is in no example or golden file, using every
 * class of token, highlighted as a user of VS Code should see it.
 */
const program = String.raw`/* A gated image classifier,
   written only for this test. */
fn gate(a, b, k = 2.5E+3) = where(a >= b, a * sigmoid(k), -b ^ 2)

block stem(units, p = .25) {
  conv2d(units, kernel: 3, padding: "same") -> relu -> maxpool2d(2)
    -> dropout(p)
}

model Gated {
  input  img: f32[batch, 1, 28, 28]
  target label: i32[batch]   // class ids
  forward {
    s = img -> stem(8) -> flatten
    t = s -> dense(64) as fc1 -> leaky_relu(alpha: 0.2)
    u = (t != 0) + !(t == 1) - t / 4 <= 1e-4
    repeat 2 { dense(64) -> gelu }
    gate(t, s) -> dense(10) -> softmax
  }
  loss      cross_entropy + 0.1 * l1(fc1.weight)
  optimizer adamw(lr: 3e-4, weight_decay: 0.01)
  metrics   accuracy, rmse
  train     { epochs: 3, shuffle: false, early_stopping: { patience: 2 }, lr_schedule: cosine(epochs: 3) }
  data      { source: idx("imgs\tx", "labels"), normalize: minmax }
}
`;

/** `line:text` (the first such token on the line) -> its innermost scope. */
const expected: [number, string, string][] = [
  [1, "/*", "punctuation.definition.comment.nn"],
  [2, "   written only for this test. ", "comment.block.nn"],
  [3, "fn", "storage.type.fn.nn"],
  [3, "gate", "entity.name.function.nn"],
  [3, "k", "variable.parameter.nn"],
  [3, "2.5E+3", "constant.numeric.nn"],
  [3, "where", "support.function.builtin.nn"],
  [3, ">=", "keyword.operator.comparison.nn"],
  [3, "*", "keyword.operator.arithmetic.nn"],
  [3, "sigmoid", "support.function.activation.nn"],
  [3, "-", "keyword.operator.arithmetic.nn"],
  [3, "^", "keyword.operator.arithmetic.nn"],
  [5, "block", "storage.type.block.nn"],
  [5, "stem", "entity.name.type.block.nn"],
  [5, "p", "variable.parameter.nn"],
  [5, ".25", "constant.numeric.nn"],
  [5, "{", "punctuation.section.braces.begin.nn"],
  [6, "conv2d", "support.function.layer.nn"],
  [6, "units", "variable.other.nn"],
  [6, "kernel", "variable.parameter.nn"],
  [6, ":", "punctuation.separator.key-value.nn"],
  [6, "same", "string.quoted.double.nn"],
  [6, "->", "keyword.operator.pipeline.nn"],
  [6, "maxpool2d", "support.function.layer.nn"],
  [7, "->", "keyword.operator.pipeline.nn"],
  [7, "dropout", "support.function.layer.nn"],
  [8, "}", "punctuation.section.braces.end.nn"],
  [10, "model", "storage.type.model.nn"],
  [10, "Gated", "entity.name.type.model.nn"],
  [11, "input", "keyword.other.section.nn"],
  [11, "img", "entity.name.variable.input.nn"],
  [11, "f32", "storage.type.dtype.nn"],
  [11, "[", "punctuation.section.brackets.begin.nn"],
  [11, "batch", "variable.other.nn"],
  [11, ",", "punctuation.separator.comma.nn"],
  [12, "target", "keyword.other.section.nn"],
  [12, "label", "entity.name.variable.target.nn"],
  [12, "i32", "storage.type.dtype.nn"],
  [12, " class ids", "comment.line.double-slash.nn"],
  [13, "forward", "keyword.other.section.nn"],
  [14, "s", "variable.other.nn"],
  [14, "=", "keyword.operator.assignment.nn"],
  [14, "stem", "variable.other.nn"],
  [14, "flatten", "support.function.layer.nn"],
  [15, "as", "keyword.control.nn"],
  [15, "fc1", "entity.name.variable.layer.nn"],
  [15, "leaky_relu", "support.function.activation.nn"],
  [15, "alpha", "variable.parameter.nn"],
  [16, "!=", "keyword.operator.comparison.nn"],
  [16, "!", "keyword.operator.logical.nn"],
  [16, "==", "keyword.operator.comparison.nn"],
  [16, "/", "keyword.operator.arithmetic.nn"],
  [16, "<=", "keyword.operator.comparison.nn"],
  [16, "1e-4", "constant.numeric.nn"],
  [17, "repeat", "keyword.control.nn"],
  [17, "gelu", "support.function.activation.nn"],
  [18, "gate", "variable.other.nn"],
  [18, "softmax", "support.function.activation.nn"],
  [20, "loss", "keyword.other.section.nn"],
  [20, "cross_entropy", "support.function.loss.nn"],
  [20, "l1", "support.function.loss.nn"],
  [20, ".", "punctuation.accessor.nn"],
  [20, "weight", "variable.other.property.nn"],
  [21, "optimizer", "keyword.other.section.nn"],
  [21, "adamw", "support.function.optimizer.nn"],
  [21, "3e-4", "constant.numeric.nn"],
  [21, "weight_decay", "variable.parameter.nn"],
  [22, "metrics", "keyword.other.section.nn"],
  [22, "accuracy", "support.function.metric.nn"],
  [22, "rmse", "support.function.metric.nn"],
  [23, "train", "keyword.other.section.nn"],
  [23, "false", "constant.language.boolean.nn"],
  [23, "early_stopping", "variable.parameter.nn"],
  [23, "patience", "variable.parameter.nn"],
  [23, "lr_schedule", "variable.parameter.nn"],
  [23, "cosine", "support.function.lr-schedule.nn"],
  [24, "data", "keyword.other.section.nn"],
  [24, "source", "variable.parameter.nn"],
  [24, "idx", "support.function.data-source.nn"],
  [24, String.raw`\t`, "constant.character.escape.nn"],
  [24, "minmax", "support.constant.normalize.nn"],
  [25, "}", "punctuation.section.braces.end.nn"],
];

describe("an unseen program", () => {
  it("has every interesting token in the scope an editor should show", async () => {
    const tokens = await tokensOf(program);
    const find = (line: number, text: string): GrammarToken | undefined =>
      tokens.find((t) => t.line === line && t.text === text);
    const actual = expected.map(([line, text]) => [line, text, find(line, text)?.scopes.at(-1)]);
    expect(actual).toEqual(expected);
  });

  it("has no token the grammar calls invalid, and no name left uncoloured by mistake", async () => {
    const tokens = await tokensOf(program);
    expect(tokens.filter((t) => t.scopes.some((s) => s.startsWith("invalid.")))).toEqual([]);
    // Plain names are the user's own: no keyword, built-in or type fell through to them.
    const plain = new Set(
      tokens.filter((t) => t.scopes.at(-1) === "variable.other.nn").map((t) => t.text),
    );
    expect([...plain].sort()).toEqual([
      "a",
      "b",
      "batch",
      "fc1",
      "gate",
      "img",
      "k",
      "p",
      "s",
      "stem",
      "t",
      "u",
      "units",
    ]);
  });

  it("keeps the block comment's two lines and the string's parts in one scope each", async () => {
    const tokens = await tokensOf(program);
    expect(tokens.filter((t) => t.line <= 2).every((t) => t.scopes[0] === "comment.block.nn")).toBe(
      true,
    );
    const string = tokens.filter((t) => t.line === 24 && t.scopes[0] === "string.quoted.double.nn");
    expect(string.map((t) => t.text).join("")).toBe(String.raw`"imgs\tx""labels"`);
  });
});
