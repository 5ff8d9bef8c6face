import { erf } from "../../runtime/math.js";
import { assertNever } from "../assert.js";
import type { BinaryMath, Comparison, ElementExpr, IndexExpr, UnaryMath } from "./types.js";

/**
 * The kernel IR on numbers, with exactly the double-precision semantics of the JavaScript the
 * printer writes (same `Math` functions, same runtime `erf`, same order of operations), so a
 * value folded at compile time is bit for bit the value generated code computes.
 */

/** What an expression may read: the element's index, the batch size, loads and earlier lets. */
export interface EvaluationEnv {
  readonly element: number;
  readonly batch: number;
  readonly locals: readonly number[];
  readonly load: (buffer: number, index: number) => number;
}

/** An environment with nothing to read: for expressions of constants (constant folding). */
export const constantEnv: EvaluationEnv = {
  element: 0,
  batch: 0,
  locals: [],
  load: () => {
    throw new Error("internal error: a constant expression loads from a buffer");
  },
};

export function evaluateIndex(expr: IndexExpr, env: EvaluationEnv): number {
  switch (expr.kind) {
    case "element":
      return env.element;
    case "batch":
      return env.batch;
    case "int":
      return expr.value;
    case "int-binary": {
      const a = evaluateIndex(expr.a, env);
      const b = evaluateIndex(expr.b, env);
      switch (expr.op) {
        case "iadd":
          return a + b;
        case "isub":
          return a - b;
        case "imul":
          return a * b;
        case "idiv":
          return (a / b) | 0;
        case "imod":
          return a % b;
        default:
          return assertNever(expr.op, "integer op");
      }
    }
    default:
      return assertNever(expr, "index expression");
  }
}

export function evaluateElement(expr: ElementExpr, env: EvaluationEnv): number {
  switch (expr.kind) {
    case "const":
      return expr.value;
    case "load":
      return env.load(expr.buffer, evaluateIndex(expr.index, env));
    case "local": {
      const value = env.locals[expr.index];
      if (value === undefined) throw new Error(`internal error: local ${expr.index} read early`);
      return value;
    }
    case "from-index":
      return evaluateIndex(expr.value, env);
    case "unary":
      return unaryMath[expr.op](evaluateElement(expr.x, env));
    case "binary":
      return binaryMath[expr.op](evaluateElement(expr.a, env), evaluateElement(expr.b, env));
    case "compare":
      return comparisons[expr.op](evaluateElement(expr.a, env), evaluateElement(expr.b, env))
        ? 1
        : 0;
    case "select":
      // only the chosen branch is evaluated, as the printed conditional does
      return evaluateElement(expr.condition, env) !== 0
        ? evaluateElement(expr.then, env)
        : evaluateElement(expr.otherwise, env);
    default:
      return assertNever(expr, "element expression");
  }
}

/** Each unary op on doubles, as the printed JavaScript computes it. */
export const unaryMath: { readonly [op in UnaryMath]: (x: number) => number } = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  abs: Math.abs,
  sign: Math.sign,
  sin: Math.sin,
  cos: Math.cos,
  tanh: Math.tanh,
  log1p: Math.log1p,
  expm1: Math.expm1,
  erf,
};

/** Each binary op on doubles, as the printed JavaScript computes it. */
export const binaryMath: { readonly [op in BinaryMath]: (a: number, b: number) => number } = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: Math.pow,
  max: Math.max,
  min: Math.min,
};

const comparisons: { readonly [op in Comparison]: (a: number, b: number) => boolean } = {
  lt: (a, b) => a < b,
  gt: (a, b) => a > b,
  le: (a, b) => a <= b,
  ge: (a, b) => a >= b,
  eq: (a, b) => a === b,
  ne: (a, b) => a !== b,
};
