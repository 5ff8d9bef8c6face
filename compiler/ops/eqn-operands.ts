import type { Eqn, Operand } from "../ir/types.js";
import type { OpKind } from "./types.js";

/** The `i`th operand of an equation (which the op's arity guarantees exists). */
export function arg<K extends OpKind>(eqn: Eqn<K>, i: number): Operand {
  const operand = eqn.args[i];
  if (!operand) throw new Error(`internal error: ${eqn.op} has no operand ${i}`);
  return operand;
}

/** The equation's result as an operand. */
export function result<K extends OpKind>(eqn: Eqn<K>): Operand {
  return { kind: "value", name: eqn.out };
}
