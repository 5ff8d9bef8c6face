import type { Dim, Shape, TensorType } from "../ir/types.js";
import { formatDim, formatType } from "../shapes/dims.js";
import { requireFloat, requireRank } from "./checks.js";
import { arg } from "./eqn-operands.js";
import { type LibraryArgs, bufferOf, literal, productOf, resultBuffer } from "./library.js";
import { sameAs, windowDim } from "./nn.js";
import { type AvgPoolAttrs, type OpDef, type ShapeResult, fail, ok } from "./types.js";

/**
 * Average pooling as torch.nn.AvgPool2d with its defaults (count_include_pad=True, floor
 * mode): window (oh, ow) of the zero-padded plane covers padded rows oh*stride .. + size and
 * columns ow*stride .. + size, and its mean divides by size^2 whatever part lies in the
 * padding. Both directions are Backend kernels (`avgpool2d`, `avgpool2dGrad`).
 */

function avgpoolRule(args: readonly TensorType[], a: AvgPoolAttrs): ShapeResult {
  const x = args[0]!;
  const error =
    requireFloat("avgpool2d", args) ??
    requireRank("avgpool2d", x, 4, "[batch, channels, height, width]");
  if (error) return error;
  const [n, c, h, w] = x.shape as [Dim, Dim, Dim, Dim];
  const oh = windowDim(h, a.size, a.stride, 2 * a.padding);
  const ow = windowDim(w, a.size, a.stride, 2 * a.padding);
  if (oh === null || ow === null) {
    const padded = a.padding > 0 ? ` padded by ${a.padding}` : "";
    return fail({
      code: "E211",
      args: {
        what: "avgpool2d",
        detail: `a ${a.size}x${a.size} window does not fit in the ${formatDim(h)}x${formatDim(w)} input ${formatType(x)}${padded}`,
      },
    });
  }
  return ok({ dtype: "f32", shape: [n, c, oh, ow] });
}

/** The geometry of average-pooling x (NCHW) into y. */
function poolGeometry(x: Shape, y: Shape, a: AvgPoolAttrs): LibraryArgs<"avgpool2d">[2] {
  const dim = (d: Dim | undefined) => productOf([d!]);
  return {
    kind: "record",
    name: "pool",
    fields: {
      batch: dim(x[0]),
      channels: dim(x[1]),
      height: dim(x[2]),
      width: dim(x[3]),
      size: literal(a.size),
      stride: literal(a.stride),
      padding: literal(a.padding),
      outH: dim(y[2]),
      outW: dim(y[3]),
    },
  };
}

export const avgpoolOps = {
  avgpool2d: {
    arity: 1,
    lowering: {
      kind: "library",
      method: "avgpool2d",
      args: (eqn, { shapes, result }) => [
        bufferOf(0),
        resultBuffer,
        poolGeometry(shapes[0]!, result, eqn.attrs),
      ],
    },
    summary: "mean over size x size windows, zero padding counted (torch's AvgPool2d)",
    shape: (args, attrs) => avgpoolRule(args, attrs),
    // linear: each window's cotangent is spread evenly over the window
    grad: (m, eqn, g) => [m.emit("avgpool2d_grad", [g, arg(eqn, 0)], eqn.attrs)],
  },
  avgpool2d_grad: {
    arity: 2,
    lowering: {
      kind: "library",
      method: "avgpool2dGrad",
      args: (eqn, { shapes, result }) => [
        bufferOf(0),
        resultBuffer,
        poolGeometry(result, shapes[0]!, eqn.attrs),
      ],
    },
    summary:
      "gradient of avgpool2d: each window's g / size^2 to its elements (g, input for its shape)",
    shape: sameAs(1),
    grad: null,
  },
} satisfies {
  readonly avgpool2d: OpDef<"avgpool2d">;
  readonly avgpool2d_grad: OpDef<"avgpool2d_grad">;
};
