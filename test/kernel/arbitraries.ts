import fc from "fast-check";
import {
  type BinaryMath,
  type ElementExpr,
  type Comparison,
  type IndexExpr,
  type UnaryMath,
  k,
} from "../../compiler/kernel/index.js";

/**
 * fast-check arbitraries shared by the kernel-IR property tests (JS printer against the
 * evaluator, wasm printer against the JS printer): special numbers, the IR's operators and
 * index expressions shaped as index maps are.
 */

export const special = [
  NaN,
  Infinity,
  -Infinity,
  -0,
  0,
  1,
  -1,
  0.5,
  -0.5,
  2,
  20,
  21,
  1e-310,
  1e308,
  -7.25,
];
export const number = fc.oneof(
  fc.constantFrom(...special),
  fc.double(),
  fc.integer({ min: -5, max: 5 }),
);

export const unaryOps: readonly UnaryMath[] = [
  "neg",
  "exp",
  "log",
  "sqrt",
  "abs",
  "sign",
  "sin",
  "cos",
  "tanh",
  "log1p",
  "expm1",
  "erf",
];
export const binaryOps: readonly BinaryMath[] = ["add", "sub", "mul", "div", "pow", "max", "min"];
export const comparisons: readonly Comparison[] = ["lt", "gt", "le", "ge", "eq", "ne"];

/** Non-negative integer expressions with positive divisors, as index maps are. */
export const { index } = fc.letrec<{ index: IndexExpr }>((tie) => ({
  index: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(k.element),
    fc.constant(k.batch),
    fc.integer({ min: 0, max: 7 }).map(k.int),
    fc.tuple(tie("index"), tie("index")).map(([a, b]) => k.iadd(a, b)),
    fc.tuple(tie("index"), tie("index")).map(([a, b]) => k.imul(a, b)),
    fc.tuple(tie("index"), tie("index")).map(([a, b]) => k.isub(k.iadd(a, b), b)),
    fc
      .tuple(
        tie("index"),
        fc.oneof(fc.integer({ min: 1, max: 7 }).map(k.int), fc.constant(k.batch)),
      )
      .map(([a, b]) => k.idiv(a, b)),
    fc
      .tuple(
        tie("index"),
        fc.oneof(fc.integer({ min: 1, max: 7 }).map(k.int), fc.constant(k.batch)),
      )
      .map(([a, b]) => k.imod(a, b)),
  ),
}));

/** `expr` with each local read replaced by an earlier let (or a constant in the first let). */
export function withLocalsBefore(expr: ElementExpr, count: number): ElementExpr {
  const sub = (e: ElementExpr) => withLocalsBefore(e, count);
  switch (expr.kind) {
    case "local":
      return count === 0 ? k.c(expr.index) : k.local(expr.index % count);
    case "unary":
      return { ...expr, x: sub(expr.x) };
    case "binary":
    case "compare":
      return { ...expr, a: sub(expr.a), b: sub(expr.b) };
    case "select":
      return k.select(sub(expr.condition), sub(expr.then), sub(expr.otherwise));
    default:
      return expr;
  }
}
