import { broadcastRule, unaryFloatRule } from "./checks.js";
import { arg, result } from "./eqn-operands.js";
import { type ElementExpr, k } from "../kernel/index.js";
import type { GradRule, OpAttrs, OpDef, OpKind } from "./types.js";

/**
 * Elementwise primitives: same shape out as in (unary) or the broadcast shape (binary,
 * ternary). Each gradient rule is the textbook derivative times the output cotangent g;
 * cotangents of broadcast operands are reduced to their shapes by the driver.
 */

export type UnaryKind =
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

export type BroadcastKind =
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

/** One element of an op's result from its operands' elements (and attributes), in kernel IR. */
type Element<K extends OpKind> = (x: ElementExpr, attrs: OpAttrs<K>) => ElementExpr;

function unary<K extends UnaryKind>(
  op: K,
  summary: string,
  grad: GradRule<K> | null,
  element: Element<K>,
): OpDef<K> {
  return {
    arity: 1,
    summary,
    shape: (args) => unaryFloatRule(op, args),
    grad,
    lowering: { kind: "elementwise", expr: (o, attrs) => element(o[0]!, attrs) },
  };
}

function broadcasting<K extends BroadcastKind>(
  op: K,
  arity: number,
  verb: string,
  summary: string,
  grad: GradRule<K> | null,
  /** Reads as many operands as the op's arity. */
  element: (a: ElementExpr, b: ElementExpr, c: ElementExpr) => ElementExpr,
): OpDef<K> {
  return {
    arity,
    summary,
    shape: (args) => broadcastRule(op, verb, args),
    grad,
    lowering: { kind: "elementwise", expr: (o) => element(o[0]!, o[1]!, o[2]!) },
  };
}

/** Derivative 0 everywhere (or undefined at a point): no cotangent flows. */
const noGradient = () => [null, null, null];

const SQRT_2 = Math.SQRT2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

export const unaryOps = {
  neg: unary(
    "neg",
    "-x",
    (m, _, g) => [m.neg(g)],
    (x) => k.neg(x),
  ),
  not: unary("not", "!x: 1 where x is 0, else 0", noGradient, (x) => k.eq(x, k.c(0))),
  // d/dx e^x = e^x
  exp: unary(
    "exp",
    "e^x",
    (m, eqn, g) => [m.mul(g, result(eqn))],
    (x) => k.exp(x),
  ),
  // d/dx log x = 1 / x
  log: unary(
    "log",
    "natural logarithm",
    (m, eqn, g) => [m.div(g, arg(eqn, 0))],
    (x) => k.log(x),
  ),
  // d/dx sqrt x = 1 / (2 sqrt x)
  sqrt: unary(
    "sqrt",
    "square root",
    (m, eqn, g) => [m.div(g, m.mul(m.c(2), result(eqn)))],
    (x) => k.sqrt(x),
  ),
  // d/dx |x| = sign x (0 at 0, as PyTorch)
  abs: unary(
    "abs",
    "|x|",
    (m, eqn, g) => [m.mul(g, m.unary("sign", arg(eqn, 0)))],
    (x) => k.abs(x),
  ),
  sign: unary("sign", "-1, 0 or 1", noGradient, (x) => k.sign(x)),
  // d/dx x^2 = 2x
  square: unary(
    "square",
    "x^2",
    (m, eqn, g) => [m.mul(g, m.mul(m.c(2), arg(eqn, 0)))],
    (x) => k.mul(x, x),
  ),
  sin: unary(
    "sin",
    "sine",
    (m, eqn, g) => [m.mul(g, m.unary("cos", arg(eqn, 0)))],
    (x) => k.sin(x),
  ),
  cos: unary(
    "cos",
    "cosine",
    (m, eqn, g) => [m.neg(m.mul(g, m.unary("sin", arg(eqn, 0))))],
    (x) => k.cos(x),
  ),
  // d/dx tanh x = 1 - tanh(x)^2
  tanh: unary(
    "tanh",
    "hyperbolic tangent",
    (m, eqn, g) => [m.mul(g, m.sub(m.c(1), m.square(result(eqn))))],
    (x) => k.tanh(x),
  ),
  // d/dx sigmoid x = s (1 - s)
  sigmoid: unary(
    "sigmoid",
    "1 / (1 + e^-x)",
    (m, eqn, g) => {
      const s = result(eqn);
      return [m.mul(g, m.mul(s, m.sub(m.c(1), s)))];
    },
    (x) => k.div(k.c(1), k.add(k.c(1), k.exp(k.neg(x)))),
  ),
  // d/dx relu x = 1 where x > 0, else 0 (0 at 0, as PyTorch)
  relu: unary(
    "relu",
    "max(x, 0)",
    (m, eqn, g) => [m.mul(g, m.binary("gt", arg(eqn, 0), m.c(0)))],
    (x) => k.select(k.le(x, k.c(0)), k.c(0), x),
  ),
  // d/dx log(1 + e^x) = sigmoid x
  softplus: unary(
    "softplus",
    "log(1 + e^x)",
    (m, eqn, g) => [m.mul(g, m.unary("sigmoid", arg(eqn, 0)))],
    (x) => k.select(k.gt(x, k.c(20)), x, k.log1p(k.exp(x))),
  ),
  // d/dx log(1 + x) = 1 / (1 + x)
  log1p: unary(
    "log1p",
    "log(1 + x)",
    (m, eqn, g) => [m.div(g, m.add(m.c(1), arg(eqn, 0)))],
    (x) => k.log1p(x),
  ),
  step: unary("step", "1 where x > 0, else 0 (derivative 0)", noGradient, (x) => k.gt(x, k.c(0))),
  // gelu x = x Phi(x): d/dx = Phi(x) + x phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2, phi the normal density
  gelu: unary(
    "gelu",
    "x * Phi(x), the exact form with erf",
    (m, eqn, g) => {
      const x = arg(eqn, 0);
      const cdf = m.mul(m.c(0.5), m.add(m.c(1), m.unary("erf", m.div(x, m.c(SQRT_2)))));
      const pdf = m.mul(m.c(INV_SQRT_2PI), m.unary("exp", m.mul(m.c(-0.5), m.square(x))));
      return [m.mul(g, m.add(cdf, m.mul(x, pdf)))];
    },
    (x) => k.mul(k.mul(k.c(0.5), x), k.add(k.c(1), k.erf(k.mul(x, k.c(Math.SQRT1_2))))),
  ),
  // d/dx erf x = 2 / sqrt(pi) e^(-x^2)
  erf: unary(
    "erf",
    "the error function",
    (m, eqn, g) => [
      m.mul(g, m.mul(m.c(TWO_OVER_SQRT_PI), m.unary("exp", m.neg(m.square(arg(eqn, 0)))))),
    ],
    (x) => k.erf(x),
  ),
  // d/dx = 1 where x > 0, else alpha
  leaky_relu: unary(
    "leaky_relu",
    "x where x > 0, else alpha * x",
    (m, eqn, g) => [
      m.mul(g, m.where(m.binary("gt", arg(eqn, 0), m.c(0)), m.c(1), m.c(eqn.attrs.alpha))),
    ],
    (x, { alpha }) => k.select(k.gt(x, k.c(0)), x, k.mul(k.c(alpha), x)),
  ),
  // d/dx = 1 where x > 0, else alpha e^x = y + alpha
  elu: unary(
    "elu",
    "x where x > 0, else alpha * (e^x - 1)",
    (m, eqn, g) => {
      const negative = m.add(result(eqn), m.c(eqn.attrs.alpha));
      return [m.mul(g, m.where(m.binary("gt", arg(eqn, 0), m.c(0)), m.c(1), negative))];
    },
    (x, { alpha }) => k.select(k.gt(x, k.c(0)), x, k.mul(k.c(alpha), k.expm1(x))),
  ),
} satisfies { readonly [K in UnaryKind]: OpDef<K> };

/** PyTorch's maximum/minimum: the cotangent goes to the larger (smaller) operand, halved on ties. */
function extremumRule(wins: "gt" | "lt"): GradRule<"maximum" | "minimum"> {
  return (m, eqn, g) => {
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
  add: broadcasting(
    "add",
    2,
    "add",
    "x + y",
    (_m, _eqn, g) => [g, g],
    (a, b) => k.add(a, b),
  ),
  sub: broadcasting(
    "sub",
    2,
    "subtract",
    "x - y",
    (m, _eqn, g) => [g, m.neg(g)],
    (a, b) => k.sub(a, b),
  ),
  // d(ab) = b da + a db
  mul: broadcasting(
    "mul",
    2,
    "multiply",
    "x * y",
    (m, eqn, g) => [m.mul(g, arg(eqn, 1)), m.mul(g, arg(eqn, 0))],
    (a, b) => k.mul(a, b),
  ),
  // d(a/b) = da / b - (a / b^2) db = da / b - y db / b
  div: broadcasting(
    "div",
    2,
    "divide",
    "x / y",
    (m, eqn, g) => {
      const b = arg(eqn, 1);
      return [m.div(g, b), m.neg(m.div(m.mul(g, result(eqn)), b))];
    },
    (a, b) => k.div(a, b),
  ),
  // d(a^b) = b a^(b-1) da + a^b log(a) db
  pow: broadcasting(
    "pow",
    2,
    "raise",
    "x ^ y",
    (m, eqn, g) => {
      const a = arg(eqn, 0);
      const b = arg(eqn, 1);
      // PyTorch's conventions at the edges: 0 where the exponent is 0 (not 0 * 0^-1), and no
      // exponent gradient where the base is 0 (not 0^b log 0).
      const slope = m.mul(b, m.binary("pow", a, m.sub(b, m.c(1))));
      const da = m.mul(g, m.where(m.binary("eq", b, m.c(0)), m.c(0), slope));
      if (b.kind === "const") return [da, null];
      const atZero = m.mul(m.binary("eq", a, m.c(0)), m.binary("ge", b, m.c(0)));
      const db = m.mul(g, m.where(atZero, m.c(0), m.mul(result(eqn), m.unary("log", a))));
      return [da, db];
    },
    (a, b) => k.pow(a, b),
  ),
  maximum: broadcasting(
    "maximum",
    2,
    "take the maximum of",
    "max(x, y) elementwise",
    extremumRule("gt"),
    (a, b) => k.max(a, b),
  ),
  minimum: broadcasting(
    "minimum",
    2,
    "take the minimum of",
    "min(x, y) elementwise",
    extremumRule("lt"),
    (a, b) => k.min(a, b),
  ),
  lt: broadcasting("lt", 2, "compare", "x < y as 0/1", noGradient, (a, b) => k.lt(a, b)),
  gt: broadcasting("gt", 2, "compare", "x > y as 0/1", noGradient, (a, b) => k.gt(a, b)),
  le: broadcasting("le", 2, "compare", "x <= y as 0/1", noGradient, (a, b) => k.le(a, b)),
  ge: broadcasting("ge", 2, "compare", "x >= y as 0/1", noGradient, (a, b) => k.ge(a, b)),
  eq: broadcasting("eq", 2, "compare", "x == y as 0/1", noGradient, (a, b) => k.eq(a, b)),
  ne: broadcasting("ne", 2, "compare", "x != y as 0/1", noGradient, (a, b) => k.ne(a, b)),
  where: broadcasting(
    "where",
    3,
    "select between",
    "a where mask is non-zero, else b",
    (m, eqn, g) => {
      const mask = arg(eqn, 0);
      return [null, m.where(mask, g, m.c(0)), m.where(mask, m.c(0), g)];
    },
    (mask, a, b) => k.select(mask, a, b),
  ),
  // PyTorch's clamp: x gets the cotangent inside [lo, hi] (ends included), lo below it, hi above.
  clip: broadcasting(
    "clip",
    3,
    "clip between",
    "x limited to [lo, hi]",
    (m, eqn, g) => {
      const [x, lo, hi] = [arg(eqn, 0), arg(eqn, 1), arg(eqn, 2)];
      const inside = m.mul(m.binary("ge", x, lo), m.binary("le", x, hi));
      // When lo > hi the result is hi everywhere: hi gets the whole cotangent, lo none.
      const toLo = m.mul(m.binary("lt", x, lo), m.binary("lt", lo, hi));
      const toHi = m.binary("maximum", m.binary("gt", x, hi), m.binary("lt", hi, lo));
      return [m.mul(g, inside), m.mul(g, toLo), m.mul(g, toHi)];
    },
    (x, lo, hi) => k.min(k.max(x, lo), hi),
  ),
} satisfies { readonly [K in BroadcastKind]: OpDef<K> };
