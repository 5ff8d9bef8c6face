import type { Dim, TensorType } from "../ir/types.js";
import { formatType, normalizeAxis } from "../shapes/dims.js";
import { resolveAxes } from "./axes.js";
import { requireFloat, requireRank } from "./checks.js";
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

export const reduceOps = {
  sum: {
    arity: 1,
    summary: "sum over axes",
    shape: (args, attrs) => reduceRule("sum", args, attrs),
  },
  mean: {
    arity: 1,
    summary: "mean over axes",
    shape: (args, attrs) => reduceRule("mean", args, attrs),
  },
  max_over: {
    arity: 1,
    summary: "maximum over axes",
    shape: (args, attrs) => reduceRule("max_over", args, attrs),
  },
  softmax: {
    arity: 1,
    summary: "e^x / sum(e^x) along an axis",
    shape: (args, attrs) => axisRule("softmax", args, attrs.axis),
  },
  log_softmax: {
    arity: 1,
    summary: "x - log(sum(e^x)) along an axis",
    shape: (args, attrs) => axisRule("log_softmax", args, attrs.axis),
  },
} satisfies {
  readonly sum: OpDef<"sum">;
  readonly mean: OpDef<"mean">;
  readonly max_over: OpDef<"max_over">;
  readonly softmax: OpDef<"softmax">;
  readonly log_softmax: OpDef<"log_softmax">;
};
