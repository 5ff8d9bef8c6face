import type { Span } from "../diagnostics/span.js";
import type { Operand } from "../ir/types.js";
import type { OpAttrs, OpKind } from "../ops.js";
import { evaluateOp } from "../ops/evaluate.js";
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

type NoAttrOp = {
  [K in OpKind]: Record<never, never> extends OpAttrs<K> ? K : never;
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
    const folded = evaluateOp(op, {}, values);
    if (folded !== null) return numberVal(folded);
  }
  return tensorVal(graph.at(span).emit(op, known.map(operandOf), {} as never).name);
}
