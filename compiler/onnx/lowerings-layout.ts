import { resolveAxes } from "../ops/axes.js";
import type { AxisSet, OpKind } from "../ops.js";
import { normalizeAxis, productDim, sumDim } from "../shapes/dims.js";
import { invariant } from "../assert.js";
import type { OnnxGraph } from "./graph.js";
import { type OnnxEntry, onnxOp, swapLast } from "./lowering.js";

/**
 * ONNX lowerings of the reductions, the softmax family, matrix products and layout changes.
 * Shapes with the batch dimension in them (a reshape to `[batch, 12, 16]`, a slice's end) are
 * computed at run time from the batch input's shape (`OnnxGraph.shape`), so one graph serves
 * every batch size.
 */

/** The axes an AxisSet names for an operand of `rank` (checked by the op's shape rule). */
function axesOf(set: AxisSet, rank: number): readonly number[] {
  const resolved = resolveAxes(set, rank);
  invariant(resolved.ok, "reduction axes were checked by the shape rule");
  return resolved.axes;
}

/** ReduceSum/ReduceMax/ReduceMean: the axes are an input from opset 18 (13 for ReduceSum). */
function reduce(
  g: OnnxGraph,
  op: "ReduceSum" | "ReduceMax" | "ReduceMean",
  x: string,
  axes: readonly number[],
  keepdims: boolean,
): string {
  const keep = { keepdims: { int: keepdims ? 1 : 0 } };
  if (op === "ReduceSum" || g.opset >= 18) return g.node(op, [x, g.ints(axes)], keep);
  return g.node(op, [x], { ...keep, axes: { ints: axes } });
}

export const layoutLowerings = {
  sum: onnxOp((c) => {
    const axes = axesOf(c.eqn.attrs.axes, c.types[0]!.shape.length);
    return reduce(c.g, "ReduceSum", c.args[0]!, axes, c.eqn.attrs.keepdims);
  }),
  mean: onnxOp((c) => {
    const axes = axesOf(c.eqn.attrs.axes, c.types[0]!.shape.length);
    return reduce(c.g, "ReduceMean", c.args[0]!, axes, c.eqn.attrs.keepdims);
  }),
  max_over: onnxOp((c) => {
    const axes = axesOf(c.eqn.attrs.axes, c.types[0]!.shape.length);
    return reduce(c.g, "ReduceMax", c.args[0]!, axes, c.eqn.attrs.keepdims);
  }),
  softmax: onnxOp((c) => c.g.node("Softmax", c.args, { axis: { int: c.eqn.attrs.axis } })),
  log_softmax: onnxOp((c) => c.g.node("LogSoftmax", c.args, { axis: { int: c.eqn.attrs.axis } })),
  // op(A) op(B) over the last two axes; MatMul broadcasts the leading ones as nnc does
  matmul: onnxOp((c) => {
    const [a, b] = c.args as [string, string];
    // a dense layer's x W^T: Gemm reads the [out, in] weight as the checkpoint stores it
    if (c.types[0]!.shape.length === 2 && c.types[1]!.shape.length === 2)
      return c.g.node("Gemm", [a, b], {
        transA: { int: c.eqn.attrs.transA ? 1 : 0 },
        transB: { int: c.eqn.attrs.transB ? 1 : 0 },
      });
    const t = (x: string, rank: number, yes: boolean) =>
      yes ? c.g.node("Transpose", [x], { perm: { ints: swapLast(rank) } }) : x;
    return c.g.node("MatMul", [
      t(a, c.types[0]!.shape.length, c.eqn.attrs.transA),
      t(b, c.types[1]!.shape.length, c.eqn.attrs.transB),
    ]);
  }),
  transpose: onnxOp((c) =>
    c.g.node("Transpose", c.args, { perm: { ints: swapLast(c.types[0]!.shape.length) } }),
  ),
  reshape: onnxOp((c) => c.g.node("Reshape", [c.args[0]!, c.g.shape(c.eqn.attrs.shape)])),
  concat: onnxOp((c) => {
    const axis = normalizeAxis(c.eqn.attrs.axis, c.types[0]!.shape.length)!;
    return c.g.node("Concat", c.args, { axis: { int: axis } });
  }),
  // the id of each row compared with each class: out-of-range ids give a zero row, as in nnc
  one_hot: onnxOp((c) => {
    const classes = c.eqn.attrs.classes;
    const ids = c.g.cast(c.g.node("Unsqueeze", [c.args[0]!, c.g.ints([-1])]), "f32");
    const range = c.g.constant(
      Array.from({ length: classes }, (_, i) => i),
      [classes],
    );
    return c.g.cast(c.g.node("Equal", [ids, range]), "f32");
  }),
  flatten: onnxOp((c) => c.g.node("Flatten", c.args, { axis: { int: 1 } })),
  broadcast_to: onnxOp((c) => c.g.node("Expand", [c.args[0]!, c.g.shape(c.eqn.attrs.shape)])),
  slice: onnxOp((c) => {
    const { axis, start, size } = c.eqn.attrs;
    const at = normalizeAxis(axis, c.types[0]!.shape.length)!;
    return c.g.node("Slice", [
      c.args[0]!,
      c.g.dim(start),
      c.g.dim(sumDim([start, size])),
      c.g.ints([at]),
    ]);
  }),
  reshape_as: onnxOp((c) => c.g.node("Reshape", [c.args[0]!, c.g.node("Shape", [c.args[1]!])])),
  // the maximum of each group of `pieces` consecutive features
  maxout: onnxOp((c) => {
    const shape = c.types[0]!.shape;
    const pieces = c.eqn.attrs.pieces;
    const grouped = [...shape.slice(0, -1), c.result.shape.at(-1)!, pieces];
    const x = c.g.node("Reshape", [c.args[0]!, c.g.shape(grouped)]);
    return reduce(c.g, "ReduceMax", x, [grouped.length - 1], false);
  }),
  // the number of elements over some axes, as a float scalar
  size: onnxOp((c) => {
    const shape = c.types[0]!.shape;
    const axes = axesOf(c.eqn.attrs.axes, shape.length);
    const count = c.g.dim(productDim(axes.map((a) => shape[a]!)));
    return c.g.node("Reshape", [c.g.cast(count, "f32"), c.g.ints([])]);
  }),
  select_train: {
    kind: "cannot-export",
    reason: "the choice between training and evaluation is made before export",
  },
} satisfies {
  readonly [
    K in Extract<
      OpKind,
      | "sum"
      | "mean"
      | "max_over"
      | "softmax"
      | "log_softmax"
      | "matmul"
      | "transpose"
      | "reshape"
      | "concat"
      | "one_hot"
      | "flatten"
      | "broadcast_to"
      | "slice"
      | "reshape_as"
      | "maxout"
      | "size"
      | "select_train"
    >
  ]: OnnxEntry<K>;
};
