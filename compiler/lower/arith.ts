import type { Span } from "../diagnostics/span.js";
import type { Operand } from "../ir/types.js";
import type { OpKind } from "../ops.js";
import type { GraphBuilder } from "./graph.js";
import { type Val, errorVal, numberVal, tensorVal } from "./values.js";

/**
 * Elementwise arithmetic on lowering values: numbers fold at compile time, anything with a
 * tensor emits an equation. Callers have already rejected values that are not numbers or
 * tensors (or errors, which propagate silently).
 */

type NumericVal = Extract<Val, { kind: "tensor" | "number" | "error" }>;

export function operandOf(val: Extract<Val, { kind: "tensor" | "number" }>): Operand {
  return val.kind === "tensor"
    ? { kind: "value", name: val.name }
    : { kind: "const", value: val.value };
}

const foldUnary: Partial<Record<OpKind, (x: number) => number>> = {
  neg: (x) => -x,
  not: (x) => (x === 0 ? 1 : 0),
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  abs: Math.abs,
  sign: Math.sign,
  square: (x) => x * x,
  sin: Math.sin,
  cos: Math.cos,
  tanh: Math.tanh,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  relu: (x) => Math.max(x, 0),
  softplus: (x) => Math.log1p(Math.exp(x)),
  log1p: Math.log1p,
  step: (x) => (x > 0 ? 1 : 0),
};

const foldBinary: Partial<Record<OpKind, (a: number, b: number) => number>> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: (a, b) => a ** b,
  maximum: Math.max,
  minimum: Math.min,
  lt: (a, b) => Number(a < b),
  gt: (a, b) => Number(a > b),
  le: (a, b) => Number(a <= b),
  ge: (a, b) => Number(a >= b),
  eq: (a, b) => Number(a === b),
  ne: (a, b) => Number(a !== b),
};

type NoAttrOp = {
  [K in OpKind]: Record<never, never> extends import("../ops.js").OpAttrs<K> ? K : never;
}[OpKind];

/** `op(args)` for an elementwise op without attributes, folded when every argument is a number. */
export function elementwise(
  graph: GraphBuilder,
  op: NoAttrOp,
  args: readonly NumericVal[],
  span: Span,
): Val {
  if (args.some((a) => a.kind === "error")) return errorVal;
  const known = args as readonly Extract<Val, { kind: "tensor" | "number" }>[];
  if (known.every((a) => a.kind === "number")) {
    const values = known.map((a) => (a as { value: number }).value);
    const unary = foldUnary[op];
    const binary = foldBinary[op];
    if (values.length === 1 && unary) return numberVal(unary(values[0]!));
    if (values.length === 2 && binary) return numberVal(binary(values[0]!, values[1]!));
  }
  return tensorVal(graph.emit(op, known.map(operandOf), {} as never, span));
}
