import type { IrAlgebra } from "../ir/builder.js";
import type { Eqn, Operand } from "../ir/types.js";
import type { GradEmitter, OpKind } from "./types.js";

/**
 * The algebra gradient rules are written in, so each reads as the maths:
 * `m.mul(g, m.sub(m.c(1), m.square(y)))` for d tanh. It is the IR builder's own algebra.
 */
export type GradMath = IrAlgebra;

export function gradMath(e: GradEmitter): GradMath {
  return e;
}

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
