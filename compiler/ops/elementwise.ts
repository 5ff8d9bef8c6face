import { broadcastRule, unaryFloatRule } from "./checks.js";
import { arg, gradMath, result } from "./grad-dsl.js";
import type { GradRule, OpDef, OpKind } from "./types.js";

/**
 * Elementwise primitives: same shape out as in (unary) or the broadcast shape (binary,
 * ternary). Each gradient rule is the textbook derivative times the output cotangent g;
 * cotangents of broadcast operands are reduced to their shapes by the driver.
 */

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
  | "erf"
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

function unary<K extends OpKind>(op: K, summary: string, grad: GradRule<K> | null): OpDef<K> {
  return { arity: 1, summary, shape: (args) => unaryFloatRule(op, args), grad };
}

function broadcasting<K extends OpKind>(
  op: K,
  arity: number,
  verb: string,
  summary: string,
  grad: GradRule<K> | null,
): OpDef<K> {
  return { arity, summary, shape: (args) => broadcastRule(op, verb, args), grad };
}

/** Derivative 0 everywhere (or undefined at a point): no cotangent flows. */
const noGradient = () => [null, null, null];

const SQRT_2 = Math.SQRT2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

export const unaryOps = {
  neg: unary("neg", "-x", (e, _, g) => [gradMath(e).neg(g)]),
  not: unary("not", "!x: 1 where x is 0, else 0", noGradient),
  // d/dx e^x = e^x
  exp: unary("exp", "e^x", (e, eqn, g) => [gradMath(e).mul(g, result(eqn))]),
  // d/dx log x = 1 / x
  log: unary("log", "natural logarithm", (e, eqn, g) => [gradMath(e).div(g, arg(eqn, 0))]),
  // d/dx sqrt x = 1 / (2 sqrt x)
  sqrt: unary("sqrt", "square root", (e, eqn, g) => {
    const m = gradMath(e);
    return [m.div(g, m.mul(m.c(2), result(eqn)))];
  }),
  // d/dx |x| = sign x (0 at 0, as PyTorch)
  abs: unary("abs", "|x|", (e, eqn, g) => {
    const m = gradMath(e);
    return [m.mul(g, m.unary("sign", arg(eqn, 0)))];
  }),
  sign: unary("sign", "-1, 0 or 1", noGradient),
  // d/dx x^2 = 2x
  square: unary("square", "x^2", (e, eqn, g) => {
    const m = gradMath(e);
    return [m.mul(g, m.mul(m.c(2), arg(eqn, 0)))];
  }),
  sin: unary("sin", "sine", (e, eqn, g) => {
    const m = gradMath(e);
    return [m.mul(g, m.unary("cos", arg(eqn, 0)))];
  }),
  cos: unary("cos", "cosine", (e, eqn, g) => {
    const m = gradMath(e);
    return [m.neg(m.mul(g, m.unary("sin", arg(eqn, 0))))];
  }),
  // d/dx tanh x = 1 - tanh(x)^2
  tanh: unary("tanh", "hyperbolic tangent", (e, eqn, g) => {
    const m = gradMath(e);
    return [m.mul(g, m.sub(m.c(1), m.square(result(eqn))))];
  }),
  // d/dx sigmoid x = s (1 - s)
  sigmoid: unary("sigmoid", "1 / (1 + e^-x)", (e, eqn, g) => {
    const m = gradMath(e);
    const s = result(eqn);
    return [m.mul(g, m.mul(s, m.sub(m.c(1), s)))];
  }),
  // d/dx relu x = 1 where x > 0, else 0 (0 at 0, as PyTorch)
  relu: unary("relu", "max(x, 0)", (e, eqn, g) => {
    const m = gradMath(e);
    return [m.mul(g, m.binary("gt", arg(eqn, 0), m.c(0)))];
  }),
  // d/dx log(1 + e^x) = sigmoid x
  softplus: unary("softplus", "log(1 + e^x)", (e, eqn, g) => {
    const m = gradMath(e);
    return [m.mul(g, m.unary("sigmoid", arg(eqn, 0)))];
  }),
  // d/dx log(1 + x) = 1 / (1 + x)
  log1p: unary("log1p", "log(1 + x)", (e, eqn, g) => {
    const m = gradMath(e);
    return [m.div(g, m.add(m.c(1), arg(eqn, 0)))];
  }),
  step: unary("step", "1 where x > 0, else 0 (derivative 0)", noGradient),
  // gelu x = x Phi(x): d/dx = Phi(x) + x phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2, phi the normal density
  gelu: unary("gelu", "x * Phi(x), the exact form with erf", (e, eqn, g) => {
    const m = gradMath(e);
    const x = arg(eqn, 0);
    const cdf = m.mul(m.c(0.5), m.add(m.c(1), m.unary("erf", m.div(x, m.c(SQRT_2)))));
    const pdf = m.mul(m.c(INV_SQRT_2PI), m.unary("exp", m.mul(m.c(-0.5), m.square(x))));
    return [m.mul(g, m.add(cdf, m.mul(x, pdf)))];
  }),
  // d/dx erf x = 2 / sqrt(pi) e^(-x^2)
  erf: unary("erf", "the error function", (e, eqn, g) => {
    const m = gradMath(e);
    return [m.mul(g, m.mul(m.c(TWO_OVER_SQRT_PI), m.unary("exp", m.neg(m.square(arg(eqn, 0))))))];
  }),
  // d/dx = 1 where x > 0, else alpha
  leaky_relu: unary("leaky_relu", "x where x > 0, else alpha * x", (e, eqn, g) => {
    const m = gradMath(e);
    return [m.mul(g, m.where(m.binary("gt", arg(eqn, 0), m.c(0)), m.c(1), m.c(eqn.attrs.alpha)))];
  }),
  // d/dx = 1 where x > 0, else alpha e^x = y + alpha
  elu: unary("elu", "x where x > 0, else alpha * (e^x - 1)", (e, eqn, g) => {
    const m = gradMath(e);
    const negative = m.add(result(eqn), m.c(eqn.attrs.alpha));
    return [m.mul(g, m.where(m.binary("gt", arg(eqn, 0), m.c(0)), m.c(1), negative))];
  }),
} satisfies { readonly [K in UnaryKind]: OpDef<K> };

/** PyTorch's maximum/minimum: the cotangent goes to the larger (smaller) operand, halved on ties. */
function extremumRule(wins: "gt" | "lt"): GradRule<"maximum" | "minimum"> {
  return (e, eqn, g) => {
    const m = gradMath(e);
    const a = arg(eqn, 0);
    const b = arg(eqn, 1);
    const tie = m.mul(m.c(0.5), m.binary("eq", a, b));
    const loses = wins === "gt" ? "lt" : "gt";
    return [
      m.mul(g, m.add(m.binary(wins, a, b), tie)),
      m.mul(g, m.add(m.binary(loses, a, b), tie)),
    ];
  };
}

export const broadcastOps = {
  add: broadcasting("add", 2, "add", "x + y", (_e, _eqn, g) => [g, g]),
  sub: broadcasting("sub", 2, "subtract", "x - y", (e, _eqn, g) => [g, gradMath(e).neg(g)]),
  // d(ab) = b da + a db
  mul: broadcasting("mul", 2, "multiply", "x * y", (e, eqn, g) => {
    const m = gradMath(e);
    return [m.mul(g, arg(eqn, 1)), m.mul(g, arg(eqn, 0))];
  }),
  // d(a/b) = da / b - (a / b^2) db = da / b - y db / b
  div: broadcasting("div", 2, "divide", "x / y", (e, eqn, g) => {
    const m = gradMath(e);
    const b = arg(eqn, 1);
    return [m.div(g, b), m.neg(m.div(m.mul(g, result(eqn)), b))];
  }),
  // d(a^b) = b a^(b-1) da + a^b log(a) db
  pow: broadcasting("pow", 2, "raise", "x ^ y", (e, eqn, g) => {
    const m = gradMath(e);
    const a = arg(eqn, 0);
    const b = arg(eqn, 1);
    const da = m.mul(g, m.mul(b, m.binary("pow", a, m.sub(b, m.c(1)))));
    const db = b.kind === "const" ? null : m.mul(g, m.mul(result(eqn), m.unary("log", a)));
    return [da, db];
  }),
  maximum: broadcasting(
    "maximum",
    2,
    "take the maximum of",
    "max(x, y) elementwise",
    extremumRule("gt"),
  ),
  minimum: broadcasting(
    "minimum",
    2,
    "take the minimum of",
    "min(x, y) elementwise",
    extremumRule("lt"),
  ),
  lt: broadcasting("lt", 2, "compare", "x < y as 0/1", noGradient),
  gt: broadcasting("gt", 2, "compare", "x > y as 0/1", noGradient),
  le: broadcasting("le", 2, "compare", "x <= y as 0/1", noGradient),
  ge: broadcasting("ge", 2, "compare", "x >= y as 0/1", noGradient),
  eq: broadcasting("eq", 2, "compare", "x == y as 0/1", noGradient),
  ne: broadcasting("ne", 2, "compare", "x != y as 0/1", noGradient),
  where: broadcasting(
    "where",
    3,
    "select between",
    "a where mask is non-zero, else b",
    (e, eqn, g) => {
      const m = gradMath(e);
      const mask = arg(eqn, 0);
      return [null, m.where(mask, g, m.c(0)), m.where(mask, m.c(0), g)];
    },
  ),
  // PyTorch's clamp: x gets the cotangent inside [lo, hi] (ends included), lo below it, hi above.
  clip: broadcasting("clip", 3, "clip between", "x limited to [lo, hi]", (e, eqn, g) => {
    const m = gradMath(e);
    const [x, lo, hi] = [arg(eqn, 0), arg(eqn, 1), arg(eqn, 2)];
    const inside = m.mul(m.binary("ge", x, lo), m.binary("le", x, hi));
    return [m.mul(g, inside), m.mul(g, m.binary("lt", x, lo)), m.mul(g, m.binary("gt", x, hi))];
  }),
} satisfies { readonly [K in BroadcastKind]: OpDef<K> };
