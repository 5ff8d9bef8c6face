import type { AnyEqn, Operand, TypedModel } from "../ir/types.js";
import { substituteArgs } from "./rewrite.js";

/**
 * The model's equations for one mode. Training keeps the batch statistics of `select_train`
 * and the dropout masks; evaluation takes the running statistics and replaces every dropout
 * mask by 1 (inverted dropout needs no rescaling at evaluation).
 */
export function specialize(
  model: TypedModel,
  mode: "train" | "evaluate",
): { readonly eqns: readonly AnyEqn[]; readonly replacements: ReadonlyMap<string, Operand> } {
  const replacements = new Map<string, Operand>();
  const eqns: AnyEqn[] = [];
  for (const original of model.eqns) {
    const eqn = substituteArgs(original, replacements);
    if (eqn.op === "select_train") {
      replacements.set(eqn.out, eqn.args[mode === "train" ? 0 : 1]!);
    } else if (eqn.op === "dropout_mask" && mode === "evaluate") {
      replacements.set(eqn.out, { kind: "const", value: 1 });
    } else {
      eqns.push(eqn);
    }
  }
  return { eqns, replacements };
}
