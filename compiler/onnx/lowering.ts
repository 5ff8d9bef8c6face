import type { Eqn, TensorType } from "../ir/types.js";
import type { OpKind } from "../ops.js";
import type { OnnxGraph } from "./graph.js";

/** What a lowering sees of one equation: its ONNX operands, their types and its result's. */
export interface LoweringContext<K extends OpKind> {
  readonly g: OnnxGraph;
  readonly eqn: Eqn<K>;
  /** The ONNX value of each operand (inline constants already made initializers). */
  readonly args: readonly string[];
  readonly types: readonly TensorType[];
  readonly result: TensorType;
}

/** How one op becomes ONNX nodes: appends them to the graph and returns the result's name. */
export interface OnnxLowering<K extends OpKind> {
  readonly kind: "onnx";
  readonly lower: (c: LoweringContext<K>) => string;
}

/**
 * An op no prediction graph holds (gradients, training-only masks, ops the passes rewrite
 * before any function is exported): exporting one is the located error E221 with `reason`.
 */
export interface CannotExport {
  readonly kind: "cannot-export";
  readonly reason: string;
}

export type OnnxEntry<K extends OpKind> = OnnxLowering<K> | CannotExport;

/** The table's type: one entry per op, so a new op without one is a type error. */
export type OnnxTable = { readonly [K in OpKind]: OnnxEntry<K> };

/** A lowering from its function. */
export function onnxOp<K extends OpKind>(
  lower: (c: LoweringContext<K>) => string,
): OnnxLowering<K> {
  return { kind: "onnx", lower };
}

/** One ONNX op applied to the operands as they are (same broadcasting and element types). */
export function direct<K extends OpKind>(op: string): OnnxLowering<K> {
  return onnxOp((c) => c.g.node(op, c.args));
}

/** A comparison (ONNX gives booleans) as 0/1 of the result's element type. */
export function compare<K extends OpKind>(op: string, negate = false): OnnxLowering<K> {
  return onnxOp((c) => {
    const bool = c.g.node(op, c.args);
    return c.g.cast(negate ? c.g.node("Not", [bool]) : bool, c.result.dtype);
  });
}

export const onlyInGradients: CannotExport = {
  kind: "cannot-export",
  reason: "it only appears in derivatives, never in a prediction",
};

export const rewrittenBefore: CannotExport = {
  kind: "cannot-export",
  reason: "the compiler rewrites it into elementwise ops and sums before a function is exported",
};

export const trainingOnly: CannotExport = {
  kind: "cannot-export",
  reason: "it belongs to training; a prediction has none",
};

/** The permutation swapping the last two of `rank` axes. */
export function swapLast(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return perm;
}
