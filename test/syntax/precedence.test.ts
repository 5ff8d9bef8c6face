import { describe, expect, it } from "vitest";
import { printExpr } from "../../compiler/syntax/index.js";
import { exprOf } from "./helpers.js";

const cases: [string, string][] = [
  ["a + b * c ^ d ^ e", "(a + (b * (c ^ (d ^ e))))"],
  ["a - b - c", "((a - b) - c)"],
  ["a / b / c", "((a / b) / c)"],
  ["a * b / c * d", "(((a * b) / c) * d)"],
  ["a + b - c + d", "(((a + b) - c) + d)"],
  ["a * b + c * d", "((a * b) + (c * d))"],
  ["a ^ b ^ c", "(a ^ (b ^ c))"],
  ["-x^2", "(-(x ^ 2))"],
  ["-x * y", "((-x) * y)"],
  ["2^-1", "(2 ^ (-1))"],
  ["2 ^ -x ^ 2", "(2 ^ (-(x ^ 2)))"],
  ["--x", "(-(-x))"],
  ["!m", "(!m)"],
  ["!a == b", "((!a) == b)"],
  ["a - -b", "(a - (-b))"],
  ["a < b + c", "(a < (b + c))"],
  ["a + b >= c * d", "((a + b) >= (c * d))"],
  ["a == b", "(a == b)"],
  ["a != b", "(a != b)"],
  ["a <= b", "(a <= b)"],
  ["a > b", "(a > b)"],
  ["(a < b) < c", "((a < b) < c)"],
  ["x -> dense(512) -> relu", "(x -> dense(512) -> relu)"],
  ["a + b -> relu", "((a + b) -> relu)"],
  ["a < b -> f", "((a < b) -> f)"],
  ["(x -> f) + 1", "((x -> f) + 1)"],
  ["(x -> f) -> g", "((x -> f) -> g)"],
  ["(h + r) -> dense(10) -> softmax", "((h + r) -> dense(10) -> softmax)"],
  ["dense_1.weight", "dense_1.weight"],
  ["dense_1.weight ^ 2", "(dense_1.weight ^ 2)"],
  ["-a.b", "(-a.b)"],
  ["f(x).y.z", "f(x).y.z"],
  ["(a + b).c", "(a + b).c"],
  ["f(a, k: 1)", "f(a, k: 1)"],
  ["f(a + b, c * d, axis: -1)", "f((a + b), (c * d), axis: (-1))"],
  ["f()", "f()"],
  ["[a, b]", "[a, b]"],
  ["[]", "[]"],
  ["[1, 2, 3,]", "[1, 2, 3]"],
  ["reshape(x, [batch, 28, 28])", "reshape(x, [batch, 28, 28])"],
  ['"a\\"b\\\\c\\n\\t"', '"a\\"b\\\\c\\n\\t"'],
  ["true + false", "(true + false)"],
  ["1e-4 * l2(weights)", "(1e-4 * l2(weights))"],
  [".5 + 2.5E+3", "(.5 + 2.5E+3)"],
  ["x -> dense(512) as fc1 -> relu", "(x -> dense(512) as fc1 -> relu)"],
  ["x -> relu as r", "(x -> relu as r)"],
  ["x -> repeat 3 { dense(4) -> relu }", "(x -> repeat 3 { dense(4) -> relu })"],
  ["x -> repeat n { relu }", "(x -> repeat n { relu })"],
  ["x -> repeat (n + 1) { relu }", "(x -> repeat (n + 1) { relu })"],
  ["x -> leaky_relu(alpha: 0.2) -> f(b, c)", "(x -> leaky_relu(alpha: 0.2) -> f(b, c))"],
  ["x -> relu()", "(x -> relu())"],
  ["f(x -> g, 2)", "f((x -> g), 2)"],
  ["{ monitor: val_loss, patience: 5 }", "{ monitor: val_loss, patience: 5 }"],
  ["{}", "{}"],
  ['csv("d.csv", target: ["a"], drop: [])', 'csv("d.csv", target: ["a"], drop: [])'],
];

describe("precedence and associativity (canonical print)", () => {
  it.each(cases)("%s", (source, printed) => {
    expect(printExpr(exprOf(source))).toBe(printed);
  });

  it("prints a canonical form that parses to itself", () => {
    for (const [, printed] of cases) expect(printExpr(exprOf(printed))).toBe(printed);
  });
});
