import { broadcastRule, unaryFloatRule } from "./checks.js";
import type { OpDef, OpKind } from "./types.js";

/** Elementwise primitives: same shape out as in (unary) or the broadcast shape (binary, ternary). */

type UnaryKind =
  | "neg"
  | "not"
  | "exp"
  | "log"
  | "sqrt"
  | "abs"
  | "sign"
  | "square"
  | "sin"
  | "cos"
  | "tanh"
  | "sigmoid"
  | "relu"
  | "softplus"
  | "log1p"
  | "step"
  | "gelu"
  | "leaky_relu"
  | "elu";

type BroadcastKind =
  | "add"
  | "sub"
  | "mul"
  | "div"
  | "pow"
  | "maximum"
  | "minimum"
  | "lt"
  | "gt"
  | "le"
  | "ge"
  | "eq"
  | "ne"
  | "where"
  | "clip";

function unary<K extends OpKind>(op: K, summary: string): OpDef<K> {
  return { arity: 1, summary, shape: (args) => unaryFloatRule(op, args) };
}

function broadcasting<K extends OpKind>(
  op: K,
  arity: number,
  verb: string,
  summary: string,
): OpDef<K> {
  return { arity, summary, shape: (args) => broadcastRule(op, verb, args) };
}

export const unaryOps = {
  neg: unary("neg", "-x"),
  not: unary("not", "!x: 1 where x is 0, else 0"),
  exp: unary("exp", "e^x"),
  log: unary("log", "natural logarithm"),
  sqrt: unary("sqrt", "square root"),
  abs: unary("abs", "|x|"),
  sign: unary("sign", "-1, 0 or 1"),
  square: unary("square", "x^2"),
  sin: unary("sin", "sine"),
  cos: unary("cos", "cosine"),
  tanh: unary("tanh", "hyperbolic tangent"),
  sigmoid: unary("sigmoid", "1 / (1 + e^-x)"),
  relu: unary("relu", "max(x, 0)"),
  softplus: unary("softplus", "log(1 + e^x)"),
  log1p: unary("log1p", "log(1 + x)"),
  step: unary("step", "1 where x > 0, else 0 (derivative 0)"),
  gelu: unary("gelu", "x * Phi(x), the exact form with erf"),
  leaky_relu: unary("leaky_relu", "x where x > 0, else alpha * x"),
  elu: unary("elu", "x where x > 0, else alpha * (e^x - 1)"),
} satisfies { readonly [K in UnaryKind]: OpDef<K> };

export const broadcastOps = {
  add: broadcasting("add", 2, "add", "x + y"),
  sub: broadcasting("sub", 2, "subtract", "x - y"),
  mul: broadcasting("mul", 2, "multiply", "x * y"),
  div: broadcasting("div", 2, "divide", "x / y"),
  pow: broadcasting("pow", 2, "raise", "x ^ y"),
  maximum: broadcasting("maximum", 2, "take the maximum of", "max(x, y) elementwise"),
  minimum: broadcasting("minimum", 2, "take the minimum of", "min(x, y) elementwise"),
  lt: broadcasting("lt", 2, "compare", "x < y as 0/1"),
  gt: broadcasting("gt", 2, "compare", "x > y as 0/1"),
  le: broadcasting("le", 2, "compare", "x <= y as 0/1"),
  ge: broadcasting("ge", 2, "compare", "x >= y as 0/1"),
  eq: broadcasting("eq", 2, "compare", "x == y as 0/1"),
  ne: broadcasting("ne", 2, "compare", "x != y as 0/1"),
  where: broadcasting("where", 3, "select between", "a where mask is non-zero, else b"),
  clip: broadcasting("clip", 3, "clip between", "x limited to [lo, hi]"),
} satisfies { readonly [K in BroadcastKind]: OpDef<K> };
