import type { BinaryMath, Comparison, ElementExpr, IndexExpr, IntOp, UnaryMath } from "./types.js";

/**
 * Smart constructors of kernel IR, so op rows read as their formulas:
 * `k.select(k.le(x, k.c(0)), k.c(0), x)`. Integer expressions simplify as they are built
 * (`i % 1` is 0, `i / 1` is `i`, `x * 1`, `x + 0`, constants fold), which is exact because
 * index values are non-negative integers; number expressions are kept exactly as written,
 * since floating-point arithmetic has almost no identities (`x * 0` is NaN for Infinity).
 */

const intBinary = (op: IntOp, a: IndexExpr, b: IndexExpr): IndexExpr => ({
  kind: "int-binary",
  op,
  a,
  b,
});

const isInt = (e: IndexExpr, value?: number): e is { kind: "int"; value: number } =>
  e.kind === "int" && (value === undefined || e.value === value);

/** The element's flat row-major index `i` in its kernel's domain. */
const element: IndexExpr = { kind: "element" };
/** The batch size `n` of the running step. */
const batch: IndexExpr = { kind: "batch" };

function int(value: number): IndexExpr {
  return { kind: "int", value };
}

function iadd(a: IndexExpr, b: IndexExpr): IndexExpr {
  if (isInt(a) && isInt(b)) return int(a.value + b.value);
  if (isInt(b, 0)) return a;
  if (isInt(a, 0)) return b;
  return intBinary("iadd", a, b);
}

/** `a - b`, where it is not negative (a branch that `select` takes only then). */
function isub(a: IndexExpr, b: IndexExpr): IndexExpr {
  if (isInt(a) && isInt(b)) return int(a.value - b.value);
  if (isInt(b, 0)) return a;
  return intBinary("isub", a, b);
}

function imul(a: IndexExpr, b: IndexExpr): IndexExpr {
  if (isInt(a) && isInt(b)) return int(a.value * b.value);
  if (isInt(a, 0) || isInt(b, 0)) return int(0);
  if (isInt(b, 1)) return a;
  if (isInt(a, 1)) return b;
  return intBinary("imul", a, b);
}

/** Integer division, truncating (`(a / b) | 0`). */
function idiv(a: IndexExpr, b: IndexExpr): IndexExpr {
  if (isInt(a) && isInt(b) && b.value !== 0) return int((a.value / b.value) | 0);
  if (isInt(b, 1) || isInt(a, 0)) return a;
  return intBinary("idiv", a, b);
}

function imod(a: IndexExpr, b: IndexExpr): IndexExpr {
  if (isInt(a) && isInt(b) && b.value !== 0) return int(a.value % b.value);
  if (isInt(b, 1) || isInt(a, 0)) return int(0);
  return intBinary("imod", a, b);
}

const c = (value: number): ElementExpr => ({ kind: "const", value });
const unary =
  (op: UnaryMath) =>
  (x: ElementExpr): ElementExpr => ({ kind: "unary", op, x });
const binary =
  (op: BinaryMath) =>
  (a: ElementExpr, b: ElementExpr): ElementExpr => ({ kind: "binary", op, a, b });
const compare =
  (op: Comparison) =>
  (a: ElementExpr, b: ElementExpr): ElementExpr => ({ kind: "compare", op, a, b });

export const k = {
  element,
  batch,
  int,
  iadd,
  isub,
  imul,
  idiv,
  imod,
  c,
  load: (buffer: number, index: IndexExpr): ElementExpr => ({ kind: "load", buffer, index }),
  local: (index: number): ElementExpr => ({ kind: "local", index }),
  /** An integer expression as a number. */
  float: (value: IndexExpr): ElementExpr => ({ kind: "from-index", value }),
  neg: unary("neg"),
  exp: unary("exp"),
  log: unary("log"),
  sqrt: unary("sqrt"),
  abs: unary("abs"),
  sign: unary("sign"),
  sin: unary("sin"),
  cos: unary("cos"),
  tanh: unary("tanh"),
  log1p: unary("log1p"),
  expm1: unary("expm1"),
  erf: unary("erf"),
  add: binary("add"),
  sub: binary("sub"),
  mul: binary("mul"),
  div: binary("div"),
  pow: binary("pow"),
  max: binary("max"),
  min: binary("min"),
  lt: compare("lt"),
  gt: compare("gt"),
  le: compare("le"),
  ge: compare("ge"),
  eq: compare("eq"),
  ne: compare("ne"),
  /** `then` where `condition` is not 0 (a comparison, or any number: NaN counts as true). */
  select: (condition: ElementExpr, then: ElementExpr, otherwise: ElementExpr): ElementExpr => ({
    kind: "select",
    condition,
    then,
    otherwise,
  }),
} as const;
