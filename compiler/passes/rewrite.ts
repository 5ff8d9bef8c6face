import type { AnyEqn, Operand } from "../ir/types.js";

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

/** Values read by the equations. */
export function usesOf(eqns: readonly AnyEqn[]): Map<string, number> {
  const uses = new Map<string, number>();
  for (const e of eqns) {
    for (const a of e.args) if (a.kind === "value") uses.set(a.name, (uses.get(a.name) ?? 0) + 1);
  }
  return uses;
}
