import { invariant } from "../assert.js";
import { batchMonomial, formatDim } from "../shapes/dims.js";
import type { IrFunction } from "../ir/function.js";
import type { TypedModel } from "../ir/types.js";
import { type Schedule, fuse } from "./fuse.js";
import { legalize } from "./legalize.js";
import { type BufferPlan, planBuffers } from "./plan.js";
import { simplify } from "./simplify.js";

export { simplify } from "./simplify.js";
export { specialize } from "./specialize.js";

/** A function ready for code generation: its steps and where each value lives. */
export interface CompiledFunction {
  readonly fn: IrFunction;
  readonly schedule: Schedule;
  readonly plan: BufferPlan;
  /** The batch dimension's name (the only symbolic dimension at run time). */
  readonly batch: string;
}

/**
 * The passes, in order, for one function.
 *
 * Assumes: a typed function whose only symbolic dimension is the batch dimension.
 * Guarantees: the same results, simplified (constants folded, identities applied, common
 * subexpressions merged, dead code removed), legalized to runnable ops, with elementwise
 * chains fused into kernels and every buffer planned once for the step.
 */
export function compileFunction(fn: IrFunction, batch: string): CompiledFunction {
  const ready = simplify(legalize(simplify(fn)));
  const schedule = fuse(ready);
  return { fn: ready, schedule, plan: planBuffers(schedule, batch), batch };
}

/** The name of the model's batch dimension: the first dimension of its first input. */
export function batchDimension(model: TypedModel): string {
  const first = model.inputs[0]?.type.shape[0];
  invariant(typeof first === "string", "the batch dimension is a name (checked when lowering)");
  return first;
}

/** Symbolic dimensions other than the batch dimension, which code generation cannot size. */
export function otherSymbolicDims(model: TypedModel): string[] {
  const batch = batchDimension(model);
  const found = new Set<string>();
  for (const type of model.types.values()) {
    for (const d of type.shape) if (batchMonomial(d, batch) === null) found.add(formatDim(d));
  }
  return [...found];
}
