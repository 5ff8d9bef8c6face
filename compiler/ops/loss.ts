import type { TensorType } from "../ir/types.js";
import { formatShape, formatType, shapesEqual } from "../shapes/dims.js";
import { requireRank } from "./checks.js";
import { type OpDef, type ShapeContext, type ShapeResult, fail, ok } from "./types.js";

/**
 * Losses as primitives, so that their targets are checked against the output and their
 * derivatives read as the textbook ones. Each reduces to a scalar with a mean.
 */

const scalar: TensorType = { dtype: "f32", shape: [] };

function targetLabel(context: ShapeContext, type: TensorType): string {
  const name = context.operandNames[1];
  const named = name !== null && name !== undefined && /^[A-Za-z_]\w*$/.test(name);
  return named ? `${name} ${formatType(type)}` : formatType(type);
}

function mismatch(
  loss: string,
  context: ShapeContext,
  p: TensorType,
  t: TensorType,
  detail = "",
): ShapeResult {
  return fail({
    code: "E203",
    args: { loss, output: formatType(p), target: targetLabel(context, t), detail },
  });
}

/** Prediction and target of the same shape, both f32. */
function sameShapeRule(
  loss: string,
  args: readonly TensorType[],
  context: ShapeContext,
): ShapeResult {
  const [p, t] = args as [TensorType, TensorType];
  if (p.dtype !== "f32") return mismatch(loss, context, p, t, "; the output must be f32");
  if (t.dtype !== "f32") {
    return mismatch(loss, context, p, t, `; ${loss} needs f32 targets, not integer class ids`);
  }
  return shapesEqual(p.shape, t.shape) ? ok(scalar) : mismatch(loss, context, p, t);
}

/** Probabilities (or logits) `[..., k]` against one-hot `[..., k]` or i32 class ids `[...]`. */
function categoricalRule(
  loss: string,
  args: readonly TensorType[],
  context: ShapeContext,
): ShapeResult {
  const [p, t] = args as [TensorType, TensorType];
  const rankError = requireRank(loss, p, 1, "[batch, classes]");
  if (rankError) return rankError;
  if (t.dtype === "i32") {
    const ids = p.shape.slice(0, -1);
    return shapesEqual(ids, t.shape)
      ? ok(scalar)
      : mismatch(
          loss,
          context,
          p,
          t,
          `; class ids for this output need shape i32${formatShape(ids)}`,
        );
  }
  return shapesEqual(p.shape, t.shape)
    ? ok(scalar)
    : mismatch(loss, context, p, t, "; one-hot targets need the output's shape");
}

export const lossOps = {
  mse: {
    arity: 2,
    summary: "mean of (p - t)^2",
    shape: (args, _, c) => sameShapeRule("mse", args, c),
  },
  mae: {
    arity: 2,
    summary: "mean of |p - t|",
    shape: (args, _, c) => sameShapeRule("mae", args, c),
  },
  huber: {
    arity: 2,
    summary: "mean of 0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta); d = p - t",
    shape: (args, _, c) => sameShapeRule("huber", args, c),
  },
  cross_entropy: {
    arity: 2,
    summary: "mean over the batch of -sum(t * log p)",
    shape: (args, _, c) => categoricalRule("cross_entropy", args, c),
  },
  binary_cross_entropy: {
    arity: 2,
    summary: "mean of -(t log p + (1 - t) log(1 - p))",
    shape: (args, _, c) => sameShapeRule("binary_cross_entropy", args, c),
  },
  softmax_cross_entropy: {
    arity: 2,
    summary: "cross_entropy(softmax(z), t) computed stably from logits z (log-sum-exp)",
    shape: (args, _, c) => categoricalRule("cross_entropy", args, c),
  },
  sigmoid_binary_cross_entropy: {
    arity: 2,
    summary: "binary_cross_entropy(sigmoid(z), t) computed stably from logits z",
    shape: (args, _, c) => sameShapeRule("binary_cross_entropy", args, c),
  },
} satisfies {
  readonly mse: OpDef<"mse">;
  readonly mae: OpDef<"mae">;
  readonly huber: OpDef<"huber">;
  readonly cross_entropy: OpDef<"cross_entropy">;
  readonly binary_cross_entropy: OpDef<"binary_cross_entropy">;
  readonly softmax_cross_entropy: OpDef<"softmax_cross_entropy">;
  readonly sigmoid_binary_cross_entropy: OpDef<"sigmoid_binary_cross_entropy">;
};
