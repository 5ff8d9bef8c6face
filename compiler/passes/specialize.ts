import type { FunctionKind, IrFunction } from "../ir/function.js";
import { substituteArgs, withResults } from "../ir/rewrite.js";
import type { AnyEqn, Operand, TypedModel } from "../ir/types.js";

/**
 * The function of a model for one purpose, with its mode decided.
 *
 * Assumes: a typed model; for `train` and `evaluate`, one with a loss.
 * Guarantees: no `select_train` and, outside training, no `dropout_mask` is left. Training
 * keeps the batch statistics of `select_train` and the dropout masks, and updates the
 * model's buffers (running statistics); evaluation and prediction take the running
 * statistics and replace every dropout mask by 1 (inverted dropout needs no rescaling at
 * evaluation). Prediction reads only the inputs and has no loss. Nothing is derived yet: no
 * gradients, state or scalars.
 */
export function specialize(model: TypedModel, kind: FunctionKind): IrFunction {
  const train = kind === "train";
  const replacements = new Map<string, Operand>();
  const eqns: AnyEqn[] = [];
  for (const original of model.eqns) {
    const eqn = substituteArgs(original, replacements);
    if (eqn.op === "select_train") {
      replacements.set(eqn.out, eqn.args[train ? 0 : 1]!);
    } else if (eqn.op === "dropout_mask" && !train) {
      replacements.set(eqn.out, { kind: "const", value: 1 });
    } else {
      eqns.push(eqn);
    }
  }
  const unspecialized: IrFunction = {
    kind,
    model,
    inputs: kind === "predict" ? model.inputs : [...model.inputs, ...model.targets],
    params: model.params,
    state: [],
    scalars: [],
    eqns: model.eqns,
    types: model.types,
    output: model.output,
    loss: kind === "predict" ? null : model.loss,
    gradients: new Map(),
    cotangents: new Map(),
    updates: train ? model.updates.map((u) => ({ target: u.buffer, value: u.value })) : [],
  };
  return withResults(unspecialized, eqns, replacements);
}
