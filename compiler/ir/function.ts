import type { AnyEqn, TensorDecl, TensorType, TypedModel, TypedParam } from "./types.js";

/**
 * One straight-line program derived from a typed model for one purpose: a training step, an
 * evaluation (loss and output, no dropout, running statistics) or a prediction (output only).
 * Train and evaluation modes are already decided: no `select_train` is left.
 */
export type FunctionKind = "train" | "evaluate" | "predict";

/** A buffer the program owns between steps: optimizer state, or a scalar such as the step count. */
export interface StateDecl {
  readonly name: string;
  readonly shape: readonly number[];
  /** The parameter it belongs to (`dense_1.weight` for `dense_1.weight.exp_avg`), or null. */
  readonly param: string | null;
  /** Initial value of every element. */
  readonly init: number;
}

/** `target <- value` at the end of the step: parameters, their buffers and optimizer state. */
export interface Update {
  readonly target: string;
  readonly value: string;
}

export interface IrFunction {
  readonly kind: FunctionKind;
  readonly model: TypedModel;
  /** Data fed per step: the inputs, and the targets for train and evaluate. */
  readonly inputs: readonly TensorDecl[];
  readonly params: readonly TypedParam[];
  readonly state: readonly StateDecl[];
  /** Scalars set by the caller per step (the learning rate). */
  readonly scalars: readonly string[];
  readonly eqns: readonly AnyEqn[];
  readonly types: ReadonlyMap<string, TensorType>;
  readonly output: string | null;
  readonly loss: string | null;
  /** Trainable parameter -> the value of d loss / d parameter (train only). */
  readonly gradients: ReadonlyMap<string, string>;
  /** Forward value -> the value of d loss / d it (train only), for printing the derivation. */
  readonly cotangents: ReadonlyMap<string, string>;
  readonly updates: readonly Update[];
}
