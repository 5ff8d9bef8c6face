import type { TensorType } from "../ir/types.js";
import { formatShape, formatType, shapesEqual } from "../shapes/dims.js";
import type { IrAlgebra } from "../ir/builder.js";
import type { Operand } from "../ir/types.js";
import { exceptAxes, onlyAxes } from "./axes.js";
import { requireRank } from "./checks.js";
import { arg } from "./eqn-operands.js";
import {
  type GradRule,
  type OpDef,
  type ShapeContext,
  type ShapeResult,
  fail,
  ok,
} from "./types.js";

/**
 * Losses as primitives, so that their targets are checked against the output and their
 * derivatives read as the textbook ones. Each reduces to a scalar with a mean.
 */

const scalar: TensorType = { dtype: "f32", shape: [] };

const isName = (name: string | null | undefined): name is string =>
  name !== null && name !== undefined && /^[A-Za-z_]\w*$/.test(name);

/** `target y [batch, 1]`; a computed prediction is `output [batch, 3]`, a named one `x [batch, 3]`. */
function describeOperands(
  context: ShapeContext,
  p: TensorType,
  t: TensorType,
): { output: string; target: string } {
  const [pName, tName] = context.operandNames;
  return {
    output: `${isName(pName) ? pName : "output"} ${formatType(p)}`,
    target: `target ${isName(tName) ? `${tName} ` : ""}${formatType(t)}`,
  };
}

function mismatch(
  loss: string,
  context: ShapeContext,
  p: TensorType,
  t: TensorType,
  detail = "",
): ShapeResult {
  // Class ids first and a float tensor second: most likely written the wrong way round.
  const swapped = p.dtype === "i32" && t.dtype === "f32";
  const pName = context.operandNames[0];
  const because = swapped
    ? `; are the arguments swapped? The prediction comes first: ${loss}(output, ${isName(pName) ? pName : "y"})`
    : detail;
  return fail({
    code: "E203",
    args: { loss, ...describeOperands(context, p, t), detail: because },
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
  if (p.dtype !== "f32") return mismatch(loss, context, p, t);
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

/** `t` as one-hot rows like `p` when it holds class ids, else `t` itself. */
function asOneHot(m: IrAlgebra, p: Operand, t: Operand): Operand {
  if (m.typeOf(t).dtype !== "i32") return t;
  const classes = m.typeOf(p).shape.at(-1);
  if (typeof classes !== "number") throw new Error("internal error: class count must be a number");
  return m.emit("one_hot", [t], { classes });
}

/** A same-shape loss's rule from d loss / d p = g * dPerElement(p, t) / N; d / dt = -d / dp. */
function meanLossGrad<K extends "mse" | "mae" | "huber">(
  perElement: (m: IrAlgebra, d: Operand, attrs: { delta?: number }) => Operand,
): GradRule<K> {
  return (m, eqn, g) => {
    const p = arg(eqn, 0);
    const d = m.sub(p, arg(eqn, 1));
    const dp = m.div(m.mul(g, perElement(m, d, eqn.attrs as { delta?: number })), m.count(p));
    return [dp, m.neg(dp)];
  };
}

export const lossOps = {
  mse: {
    arity: 2,
    lowering: { kind: "legalized" },
    summary: "mean of (p - t)^2",
    shape: (args, _, c) => sameShapeRule("mse", args, c),
    // d/dp mean((p - t)^2) = 2 (p - t) / N
    grad: meanLossGrad((m, d) => m.mul(m.c(2), d)),
  },
  mae: {
    arity: 2,
    lowering: { kind: "legalized" },
    summary: "mean of |p - t|",
    shape: (args, _, c) => sameShapeRule("mae", args, c),
    // d/dp mean(|p - t|) = sign(p - t) / N
    grad: meanLossGrad((m, d) => m.unary("sign", d)),
  },
  huber: {
    arity: 2,
    lowering: { kind: "legalized" },
    summary: "mean of 0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta); d = p - t",
    shape: (args, _, c) => sameShapeRule("huber", args, c),
    // d/dd huber = d inside [-delta, delta], delta sign(d) outside: clip(d, -delta, delta)
    grad: meanLossGrad((m, d, attrs) => m.clip(d, m.c(-(attrs.delta ?? 1)), m.c(attrs.delta ?? 1))),
  },
  cross_entropy: {
    arity: 2,
    lowering: { kind: "legalized" },
    summary: "mean over the batch of -sum(t * log p)",
    shape: (args, _, c) => categoricalRule("cross_entropy", args, c),
    // d/dp = -t / (p rows)
    grad: (m, eqn, g) => {
      const [p, t] = [arg(eqn, 0), arg(eqn, 1)];
      const rows = m.count(p, exceptAxes(-1));
      const dp = m.neg(m.div(m.mul(g, asOneHot(m, p, t)), m.mul(p, rows)));
      const dt =
        m.typeOf(t).dtype === "i32" ? null : m.neg(m.div(m.mul(g, m.unary("log", p)), rows));
      return [dp, dt];
    },
  },
  binary_cross_entropy: {
    arity: 2,
    lowering: { kind: "legalized" },
    summary: "mean of -(t log p + (1 - t) log(1 - p))",
    shape: (args, _, c) => sameShapeRule("binary_cross_entropy", args, c),
    // d/dp = (p - t) / (p (1 - p) N), the denominator kept above 1e-12 as PyTorch does
    grad: (m, eqn, g) => {
      const [p, t] = [arg(eqn, 0), arg(eqn, 1)];
      const n = m.count(p);
      const variance = m.binary("maximum", m.mul(p, m.sub(m.c(1), p)), m.c(1e-12));
      const dp = m.div(m.mul(g, m.sub(p, t)), m.mul(variance, n));
      const dt = m.div(m.mul(g, m.sub(m.unary("log", m.sub(m.c(1), p)), m.unary("log", p))), n);
      return [dp, dt];
    },
  },
  softmax_cross_entropy: {
    arity: 2,
    lowering: { kind: "legalized" },
    summary: "cross_entropy(softmax(z), t) computed stably from logits z (log-sum-exp)",
    shape: (args, _, c) => categoricalRule("cross_entropy", args, c),
    // the fused form: d/dz = (softmax(z) - t) / rows for one-hot t
    grad: (m, eqn, g) => {
      const [z, t] = [arg(eqn, 0), arg(eqn, 1)];
      const rows = m.count(z, exceptAxes(-1));
      const probabilities = m.emit("softmax", [z], { axis: -1 });
      // With soft labels whose rows do not sum to 1: d/dz = (softmax(z) sum(t) - t) / rows
      const labels = asOneHot(m, z, t);
      const mass =
        m.typeOf(t).dtype === "i32"
          ? probabilities
          : m.mul(probabilities, m.sum(labels, onlyAxes(-1), true));
      const dz = m.div(m.mul(g, m.sub(mass, labels)), rows);
      const logp = m.emit("log_softmax", [z], { axis: -1 });
      const dt = m.typeOf(t).dtype === "i32" ? null : m.neg(m.div(m.mul(g, logp), rows));
      return [dz, dt];
    },
  },
  sigmoid_binary_cross_entropy: {
    arity: 2,
    lowering: { kind: "legalized" },
    summary: "binary_cross_entropy(sigmoid(z), t) computed stably from logits z",
    shape: (args, _, c) => sameShapeRule("binary_cross_entropy", args, c),
    // the fused form: d/dz = (sigmoid(z) - t) / N
    grad: (m, eqn, g) => {
      const [z, t] = [arg(eqn, 0), arg(eqn, 1)];
      const n = m.count(z);
      return [m.div(m.mul(g, m.sub(m.unary("sigmoid", z), t)), n), m.neg(m.div(m.mul(g, z), n))];
    },
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
