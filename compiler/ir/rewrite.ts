import { invariant } from "../assert.js";
import { IrBuilder } from "./builder.js";
import type { IrFunction, Update } from "./function.js";
import type { AnyEqn, Operand, TensorType } from "./types.js";

/**
 * Rewriting a function's equations: a rewrite walks them once, replacing some results by
 * other operands (`replacements`), substituting into the equations after them, and finally
 * renaming the function's results with `withResults`.
 */

/** Replaces operands by value name (following chains), leaving others as they are. */
export function substitute(operand: Operand, replacements: ReadonlyMap<string, Operand>): Operand {
  let current = operand;
  for (let guard = 0; current.kind === "value" && replacements.has(current.name); guard++) {
    if (guard > 10_000) throw new Error("internal error: cyclic substitution");
    current = replacements.get(current.name)!;
  }
  return current;
}

/** The equation with every operand substituted (the same object when nothing changed). */
export function substituteArgs(eqn: AnyEqn, replacements: ReadonlyMap<string, Operand>): AnyEqn {
  if (replacements.size === 0) return eqn;
  let changed = false;
  const args = eqn.args.map((a) => {
    const b = substitute(a, replacements);
    if (b !== a) changed = true;
    return b;
  });
  return changed ? ({ ...eqn, args } as AnyEqn) : eqn;
}

/**
 * The function with new equations (typed by `types`, the function's own unless given) and
 * its results (output, loss, gradients, cotangents, updated values) renamed through
 * `replacements`, following chains. A result that became a constant is materialised in its
 * type, attributed to the model (results are always buffers).
 */
export function withResults(
  fn: IrFunction,
  eqns: readonly AnyEqn[],
  replacements: ReadonlyMap<string, Operand>,
  types: ReadonlyMap<string, TensorType> = fn.types,
): IrFunction {
  if (replacements.size === 0) return { ...fn, eqns, types };
  const builder = IrBuilder.typed(eqns, types);
  const m = builder.at({ origin: fn.model.span, callSites: [], layer: null });
  const resolve = (name: string): string => {
    const operand = substitute({ kind: "value", name }, replacements);
    if (operand.kind === "value") return operand.name;
    const shape = fn.types.get(name)?.shape;
    invariant(shape !== undefined, `result ${name} has no type`);
    return m.emit("broadcast_to", [operand], { shape }).name;
  };
  const output = fn.output === null ? null : resolve(fn.output);
  const loss = fn.loss === null ? null : resolve(fn.loss);
  const gradients = new Map([...fn.gradients].map(([p, g]) => [p, resolve(g)] as const));
  const cotangents = new Map([...fn.cotangents].map(([v, g]) => [v, resolve(g)] as const));
  const updates: Update[] = fn.updates.map((u) => ({ target: u.target, value: resolve(u.value) }));
  return {
    ...fn,
    eqns: builder.eqns,
    types: builder.types,
    output,
    loss,
    gradients,
    cotangents,
    updates,
  };
}
