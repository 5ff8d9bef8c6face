import type { Dim, Shape, TensorType } from "../ir/types.js";
import { dimsEqual, formatDim, formatType } from "../shapes/dims.js";
import { requireFloat } from "./checks.js";
import { arg } from "./eqn-operands.js";
import { type LibraryArgs, bufferOf, literal, productOf, resultBuffer } from "./library.js";
import { sameAs, windowDim } from "./nn.js";
import { type OpDef, type Padding1d, type ShapeResult, fail, ok } from "./types.js";

/**
 * 1-D convolution as torch.nn.Conv1d: input `[batch, channels, length]`, weight
 * `[filters, channels, k]`. It runs as the 2-D convolution of images one row high: `[b, c, l]`
 * and `[b, c, 1, l]` (and `[f, c, k]`, `[f, c, 1, k]`) are the same elements in the same order,
 * so the backends' conv2d kernels serve unchanged, with a geometry of height 1, a 1-row kernel
 * and no padding above or below (the stride then moves along the length only: one output row).
 */

function conv1dRule(args: readonly TensorType[], stride: number, padding: Padding1d): ShapeResult {
  const [x, w] = args as [TensorType, TensorType];
  const error = requireFloat("conv1d", args) ?? exactRank("conv1d", x, "[batch, channels, length]");
  if (error) return error;
  const weightError = exactRank("conv1d weight", w, "[filters, channels, k]");
  if (weightError) return weightError;
  const [n, channels, length] = x.shape as [Dim, Dim, Dim];
  const [filters, weightChannels, kernel] = w.shape as [Dim, Dim, number];
  if (!dimsEqual(channels, weightChannels)) {
    return fail({
      code: "E204",
      args: {
        what: "conv1d",
        expected: `an input with ${formatDim(weightChannels)} channels`,
        actual: formatType(x),
      },
    });
  }
  const out = windowDim(length, kernel, stride, padding.left + padding.right);
  if (out === null) {
    return fail({
      code: "E211",
      args: {
        what: "conv1d",
        detail: `a kernel of ${kernel} does not fit in the length ${formatDim(length)} of the input ${formatType(x)}`,
      },
    });
  }
  return ok({ dtype: "f32", shape: [n, filters, out] });
}

/** E204 unless `type` has rank 3 (requireRank bounds it from below only). */
function exactRank(what: string, type: TensorType, form: string): ShapeResult | null {
  if (type.shape.length === 3) return null;
  return fail({ code: "E204", args: { what, expected: form, actual: formatType(type) } });
}

/** The conv2d geometry of a convolution of x `[n, c, l]` by w `[f, c, k]` into y `[n, f, o]`. */
function rowGeometry(
  x: Shape,
  w: Shape,
  y: Shape,
  attrs: { readonly stride: number; readonly padding: Padding1d },
): LibraryArgs<"conv2d">[3] {
  const dim = (d: Dim | undefined) => productOf([d!]);
  return {
    kind: "record",
    name: "conv",
    fields: {
      batch: dim(x[0]),
      channels: dim(x[1]),
      height: literal(1),
      width: dim(x[2]),
      filters: dim(w[0]),
      kernelH: literal(1),
      kernelW: dim(w[2]),
      stride: literal(attrs.stride),
      padTop: literal(0),
      padLeft: literal(attrs.padding.left),
      outH: literal(1),
      outW: dim(y[2]),
    },
  };
}

export const conv1dOps = {
  conv1d: {
    arity: 2,
    lowering: {
      kind: "library",
      method: "conv2d",
      args: (eqn, { shapes, result }) => [
        bufferOf(0),
        bufferOf(1),
        resultBuffer,
        rowGeometry(shapes[0]!, shapes[1]!, result, eqn.attrs),
      ],
    },
    summary:
      "1-D cross-correlation, [batch, channels, length] input and [filters, channels, k] weight",
    shape: (args, attrs) => conv1dRule(args, attrs.stride, attrs.padding),
    // as conv2d's: dx is the transposed convolution of g with w; dw correlates x with g
    grad: (m, eqn, g) => {
      const [x, w] = [arg(eqn, 0), arg(eqn, 1)];
      return [
        m.emit("conv1d_grad_input", [g, w, x], eqn.attrs),
        m.emit("conv1d_grad_weight", [x, g, w], eqn.attrs),
      ];
    },
  },
  conv1d_grad_input: {
    arity: 3,
    lowering: {
      kind: "library",
      method: "conv2dGradInput",
      args: (eqn, { shapes, result }) => [
        bufferOf(0),
        bufferOf(1),
        resultBuffer,
        rowGeometry(result, shapes[1]!, shapes[0]!, eqn.attrs),
      ],
    },
    summary: "gradient of conv1d with respect to its input (g, weight, input for its shape)",
    shape: sameAs(2),
    grad: null,
  },
  conv1d_grad_weight: {
    arity: 3,
    lowering: {
      kind: "library",
      method: "conv2dGradWeight",
      args: (eqn, { shapes, result }) => [
        bufferOf(0),
        bufferOf(1),
        resultBuffer,
        rowGeometry(shapes[0]!, result, shapes[1]!, eqn.attrs),
      ],
    },
    summary: "gradient of conv1d with respect to its weight (input, g, weight for its shape)",
    shape: sameAs(2),
    grad: null,
  },
} satisfies {
  readonly conv1d: OpDef<"conv1d">;
  readonly conv1d_grad_input: OpDef<"conv1d_grad_input">;
  readonly conv1d_grad_weight: OpDef<"conv1d_grad_weight">;
};
