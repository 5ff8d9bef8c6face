import { broadcastRule, unaryFloatRule } from "./checks.js";
import { arg, gradMath, result } from "./grad-dsl.js";
import type { GradRule, Lowering, OpDef } from "./types.js";

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

function unary<K extends UnaryKind>(op: K, summary: string, grad: GradRule<K> | null): OpDef<K> {
  return {
    arity: 1,
    summary,
    shape: (args) => unaryFloatRule(op, args),
    grad,
    lowering: elementwiseLowerings[op] as Lowering<K>,
  };
}

function broadcasting<K extends BroadcastKind>(
  op: K,
  arity: number,
  verb: string,
  summary: string,
  grad: GradRule<K> | null,
): OpDef<K> {
  return {
    arity,
    summary,
    shape: (args) => broadcastRule(op, verb, args),
    grad,
    lowering: elementwiseLowerings[op] as Lowering<K>,
  };
}

/** One element as a JavaScript and as a WGSL expression of its operands' expressions. */
function expr(
  js: (a: string, b: string, c: string) => string,
  wgsl: (a: string, b: string, c: string) => string,
) {
  return {
    kind: "elementwise" as const,
    js: (o: readonly string[]) => js(o[0]!, o[1] ?? "", o[2] ?? ""),
    wgsl: (o: readonly string[]) => wgsl(o[0]!, o[1] ?? "", o[2] ?? ""),
  };
}

const same = (f: (a: string, b: string, c: string) => string) => expr(f, f);
const compare = (op: string) =>
  expr(
    (a, b) => `(${a} ${op} ${b} ? 1 : 0)`,
    (a, b) => `select(0.0, 1.0, ${a} ${op} ${b})`,
  );

/**
 * The elementwise lowerings. JavaScript computes in double precision and rounds when storing
 * to a Float32Array; the formulas follow PyTorch's (softplus returns x above 20, elu uses
 * expm1, gelu is the exact erf form).
 */
const elementwiseLowerings = {
  neg: same((a) => `-${a}`),
  not: expr(
    (a) => `(${a} === 0 ? 1 : 0)`,
    (a) => `select(0.0, 1.0, ${a} == 0.0)`,
  ),
  exp: expr(
    (a) => `Math.exp(${a})`,
    (a) => `exp(${a})`,
  ),
  log: expr(
    (a) => `Math.log(${a})`,
    (a) => `log(${a})`,
  ),
  sqrt: expr(
    (a) => `Math.sqrt(${a})`,
    (a) => `sqrt(${a})`,
  ),
  abs: expr(
    (a) => `Math.abs(${a})`,
    (a) => `abs(${a})`,
  ),
  sign: expr(
    (a) => `Math.sign(${a})`,
    (a) => `sign(${a})`,
  ),
  square: same((a) => `${a} * ${a}`),
  sin: expr(
    (a) => `Math.sin(${a})`,
    (a) => `sin(${a})`,
  ),
  cos: expr(
    (a) => `Math.cos(${a})`,
    (a) => `cos(${a})`,
  ),
  tanh: expr(
    (a) => `Math.tanh(${a})`,
    (a) => `tanh(${a})`,
  ),
  sigmoid: expr(
    (a) => `1 / (1 + Math.exp(-${a}))`,
    (a) => `1.0 / (1.0 + exp(-${a}))`,
  ),
  relu: expr(
    (a) => `(${a} > 0 ? ${a} : 0)`,
    (a) => `max(${a}, 0.0)`,
  ),
  softplus: expr(
    (a) => `(${a} > 20 ? ${a} : Math.log1p(Math.exp(${a})))`,
    (a) => `select(log(1.0 + exp(${a})), ${a}, ${a} > 20.0)`,
  ),
  log1p: expr(
    (a) => `Math.log1p(${a})`,
    (a) => `log(1.0 + ${a})`,
  ),
  step: expr(
    (a) => `(${a} > 0 ? 1 : 0)`,
    (a) => `select(0.0, 1.0, ${a} > 0.0)`,
  ),
  gelu: expr(
    (a) => `0.5 * ${a} * (1 + erf(${a} * Math.SQRT1_2))`,
    (a) => `0.5 * ${a} * (1.0 + nnc_erf(${a} * 0.70710678))`,
  ),
  erf: expr(
    (a) => `erf(${a})`,
    (a) => `nnc_erf(${a})`,
  ),
  leaky_relu: {
    kind: "elementwise" as const,
    js: (o: readonly string[], attrs: { readonly alpha: number }) =>
      `(${o[0]} > 0 ? ${o[0]} : ${attrs.alpha} * ${o[0]})`,
    wgsl: (o: readonly string[], attrs: { readonly alpha: number }) =>
      `select(${wgslFloat(attrs.alpha)} * ${o[0]}, ${o[0]}, ${o[0]} > 0.0)`,
  },
  elu: {
    kind: "elementwise" as const,
    js: (o: readonly string[], attrs: { readonly alpha: number }) =>
      `(${o[0]} > 0 ? ${o[0]} : ${attrs.alpha} * Math.expm1(${o[0]}))`,
    wgsl: (o: readonly string[], attrs: { readonly alpha: number }) =>
      `select(${wgslFloat(attrs.alpha)} * (exp(${o[0]}) - 1.0), ${o[0]}, ${o[0]} > 0.0)`,
  },
  add: same((a, b) => `${a} + ${b}`),
  sub: same((a, b) => `${a} - ${b}`),
  mul: same((a, b) => `${a} * ${b}`),
  div: same((a, b) => `${a} / ${b}`),
  pow: expr(
    (a, b) => `Math.pow(${a}, ${b})`,
    (a, b) => `pow(${a}, ${b})`,
  ),
  maximum: expr(
    (a, b) => `Math.max(${a}, ${b})`,
    (a, b) => `max(${a}, ${b})`,
  ),
  minimum: expr(
    (a, b) => `Math.min(${a}, ${b})`,
    (a, b) => `min(${a}, ${b})`,
  ),
  lt: compare("<"),
  gt: compare(">"),
  le: compare("<="),
  ge: compare(">="),
  eq: expr(
    (a, b) => `(${a} === ${b} ? 1 : 0)`,
    (a, b) => `select(0.0, 1.0, ${a} == ${b})`,
  ),
  ne: expr(
    (a, b) => `(${a} !== ${b} ? 1 : 0)`,
    (a, b) => `select(0.0, 1.0, ${a} != ${b})`,
  ),
  where: expr(
    (m, a, b) => `(${m} !== 0 ? ${a} : ${b})`,
    (m, a, b) => `select(${b}, ${a}, ${m} != 0.0)`,
  ),
  // PyTorch's clamp: min(max(x, lo), hi), so hi wins when lo > hi
  clip: expr(
    (x, lo, hi) => `Math.min(Math.max(${x}, ${lo}), ${hi})`,
    (x, lo, hi) => `min(max(${x}, ${lo}), ${hi})`,
  ),
} satisfies { readonly [K in UnaryKind | BroadcastKind]: Lowering<K> };

function wgslFloat(value: number): string {
  const text = String(value);
  return /[.eE]/.test(text) ? text : `${text}.0`;
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
    // PyTorch's conventions at the edges: 0 where the exponent is 0 (not 0 * 0^-1), and no
    // exponent gradient where the base is 0 (not 0^b log 0).
    const slope = m.mul(b, m.binary("pow", a, m.sub(b, m.c(1))));
    const da = m.mul(g, m.where(m.binary("eq", b, m.c(0)), m.c(0), slope));
    if (b.kind === "const") return [da, null];
    const atZero = m.mul(m.binary("eq", a, m.c(0)), m.binary("ge", b, m.c(0)));
    const db = m.mul(g, m.where(atZero, m.c(0), m.mul(result(eqn), m.unary("log", a))));
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
    // When lo > hi the result is hi everywhere: hi gets the whole cotangent, lo none.
    const toLo = m.mul(m.binary("lt", x, lo), m.binary("lt", lo, hi));
    const toHi = m.binary("maximum", m.binary("gt", x, hi), m.binary("lt", hi, lo));
    return [m.mul(g, inside), m.mul(g, toLo), m.mul(g, toHi)];
  }),
} satisfies { readonly [K in BroadcastKind]: OpDef<K> };
