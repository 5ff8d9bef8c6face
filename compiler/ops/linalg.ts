import type { Dim, TensorType } from "../ir/types.js";
import {
  broadcastShapes,
  countsEqual,
  dimsEqual,
  elementCount,
  formatShape,
  formatType,
  normalizeAxis,
  productDim,
} from "../shapes/dims.js";
import { requireFloat, requireRank } from "./checks.js";
import { type OpDef, type ShapeResult, fail, ok } from "./types.js";

/** Matrix products and layout changes. */

function matmulRule(args: readonly TensorType[], transA: boolean, transB: boolean): ShapeResult {
  const [a, b] = args as [TensorType, TensorType];
  const error = requireFloat("matmul", args);
  if (error) return error;
  if (a.shape.length < 2 || b.shape.length < 2) {
    return fail({
      code: "E202",
      args: {
        left: formatType(a),
        right: formatType(b),
        detail: "both need at least two dimensions",
      },
    });
  }
  const rowsA = a.shape.length - 2;
  const [n, k] = transA
    ? [a.shape[rowsA + 1]!, a.shape[rowsA]!]
    : [a.shape[rowsA]!, a.shape[rowsA + 1]!];
  const rowsB = b.shape.length - 2;
  const [kb, m] = transB
    ? [b.shape[rowsB + 1]!, b.shape[rowsB]!]
    : [b.shape[rowsB]!, b.shape[rowsB + 1]!];
  const left = formatType(a) + (transA ? "^T" : "");
  const right = formatType(b) + (transB ? "^T" : "");
  if (!dimsEqual(k, kb)) {
    return fail({
      code: "E202",
      args: { left, right, detail: `inner dimensions ${k} and ${kb} differ` },
    });
  }
  const batch = broadcastShapes(a.shape.slice(0, rowsA), b.shape.slice(0, rowsB));
  if (!batch)
    return fail({
      code: "E202",
      args: { left, right, detail: "their leading dimensions do not broadcast" },
    });
  return ok({ dtype: "f32", shape: [...batch, n, m] });
}

function transposeRule(args: readonly TensorType[]): ShapeResult {
  const x = args[0]!;
  const error = requireRank("transpose", x, 2, "at least two dimensions");
  if (error) return error;
  const r = x.shape.length;
  return ok({
    dtype: x.dtype,
    shape: [...x.shape.slice(0, r - 2), x.shape[r - 1]!, x.shape[r - 2]!],
  });
}

/** `-1` in the target shape stands for whatever size keeps the element count. */
function reshapeRule(args: readonly TensorType[], target: readonly Dim[]): ShapeResult {
  const x = args[0]!;
  const from = elementCount(x.shape);
  const wildcard = target.indexOf(-1);
  const rest = target.filter((d) => d !== -1);
  const mismatch = (): ShapeResult =>
    fail({ code: "E207", args: { from: formatType(x), to: formatShape(target) } });
  if (wildcard < 0)
    return countsEqual(from, elementCount(target))
      ? ok({ dtype: x.dtype, shape: target })
      : mismatch();
  const known = elementCount(rest);
  const symbols = [...from.symbols];
  for (const s of known.symbols) {
    const at = symbols.indexOf(s);
    if (at < 0) return mismatch();
    symbols.splice(at, 1);
  }
  if (known.known === 0 || from.known % known.known !== 0) return mismatch();
  const factor = from.known / known.known;
  const shape = [...target];
  shape[wildcard] =
    symbols.length === 0 ? factor : [...(factor === 1 ? [] : [factor]), ...symbols].join("*");
  return ok({ dtype: x.dtype, shape });
}

function concatRule(args: readonly TensorType[], axis: number): ShapeResult {
  const [a, b] = args as [TensorType, TensorType];
  const error = requireFloat("concat", args);
  if (error) return error;
  const index = normalizeAxis(axis, a.shape.length);
  if (index === null)
    return fail({ code: "E206", args: { what: "concat", axis, shape: formatType(a) } });
  const sameOthers =
    a.shape.length === b.shape.length &&
    a.shape.every((d, i) => i === index || dimsEqual(d, b.shape[i]!));
  if (!sameOthers)
    return fail({ code: "E208", args: { left: formatType(a), right: formatType(b), axis } });
  const da = a.shape[index]!;
  const db = b.shape[index]!;
  const joined: Dim = typeof da === "number" && typeof db === "number" ? da + db : `${da}+${db}`;
  return ok({ dtype: "f32", shape: a.shape.map((d, i) => (i === index ? joined : d)) });
}

/** `[d0, d1, ...]` to `[d0, d1 * ...]`: every axis after the first (the batch axis) joined. */
function flattenRule(args: readonly TensorType[]): ShapeResult {
  const x = args[0]!;
  const error = requireRank("flatten", x, 2, "[batch, ...]");
  if (error) return error;
  return ok({ dtype: x.dtype, shape: [x.shape[0]!, productDim(x.shape.slice(1))] });
}

/** The first operand's elements in the second operand's shape. */
function reshapeAsRule(args: readonly TensorType[]): ShapeResult {
  const [x, like] = args as [TensorType, TensorType];
  if (!countsEqual(elementCount(x.shape), elementCount(like.shape))) {
    return fail({ code: "E207", args: { from: formatType(x), to: formatShape(like.shape) } });
  }
  return ok({ dtype: x.dtype, shape: like.shape });
}

/** `[..., units * pieces]` to `[..., units]`: the maximum of each run of `pieces` features. */
function maxoutRule(args: readonly TensorType[], pieces: number): ShapeResult {
  const x = args[0]!;
  const error =
    requireFloat("maxout", args) ?? requireRank("maxout", x, 1, "[..., units * pieces]");
  if (error) return error;
  const last = x.shape[x.shape.length - 1]!;
  if (typeof last !== "number" || last % pieces !== 0) {
    return fail({
      code: "E204",
      args: {
        what: "maxout",
        expected: `a last dimension divisible by ${pieces}`,
        actual: formatType(x),
      },
    });
  }
  return ok({ dtype: "f32", shape: [...x.shape.slice(0, -1), last / pieces] });
}

function oneHotRule(args: readonly TensorType[], classes: number): ShapeResult {
  const ids = args[0]!;
  if (ids.dtype !== "i32") {
    return fail({
      code: "E205",
      args: { what: "one_hot", detail: `expects i32 class ids, got ${formatType(ids)}` },
    });
  }
  return ok({ dtype: "f32", shape: [...ids.shape, classes] });
}

export const linalgOps = {
  matmul: {
    arity: 2,
    summary: "matrix product over the last two axes (optionally transposed operands)",
    shape: (args, attrs) => matmulRule(args, attrs.transA, attrs.transB),
  },
  transpose: { arity: 1, summary: "swap the last two axes", shape: (args) => transposeRule(args) },
  reshape: {
    arity: 1,
    summary: "same elements, new shape",
    shape: (args, attrs) => reshapeRule(args, attrs.shape),
  },
  concat: {
    arity: 2,
    summary: "join along an axis",
    shape: (args, attrs) => concatRule(args, attrs.axis),
  },
  flatten: {
    arity: 1,
    summary: "join every axis after the batch axis",
    shape: (args) => flattenRule(args),
  },
  reshape_as: {
    arity: 2,
    summary: "the first operand's elements in the second operand's shape",
    shape: (args) => reshapeAsRule(args),
  },
  maxout: {
    arity: 1,
    summary: "maximum over each group of `pieces` consecutive features",
    shape: (args, attrs) => maxoutRule(args, attrs.pieces),
  },
  one_hot: {
    arity: 1,
    summary: "class ids to one-hot rows",
    shape: (args, attrs) => oneHotRule(args, attrs.classes),
  },
} satisfies {
  readonly matmul: OpDef<"matmul">;
  readonly transpose: OpDef<"transpose">;
  readonly reshape: OpDef<"reshape">;
  readonly concat: OpDef<"concat">;
  readonly flatten: OpDef<"flatten">;
  readonly reshape_as: OpDef<"reshape_as">;
  readonly maxout: OpDef<"maxout">;
  readonly one_hot: OpDef<"one_hot">;
};
