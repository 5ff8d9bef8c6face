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

/**
 * The function with values renamed (`%22` -> `grad_dense_1.weight`): equations, types and every
 * result. Pure renaming: the same program, so nothing it computes changes.
 *
 * Assumes: each new name is unused in `fn` and names a value computed by one of its equations.
 */
export function renameValues(fn: IrFunction, names: ReadonlyMap<string, string>): IrFunction {
  if (names.size === 0) return fn;
  const rename = (name: string): string => names.get(name) ?? name;
  const operand = (o: Operand): Operand =>
    o.kind === "value" && names.has(o.name) ? { kind: "value", name: rename(o.name) } : o;
  return {
    ...fn,
    eqns: fn.eqns.map((e) => ({ ...e, out: rename(e.out), args: e.args.map(operand) }) as AnyEqn),
    types: new Map([...fn.types].map(([v, t]) => [rename(v), t] as const)),
    output: fn.output === null ? null : rename(fn.output),
    loss: fn.loss === null ? null : rename(fn.loss),
    gradients: new Map([...fn.gradients].map(([p, g]) => [p, rename(g)] as const)),
    cotangents: new Map([...fn.cotangents].map(([v, g]) => [rename(v), rename(g)] as const)),
    updates: fn.updates.map((u) => ({ target: rename(u.target), value: rename(u.value) })),
  };
}
