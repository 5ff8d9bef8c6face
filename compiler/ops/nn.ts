import type { Dim, Shape, TensorType } from "../ir/types.js";
import { type IndexExpr, k } from "../kernel/index.js";
import {
  dimsEqual,
  formatDim,
  formatType,
  quotientDim,
  shapesEqual,
  sumDim,
} from "../shapes/dims.js";
import { resolveAxes } from "./axes.js";
import { requireFloat, requireRank } from "./checks.js";
import { arg } from "./eqn-operands.js";
import { type LibraryArgs, bufferOf, literal, productOf, resultBuffer } from "./library.js";
import {
  type AxisSet,
  type ElementContext,
  type OpDef,
  type Padding2d,
  type ShapeResult,
  fail,
  ok,
} from "./types.js";

/** Primitives that only layers use: convolution, pooling, dropout masks, train/eval selection. */

/** Output size of a sliding window: floor((n + pad - window) / stride) + 1; null if it would be empty. */
export function windowDim(n: Dim, window: number, stride: number, pad: number): Dim | null {
  const span = sumDim([n, pad - window]);
  if (typeof span === "number" && span < 0) return null;
  return sumDim([quotientDim(span, stride), 1]);
}

function conv2dRule(args: readonly TensorType[], stride: number, padding: Padding2d): ShapeResult {
  const [x, w] = args as [TensorType, TensorType];
  const error =
    requireFloat("conv2d", args) ?? requireRank("conv2d", x, 4, "[batch, channels, height, width]");
  if (error) return error;
  const weightError = requireRank("conv2d weight", w, 4, "[filters, channels, kh, kw]");
  if (weightError) return weightError;
  const [n, channels, h, wd] = x.shape as [Dim, Dim, Dim, Dim];
  const [filters, weightChannels, kh, kw] = w.shape as [Dim, Dim, number, number];
  if (!dimsEqual(channels, weightChannels)) {
    return fail({
      code: "E204",
      args: {
        what: "conv2d",
        expected: `an input with ${formatDim(weightChannels)} channels`,
        actual: formatType(x),
      },
    });
  }
  const oh = windowDim(h, kh, stride, padding.top + padding.bottom);
  const ow = windowDim(wd, kw, stride, padding.left + padding.right);
  if (oh === null || ow === null) {
    return fail({
      code: "E211",
      args: {
        what: "conv2d",
        detail: `a ${kh}x${kw} kernel does not fit in the ${formatDim(h)}x${formatDim(wd)} input ${formatType(x)}`,
      },
    });
  }
  return ok({ dtype: "f32", shape: [n, filters, oh, ow] });
}

function maxpoolRule(args: readonly TensorType[], size: number, stride: number): ShapeResult {
  const x = args[0]!;
  const error =
    requireFloat("maxpool2d", args) ??
    requireRank("maxpool2d", x, 4, "[batch, channels, height, width]");
  if (error) return error;
  const [n, c, h, w] = x.shape as [Dim, Dim, Dim, Dim];
  const oh = windowDim(h, size, stride, 0);
  const ow = windowDim(w, size, stride, 0);
  if (oh === null || ow === null) {
    return fail({
      code: "E211",
      args: {
        what: "maxpool2d",
        detail: `a ${size}x${size} window does not fit in the ${formatDim(h)}x${formatDim(w)} input ${formatType(x)}`,
      },
    });
  }
  return ok({ dtype: "f32", shape: [n, c, oh, ow] });
}

function selectTrainRule(args: readonly TensorType[]): ShapeResult {
  const [a, b] = args as [TensorType, TensorType];
  if (!shapesEqual(a.shape, b.shape)) {
    return fail({
      code: "E201",
      args: { verb: "select between", left: formatType(a), right: formatType(b) },
    });
  }
  return ok(a);
}

function sizeRule(args: readonly TensorType[], axes: AxisSet): ShapeResult {
  const x = args[0]!;
  const resolved = resolveAxes(axes, x.shape.length);
  if (!resolved.ok)
    return fail({
      code: "E206",
      args: { what: "size", axis: resolved.axis, shape: formatType(x) },
    });
  return ok({ dtype: "f32", shape: [] });
}

/** The number of elements over `axes` of the operand, as an expression of dimensions. */
function countOf(axes: AxisSet, context: ElementContext): IndexExpr {
  const shape = context.shapes[0]!;
  const resolved = resolveAxes(axes, shape.length);
  if (!resolved.ok) throw new Error("internal error: size axes were checked by its shape rule");
  return context.count(resolved.axes.map((a) => shape[a]!));
}

/** The gradient kernels' results have the shape of one of their operands (given for it). */
export function sameAs(index: number) {
  return (args: readonly TensorType[]): ShapeResult =>
    ok({ dtype: "f32", shape: args[index]!.shape });
}

/** The geometry of a convolution of x (NCHW) by w ([filters, channels, kh, kw]) into y. */
function convGeometry(
  x: Shape,
  w: Shape,
  y: Shape,
  attrs: { readonly stride: number; readonly padding: Padding2d },
): LibraryArgs<"conv2d">[3] {
  const dim = (d: Dim | undefined) => productOf([d!]);
  return {
    kind: "record",
    name: "conv",
    fields: {
      batch: dim(x[0]),
      channels: dim(x[1]),
      height: dim(x[2]),
      width: dim(x[3]),
      filters: dim(w[0]),
      kernelH: dim(w[2]),
      kernelW: dim(w[3]),
      stride: literal(attrs.stride),
      padTop: literal(attrs.padding.top),
      padLeft: literal(attrs.padding.left),
      outH: dim(y[2]),
      outW: dim(y[3]),
    },
  };
}

/** The geometry of max-pooling x (NCHW) into y. */
function poolGeometry(
  x: Shape,
  y: Shape,
  attrs: { readonly size: number; readonly stride: number },
): LibraryArgs<"maxpool2d">[2] {
  const dim = (d: Dim | undefined) => productOf([d!]);
  return {
    kind: "record",
    name: "pool",
    fields: {
      batch: dim(x[0]),
      channels: dim(x[1]),
      height: dim(x[2]),
      width: dim(x[3]),
      size: literal(attrs.size),
      stride: literal(attrs.stride),
      outH: dim(y[2]),
      outW: dim(y[3]),
    },
  };
}

export const nnOps = {
  conv2d: {
    arity: 2,
    lowering: {
      kind: "library",
      method: "conv2d",
      args: (eqn, { shapes, result }) => [
        bufferOf(0),
        bufferOf(1),
        resultBuffer,
        convGeometry(shapes[0]!, shapes[1]!, result, eqn.attrs),
      ],
    },
    summary: "2-D cross-correlation, NCHW input and [filters, channels, kh, kw] weight",
    shape: (args, attrs) => conv2dRule(args, attrs.stride, attrs.padding),
    // dx is the transposed convolution of g with w; dw correlates x with g
    grad: (m, eqn, g) => {
      const [x, w] = [arg(eqn, 0), arg(eqn, 1)];
      return [
        m.emit("conv2d_grad_input", [g, w, x], eqn.attrs),
        m.emit("conv2d_grad_weight", [x, g, w], eqn.attrs),
      ];
    },
  },
  conv2d_grad_input: {
    arity: 3,
    lowering: {
      kind: "library",
      method: "conv2dGradInput",
      args: (eqn, { shapes, result }) => [
        bufferOf(0),
        bufferOf(1),
        resultBuffer,
        convGeometry(result, shapes[1]!, shapes[0]!, eqn.attrs),
      ],
    },
    summary: "gradient of conv2d with respect to its input (g, weight, input for its shape)",
    shape: sameAs(2),
    grad: null,
  },
  conv2d_grad_weight: {
    arity: 3,
    lowering: {
      kind: "library",
      method: "conv2dGradWeight",
      args: (eqn, { shapes, result }) => [
        bufferOf(0),
        bufferOf(1),
        resultBuffer,
        convGeometry(shapes[0]!, result, shapes[1]!, eqn.attrs),
      ],
    },
    summary: "gradient of conv2d with respect to its weight (input, g, weight for its shape)",
    shape: sameAs(2),
    grad: null,
  },
  maxpool2d: {
    arity: 1,
    lowering: {
      kind: "library",
      method: "maxpool2d",
      args: (eqn, { shapes, result }) => [
        bufferOf(0),
        resultBuffer,
        poolGeometry(shapes[0]!, result, eqn.attrs),
      ],
    },
    summary: "maximum over size x size windows",
    shape: (args, attrs) => maxpoolRule(args, attrs.size, attrs.stride),
    grad: (m, eqn, g) => [m.emit("maxpool2d_grad", [arg(eqn, 0), g], eqn.attrs)],
  },
  maxpool2d_grad: {
    arity: 2,
    lowering: {
      kind: "library",
      method: "maxpool2dGrad",
      args: (eqn, { shapes }) => [
        bufferOf(0),
        bufferOf(1),
        resultBuffer,
        poolGeometry(shapes[0]!, shapes[1]!, eqn.attrs),
      ],
    },
    summary: "gradient of maxpool2d: g routed to the first maximum of each window",
    shape: sameAs(0),
    grad: null,
  },
  dropout_mask: {
    arity: 1,
    lowering: {
      kind: "library",
      method: "dropoutMask",
      args: (eqn, { result }) => [resultBuffer, productOf(result), literal(eqn.attrs.rate)],
    },
    summary: "training: 0 with probability rate, else 1 / (1 - rate); evaluation: 1",
    shape: (args) => ok({ dtype: "f32", shape: args[0]!.shape }),
    grad: () => [null],
  },
  select_train: {
    arity: 2,
    lowering: { kind: "legalized" },
    summary: "the first operand when training, the second when evaluating",
    shape: (args) => selectTrainRule(args),
    // only the training branch is ever differentiated
    grad: (_m, _eqn, g) => [g, null],
  },
  size: {
    arity: 1,
    lowering: {
      kind: "elementwise",
      // a count of elements, known from the dimensions: nothing is read
      expr: (_o, attrs, context) => k.float(countOf(attrs.axes, context)),
    },
    summary: "the number of elements over some axes at run time, as a scalar",
    shape: (args, attrs) => sizeRule(args, attrs.axes),
    grad: () => [null],
  },
} satisfies {
  readonly conv2d: OpDef<"conv2d">;
  readonly conv2d_grad_input: OpDef<"conv2d_grad_input">;
  readonly conv2d_grad_weight: OpDef<"conv2d_grad_weight">;
  readonly maxpool2d: OpDef<"maxpool2d">;
  readonly maxpool2d_grad: OpDef<"maxpool2d_grad">;
  readonly dropout_mask: OpDef<"dropout_mask">;
  readonly select_train: OpDef<"select_train">;
  readonly size: OpDef<"size">;
};
