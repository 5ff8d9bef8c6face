import { invariant } from "../assert.js";
import type { Dim, Shape, TensorType } from "../ir/types.js";
import { type IndexExpr, k } from "../kernel/index.js";
import {
  broadcastShapes,
  dimsEqual,
  divideDim,
  formatDim,
  formatShape,
  formatType,
  normalizeAxis,
  productDim,
  sumDim,
} from "../shapes/dims.js";
import { onlyAxes } from "./axes.js";
import { requireFloat, requireRank } from "./checks.js";
import { arg, result } from "./eqn-operands.js";
import {
  type GemmFlag,
  type LibraryArgs,
  type LibraryContext,
  bufferOf,
  literal,
  productOf,
  resultBuffer,
} from "./library.js";
import { type GradRule, type OpDef, type ShapeResult, fail, ok } from "./types.js";

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
      args: { left, right, detail: `inner dimensions ${formatDim(k)} and ${formatDim(kb)} differ` },
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
  const from = productDim(x.shape);
  const wildcard = target.indexOf(-1);
  const mismatch = (): ShapeResult =>
    fail({ code: "E207", args: { from: formatType(x), to: formatShape(target) } });
  if (wildcard < 0)
    return dimsEqual(from, productDim(target)) ? ok({ dtype: x.dtype, shape: target }) : mismatch();
  const size = divideDim(from, productDim(target.filter((d) => d !== -1)));
  if (size === null) return mismatch();
  return ok({ dtype: x.dtype, shape: target.map((d, i) => (i === wildcard ? size : d)) });
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
  if (!sameOthers) {
    const detail =
      a.shape.length === b.shape.length ? "the other dimensions differ" : "their ranks differ";
    return fail({
      code: "E208",
      args: { left: formatType(a), right: formatType(b), axis, detail },
    });
  }
  const da = a.shape[index]!;
  const db = b.shape[index]!;
  const joined = sumDim([da, db]);
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
  if (!dimsEqual(productDim(x.shape), productDim(like.shape))) {
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

/** Broadcasting made explicit: the operand stretched to `shape` (NumPy rules). */
function broadcastToRule(args: readonly TensorType[], shape: readonly Dim[]): ShapeResult {
  const x = args[0]!;
  const joined = broadcastShapes(x.shape, shape);
  if (
    !joined ||
    joined.length !== shape.length ||
    !joined.every((d, i) => dimsEqual(d, shape[i]!))
  ) {
    return fail({
      code: "E201",
      args: { verb: "broadcast", left: formatType(x), right: formatShape(shape) },
    });
  }
  return ok({ dtype: x.dtype, shape });
}

/** `size` consecutive entries of one axis from `start`. */
function sliceRule(args: readonly TensorType[], axis: number, size: Dim): ShapeResult {
  const x = args[0]!;
  const index = normalizeAxis(axis, x.shape.length);
  if (index === null)
    return fail({ code: "E206", args: { what: "slice", axis, shape: formatType(x) } });
  return ok({ dtype: x.dtype, shape: x.shape.map((d, i) => (i === index ? size : d)) });
}

/**
 * C = op(A) op(B): d op(A) = g op(B)^T and d op(B) = op(A)^T g, written with transpose flags
 * so no transpose is ever materialised. Leading (batch) axes that B was broadcast over are
 * summed away by the driver.
 */
const matmulGrad: GradRule<"matmul"> = (m, eqn, g) => {
  const a = arg(eqn, 0);
  const b = arg(eqn, 1);
  const { transA, transB } = eqn.attrs;
  const da = transA
    ? m.emit("matmul", [b, g], { transA: transB, transB: true })
    : m.emit("matmul", [g, b], { transA: false, transB: !transB });
  const db = transB
    ? m.emit("matmul", [g, a], { transA: true, transB: transA })
    : m.emit("matmul", [a, g], { transA: !transA, transB: false });
  return [da, db];
};

/** Maxout's cotangent goes to the maximum of each group, shared evenly among ties. */
const maxoutGrad: GradRule<"maxout"> = (m, eqn, g) => {
  const x = arg(eqn, 0);
  const shape = m.typeOf(x).shape;
  const lead = shape.slice(0, -1);
  const units = m.typeOf(result(eqn)).shape.at(-1)!;
  const grouped = m.emit("reshape", [x], { shape: [...lead, units, eqn.attrs.pieces] });
  const column = (v: typeof g) => m.emit("reshape", [v], { shape: [...lead, units, 1] });
  const isMax = m.binary("eq", grouped, column(result(eqn)));
  const share = m.div(isMax, m.sum(isMax, onlyAxes(-1), true));
  return [m.emit("reshape_as", [m.mul(column(g), share), x], {})];
};

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

/**
 * C = op(A) op(B) as one gemm: over A's rows of every leading axis stacked when B is one
 * matrix, else one product per matrix of the leading axes (a 2-D operand is reused for each:
 * stride 0).
 */
function gemmArgs(
  attrs: { readonly transA: boolean; readonly transB: boolean },
  { shapes, result: sc }: LibraryContext,
): LibraryArgs<"gemm"> {
  const [sa, sb] = shapes as [Shape, Shape];
  const { transA, transB } = attrs;
  const flags: GemmFlag[] = [];
  if (transA) flags.push("TRANS_A");
  if (transB) flags.push("TRANS_B");
  const k = transA ? sa.at(-2)! : sa.at(-1)!;
  const buffers = [bufferOf(0), bufferOf(1), resultBuffer] as const;
  if (sb.length === 2 && !transA) {
    return [
      ...buffers,
      productOf(sc.slice(0, -1)),
      productOf(sc.slice(-1)),
      productOf([k]),
      { kind: "flags", flags },
    ];
  }
  invariant(
    (sa.length === 2 || sa.length === sc.length) && (sb.length === 2 || sb.length === sc.length),
    "matmul operands with partly broadcast batch axes",
  );
  const stride = (shape: Shape) => (shape.length === 2 ? literal(0) : productOf(shape.slice(-2)));
  return [
    ...buffers,
    productOf(sc.slice(-2, -1)),
    productOf(sc.slice(-1)),
    productOf([k]),
    { kind: "flags", flags },
    productOf(sc.slice(0, -2)),
    stride(sa),
    stride(sb),
    productOf(sc.slice(-2)),
  ];
}

/**
 * The flat index `i` as (outer, within) over rows of `row` elements each, `rows` of them: with
 * one row, outer is 0 and within is `i`, without arithmetic.
 */
function rowsOf(rows: IndexExpr, row: IndexExpr): { outer: IndexExpr; within: IndexExpr } {
  return rows.kind === "int" && rows.value === 1
    ? { outer: k.int(0), within: k.element }
    : { outer: k.idiv(k.element, row), within: k.imod(k.element, row) };
}

export const linalgOps = {
  matmul: {
    arity: 2,
    lowering: {
      kind: "library",
      method: "gemm",
      args: (eqn, context) => gemmArgs(eqn.attrs, context),
    },
    summary: "matrix product over the last two axes (optionally transposed operands)",
    shape: (args, attrs) => matmulRule(args, attrs.transA, attrs.transB),
    grad: matmulGrad,
  },
  transpose: {
    arity: 1,
    lowering: {
      kind: "layout",
      // y[o, c, r] = x[o, r, c]: the element c * rows + r of plane o reads r * cols + c
      expr: (_attrs, { shapes, count }) => {
        const shape = shapes[0]!;
        const [rows, cols] = [count(shape.slice(-2, -1)), count(shape.slice(-1))];
        const plane = k.imul(rows, cols);
        const { outer, within } = rowsOf(count(shape.slice(0, -2)), plane);
        const [c, r] = [k.idiv(within, rows), k.imod(within, rows)];
        return k.load(0, k.iadd(k.imul(outer, plane), k.iadd(k.imul(r, cols), c)));
      },
    },
    summary: "swap the last two axes",
    shape: (args) => transposeRule(args),
    grad: (m, _eqn, g) => [m.emit("transpose", [g], {})],
  },
  reshape: {
    arity: 1,
    lowering: { kind: "view" },
    summary: "same elements, new shape",
    shape: (args, attrs) => reshapeRule(args, attrs.shape),
    grad: (m, eqn, g) => [m.emit("reshape_as", [g, arg(eqn, 0)], {})],
  },
  concat: {
    arity: 2,
    lowering: {
      kind: "layout",
      // y[o, :a] = a[o], y[o, a:] = b[o] over rows of the axis and those after it
      expr: ({ axis }, { shapes, count }) => {
        const [shapeA, shapeB] = [shapes[0]!, shapes[1]!];
        const at = normalizeAxis(axis, shapeA.length)!;
        const inner = count(shapeA.slice(at + 1));
        const lengthA = k.imul(count(shapeA.slice(at, at + 1)), inner);
        const lengthB = k.imul(count(shapeB.slice(at, at + 1)), inner);
        const { outer, within } = rowsOf(count(shapeA.slice(0, at)), k.iadd(lengthA, lengthB));
        return k.select(
          k.lt(k.float(within), k.float(lengthA)),
          k.load(0, k.iadd(k.imul(outer, lengthA), within)),
          k.load(1, k.iadd(k.imul(outer, lengthB), k.isub(within, lengthA))),
        );
      },
    },
    summary: "join along an axis",
    shape: (args, attrs) => concatRule(args, attrs.axis),
    // each operand gets its slice of the cotangent
    grad: (m, eqn, g) => {
      const a = arg(eqn, 0);
      const axis = eqn.attrs.axis;
      const rank = m.typeOf(a).shape.length;
      const index = normalizeAxis(axis, rank)!;
      const sizeA = m.typeOf(a).shape[index]!;
      const sizeB = m.typeOf(arg(eqn, 1)).shape[index]!;
      return [
        m.emit("slice", [g], { axis: index, start: 0, size: sizeA }),
        m.emit("slice", [g], { axis: index, start: sizeA, size: sizeB }),
      ];
    },
  },
  flatten: {
    arity: 1,
    lowering: { kind: "view" },
    summary: "join every axis after the batch axis",
    shape: (args) => flattenRule(args),
    grad: (m, eqn, g) => [m.emit("reshape_as", [g, arg(eqn, 0)], {})],
  },
  reshape_as: {
    arity: 2,
    lowering: { kind: "view" },
    summary: "the first operand's elements in the second operand's shape",
    shape: (args) => reshapeAsRule(args),
    grad: (m, eqn, g) => [m.emit("reshape_as", [g, arg(eqn, 0)], {}), null],
  },
  broadcast_to: {
    arity: 1,
    lowering: { kind: "elementwise", expr: (o) => o[0]! },
    summary: "the operand stretched to a shape (NumPy broadcasting)",
    shape: (args, attrs) => broadcastToRule(args, attrs.shape),
    // the driver sums the cotangent back to the operand's shape
    grad: (_m, _eqn, g) => [g],
  },
  slice: {
    arity: 1,
    lowering: {
      kind: "layout",
      // y[o, j, k] = x[o, start + j, k] over rows of the axis and those after it
      expr: ({ axis, start, size }, { shapes, count }) => {
        const shape = shapes[0]!;
        const at = normalizeAxis(axis, shape.length)!;
        const inner = count(shape.slice(at + 1));
        const { outer, within } = rowsOf(count(shape.slice(0, at)), k.imul(count([size]), inner));
        const from = k.imul(count(shape.slice(at, at + 1)), inner);
        return k.load(
          0,
          k.iadd(k.imul(outer, from), k.iadd(k.imul(count([start]), inner), within)),
        );
      },
    },
    summary: "consecutive entries of one axis",
    shape: (args, attrs) => sliceRule(args, attrs.axis, attrs.size),
    grad: null,
  },
  maxout: {
    arity: 1,
    lowering: { kind: "legalized" },
    summary: "maximum over each group of `pieces` consecutive features",
    shape: (args, attrs) => maxoutRule(args, attrs.pieces),
    grad: maxoutGrad,
  },
  one_hot: {
    arity: 1,
    lowering: {
      kind: "elementwise",
      // the class id of the element's row, compared with its column
      expr: (o, attrs) => k.eq(o[0]!, k.float(k.imod(k.element, k.int(attrs.classes)))),
      operandShape: (shape) => [...shape, 1],
    },
    summary: "class ids to one-hot rows",
    shape: (args, attrs) => oneHotRule(args, attrs.classes),
    grad: () => [null],
  },
} satisfies {
  readonly matmul: OpDef<"matmul">;
  readonly transpose: OpDef<"transpose">;
  readonly reshape: OpDef<"reshape">;
  readonly concat: OpDef<"concat">;
  readonly flatten: OpDef<"flatten">;
  readonly reshape_as: OpDef<"reshape_as">;
  readonly broadcast_to: OpDef<"broadcast_to">;
  readonly slice: OpDef<"slice">;
  readonly maxout: OpDef<"maxout">;
  readonly one_hot: OpDef<"one_hot">;
};
