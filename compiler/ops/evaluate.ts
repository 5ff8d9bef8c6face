import { invariant } from "../assert.js";
import { constantEnv, evaluateElement, k } from "../kernel/index.js";
import { ops } from "../ops.js";
import { broadcastOps, unaryOps } from "./elementwise.js";
import type { ElementContext, Lowering, OpAttrs, OpKind } from "./types.js";

/** The elementwise ops whose result on numbers alone is a number (their shape rules broadcast). */
const scalarOps: ReadonlySet<string> = new Set([
  ...Object.keys(unaryOps),
  ...Object.keys(broadcastOps),
]);

/** No dimensions to count: the operands of a folded op are numbers. */
const numbersOnly: ElementContext = {
  shapes: [],
  count: () => {
    throw new Error("internal error: an op on numbers alone counts elements");
  },
};

/**
 * `op(values)` at compile time, by evaluating the op row's kernel-IR expression on the
 * constants: exactly what generated code computes for those operands (in double precision), so
 * folding and generated code cannot disagree. Null for an op that is not elementwise on numbers
 * alone (a layout, a count of elements, a class id) or a wrong number of operands.
 */
export function evaluateOp<K extends OpKind>(
  op: K,
  attrs: OpAttrs<K>,
  values: readonly number[],
): number | null {
  if (!scalarOps.has(op) || values.length !== ops[op].arity) return null;
  const lowering = ops[op].lowering as Lowering<K>;
  invariant(lowering.kind === "elementwise", `${op} is elementwise`);
  return evaluateElement(lowering.expr(values.map(k.c), attrs, numbersOnly), constantEnv);
}
