import { invariant } from "../assert.js";
import type { Dim, Shape, TensorType } from "../ir/types.js";
import { formatType, normalizeAxis } from "../shapes/dims.js";
import type { IrAlgebra } from "../ir/builder.js";
import type { Operand } from "../ir/types.js";
import { onlyAxes, resolveAxes } from "./axes.js";
import { requireFloat, requireRank } from "./checks.js";
import { arg, result } from "./eqn-operands.js";
import {
  type LibraryArgs,
  type LibraryContext,
  bufferOf,
  productOf,
  resultBuffer,
} from "./library.js";
import { type OpDef, type ReduceAttrs, type ShapeResult, fail, ok } from "./types.js";

/** Reductions over axes, and the softmax family (normalised along one axis). */

function reduceRule(op: string, args: readonly TensorType[], attrs: ReduceAttrs): ShapeResult {
  const x = args[0]!;
  const floatError = requireFloat(op, args);
  if (floatError) return floatError;
  const resolved = resolveAxes(attrs.axes, x.shape.length);
  if (!resolved.ok)
    return fail({ code: "E206", args: { what: op, axis: resolved.axis, shape: formatType(x) } });
  const reduced = new Set(resolved.axes);
  const shape: Dim[] = [];
  x.shape.forEach((d, i) => {
    if (!reduced.has(i)) shape.push(d);
    else if (attrs.keepdims) shape.push(1);
  });
  return ok({ dtype: "f32", shape });
}

function axisRule(op: string, args: readonly TensorType[], axis: number): ShapeResult {
  const x = args[0]!;
  const error = requireFloat(op, args) ?? requireRank(op, x, 1, "at least one dimension");
  if (error) return error;
  if (normalizeAxis(axis, x.shape.length) === null) {
    return fail({ code: "E206", args: { what: op, axis, shape: formatType(x) } });
  }
  return ok(x);
}

/**
 * A reduction's cotangent `g` (the reduced shape) spread back over the reduced axes of `x`:
 * first re-inserting them as size 1, then broadcasting.
 */
function spread(m: IrAlgebra, g: Operand, x: Operand, attrs: ReduceAttrs): Operand {
  const shape = m.typeOf(x).shape;
  const resolved = resolveAxes(attrs.axes, shape.length);
  if (!resolved.ok)
    throw new Error("internal error: reduction axes were checked by its shape rule");
  const reduced = new Set(resolved.axes);
  const kept = attrs.keepdims
    ? g
    : m.emit("reshape", [g], { shape: shape.map((d, i) => (reduced.has(i) ? 1 : d)) });
  return m.emit("broadcast_to", [kept], { shape });
}

/**
 * The call over the operand viewed as [outer, mid, inner], `mid` spanning its axes `first`
 * to `last`: x, y, outer, mid, inner.
 */
function middleAxesArgs(shape: Shape, first: number, last: number): LibraryArgs<"sum"> {
  return [
    bufferOf(0),
    resultBuffer,
    productOf(shape.slice(0, first)),
    productOf(shape.slice(first, last + 1)),
    productOf(shape.slice(last + 1)),
  ];
}

/** A reduction's call: its axes are contiguous, as legalize leaves them. */
function reductionArgs(attrs: ReduceAttrs, context: LibraryContext): LibraryArgs<"sum"> {
  const shape = context.shapes[0]!;
  const resolved = resolveAxes(attrs.axes, shape.length);
  invariant(resolved.ok && resolved.axes.length > 0, "reduction axes");
  return middleAxesArgs(shape, resolved.axes[0]!, resolved.axes.at(-1)!);
}

/** A softmax's call: normalised along its one axis. */
function axisArgs(axis: number, context: LibraryContext): LibraryArgs<"softmax"> {
  const shape = context.shapes[0]!;
  const index = normalizeAxis(axis, shape.length);
  invariant(index !== null, "softmax axis");
  return middleAxesArgs(shape, index, index);
}

export const reduceOps = {
  sum: {
    arity: 1,
    lowering: {
      kind: "library",
      method: "sum",
      args: (eqn, context) => reductionArgs(eqn.attrs, context),
    },
    summary: "sum over axes",
    shape: (args, attrs) => reduceRule("sum", args, attrs),
    // every summed element gets the cotangent of its sum
    grad: (m, eqn, g) => [spread(m, g, arg(eqn, 0), eqn.attrs)],
  },
  mean: {
    arity: 1,
    lowering: { kind: "legalized" },
    summary: "mean over axes",
    shape: (args, attrs) => reduceRule("mean", args, attrs),
    // d mean / dx_i = 1 / count
    grad: (m, eqn, g) => {
      const x = arg(eqn, 0);
      return [m.div(spread(m, g, x, eqn.attrs), m.count(x, eqn.attrs.axes))];
    },
  },
  max_over: {
    arity: 1,
    lowering: {
      kind: "library",
      method: "max",
      args: (eqn, context) => reductionArgs(eqn.attrs, context),
    },
    summary: "maximum over axes",
    shape: (args, attrs) => reduceRule("max_over", args, attrs),
    // the cotangent goes to the maxima, shared evenly among ties (PyTorch's amax)
    grad: (m, eqn, g) => {
      const x = arg(eqn, 0);
      const keep = { ...eqn.attrs, keepdims: true };
      const isMax = m.binary("eq", x, spread(m, result(eqn), x, eqn.attrs));
      const ties = m.sum(isMax, eqn.attrs.axes, true);
      return [m.mul(spread(m, g, x, eqn.attrs), m.div(isMax, spread(m, ties, x, keep)))];
    },
  },
  softmax: {
    arity: 1,
    lowering: {
      kind: "library",
      method: "softmax",
      args: (eqn, context) => axisArgs(eqn.attrs.axis, context),
    },
    summary: "e^x / sum(e^x) along an axis",
    shape: (args, attrs) => axisRule("softmax", args, attrs.axis),
    // dx = y * (g - sum(g * y))
    grad: (m, eqn, g) => {
      const y = result(eqn);
      return [m.mul(y, m.sub(g, m.sum(m.mul(g, y), onlyAxes(eqn.attrs.axis), true)))];
    },
  },
  log_softmax: {
    arity: 1,
    lowering: {
      kind: "library",
      method: "logSoftmax",
      args: (eqn, context) => axisArgs(eqn.attrs.axis, context),
    },
    summary: "x - log(sum(e^x)) along an axis",
    shape: (args, attrs) => axisRule("log_softmax", args, attrs.axis),
    // dx = g - e^y * sum(g)
    grad: (m, eqn, g) => {
      const y = result(eqn);
      return [m.sub(g, m.mul(m.unary("exp", y), m.sum(g, onlyAxes(eqn.attrs.axis), true)))];
    },
  },
} satisfies {
  readonly sum: OpDef<"sum">;
  readonly mean: OpDef<"mean">;
  readonly max_over: OpDef<"max_over">;
  readonly softmax: OpDef<"softmax">;
  readonly log_softmax: OpDef<"log_softmax">;
};
