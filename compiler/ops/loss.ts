import type { TensorType } from "../ir/types.js";
import { formatShape, formatType, shapesEqual } from "../shapes/dims.js";
import type { IrAlgebra } from "../ir/builder.js";
import type { Operand } from "../ir/types.js";
import { k } from "../kernel/index.js";
import type { ElementExpr } from "../kernel/types.js";
import { allAxes, exceptAxes, onlyAxes } from "./axes.js";
import { requireRank } from "./checks.js";
import { arg } from "./eqn-operands.js";
import {
  type CategoricalLossAttrs,
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
  posWeight?: readonly number[],
): ShapeResult {
  const [p, t] = args as [TensorType, TensorType];
  if (p.dtype !== "f32") return mismatch(loss, context, p, t, "; the output must be f32");
  const weightError = scalesRule(loss, "pos_weight", posWeight, p, true);
  if (weightError) return weightError;
  if (t.dtype !== "f32") {
    return mismatch(loss, context, p, t, `; ${loss} needs f32 targets, not integer class ids`);
  }
  return shapesEqual(p.shape, t.shape) ? ok(scalar) : mismatch(loss, context, p, t);
}

/** E220 unless `scales` has one number per element of `p`'s last axis (or `single` allows one). */
function scalesRule(
  loss: string,
  setting: string,
  scales: readonly number[] | undefined,
  p: TensorType,
  single: boolean,
): ShapeResult | null {
  if (scales === undefined || (single && scales.length === 1)) return null;
  const last = p.shape.at(-1);
  if (last === scales.length) return null;
  return fail({
    code: "E220",
    args: {
      loss,
      setting,
      count: scales.length,
      output: formatType(p),
      expected: typeof last === "number" ? `${last}${single ? " (or 1)" : ""}` : "a known number",
    },
  });
}

/** Probabilities (or logits) `[..., k]` against one-hot `[..., k]` or i32 class ids `[...]`. */
function categoricalRule(
  loss: string,
  args: readonly TensorType[],
  attrs: CategoricalLossAttrs,
  context: ShapeContext,
): ShapeResult {
  const [p, t] = args as [TensorType, TensorType];
  if (p.shape.length >= 1 && p.dtype === "f32") {
    const weightError = scalesRule(loss, "weight", attrs.weight, p, false);
    if (weightError) return weightError;
  }
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

/** `x [..., k]` times `scales[c]` along its last axis; one scale multiplies every element. */
export function scaleClasses(m: IrAlgebra, x: Operand, scales: readonly number[]): Operand {
  const first = scales[0]!;
  if (scales.every((s) => s === first)) return first === 1 ? x : m.mul(m.c(first), x);
  return m.emit("scale_classes", [x], { scales });
}

/**
 * What torch 1.13's cross_entropy weighs `log p` with, and what it divides the sum by (emitted
 * when called, so that callers keep their equations' order):
 * `-sum(q * log p) / divisor`, with `q = w * ((1 - eps) t + eps / k)` (t one-hot rows) and the
 * divisor `sum(w[y])` for weighted class ids (nll_loss's weighted mean, which the smoothing
 * term shares), else the number of rows (probability targets are never renormalised).
 */
export function weighedTargets(
  m: IrAlgebra,
  p: Operand,
  t: Operand,
  attrs: CategoricalLossAttrs,
): { readonly q: () => Operand; readonly divisor: () => Operand } {
  const oneHot = once(() => asOneHot(m, p, t));
  const classes = m.typeOf(p).shape.at(-1) as number;
  const eps = attrs.labelSmoothing ?? 0;
  const weight = attrs.weight;
  const q = once(() => {
    const smoothed =
      eps === 0 ? oneHot() : m.add(m.mul(m.c(1 - eps), oneHot()), m.c(eps / classes));
    return weight === undefined ? smoothed : scaleClasses(m, smoothed, weight);
  });
  const rows = () => m.count(p, exceptAxes(-1));
  const divisor =
    weight !== undefined && m.typeOf(t).dtype === "i32"
      ? () => m.sum(scaleClasses(m, oneHot(), weight), allAxes, false)
      : rows;
  return { q, divisor: once(divisor) };
}

/** `make()`'s value, made at the first call: an equation emitted once, where it is first needed. */
function once<T>(make: () => T): () => T {
  let made: { readonly value: T } | null = null;
  return () => (made ??= { value: make() }).value;
}

/** d loss / d t for probability targets: -(1 - eps) w log p / rows. */
function categoricalTargetGrad(
  m: IrAlgebra,
  g: Operand,
  logp: Operand,
  attrs: CategoricalLossAttrs,
): Operand {
  const rows = m.count(logp, exceptAxes(-1));
  const eps = attrs.labelSmoothing ?? 0;
  const weighed = attrs.weight === undefined ? logp : scaleClasses(m, logp, attrs.weight);
  const scaled = eps === 0 ? weighed : m.mul(m.c(1 - eps), weighed);
  return m.neg(m.div(m.mul(g, scaled), rows));
}

/** The constant `scales[c]` of class `c`, as a balanced tree of selects on `c`. */
function scaleOf(
  scales: readonly number[],
  c: ElementExpr,
  lo = 0,
  hi = scales.length,
): ElementExpr {
  if (hi - lo === 1) return k.c(scales[lo]!);
  const mid = (lo + hi) >> 1;
  return k.select(k.lt(c, k.c(mid)), scaleOf(scales, c, lo, mid), scaleOf(scales, c, mid, hi));
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
    summary: "-sum(q * log p) / divisor; q the targets weighed and smoothed (see weighedTargets)",
    shape: (args, attrs, c) => categoricalRule("cross_entropy", args, attrs, c),
    // d/dp = -q / (p divisor)
    grad: (m, eqn, g) => {
      const [p, t] = [arg(eqn, 0), arg(eqn, 1)];
      const { q, divisor } = weighedTargets(m, p, t, eqn.attrs);
      const d = divisor();
      const dp = m.neg(m.div(m.mul(g, q()), m.mul(p, d)));
      const dt =
        m.typeOf(t).dtype === "i32"
          ? null
          : categoricalTargetGrad(m, g, m.unary("log", p), eqn.attrs);
      return [dp, dt];
    },
  },
  binary_cross_entropy: {
    arity: 2,
    lowering: { kind: "legalized" },
    summary: "mean of -(w t log p + (1 - t) log(1 - p)); w the pos_weight (1 by default)",
    shape: (args, attrs, c) => sameShapeRule("binary_cross_entropy", args, c, attrs.posWeight),
    // d/dp = ((1 - t) p - w t (1 - p)) / (p (1 - p) N), the denominator kept above 1e-12 as
    // PyTorch does; d/dt = (log(1 - p) - w log p) / N
    grad: (m, eqn, g) => {
      const [p, t] = [arg(eqn, 0), arg(eqn, 1)];
      const n = m.count(p);
      const variance = m.binary("maximum", m.mul(p, m.sub(m.c(1), p)), m.c(1e-12));
      const posWeight = eqn.attrs.posWeight;
      const numerator =
        posWeight === undefined
          ? m.sub(p, t)
          : m.sub(
              m.mul(m.sub(m.c(1), t), p),
              m.mul(scaleClasses(m, t, posWeight), m.sub(m.c(1), p)),
            );
      const dp = m.div(m.mul(g, numerator), m.mul(variance, n));
      const logp = m.unary("log", p);
      const weighedLogp = posWeight === undefined ? logp : scaleClasses(m, logp, posWeight);
      const dt = m.div(m.mul(g, m.sub(m.unary("log", m.sub(m.c(1), p)), weighedLogp)), n);
      return [dp, dt];
    },
  },
  softmax_cross_entropy: {
    arity: 2,
    lowering: { kind: "legalized" },
    summary: "cross_entropy(softmax(z), t) computed stably from logits z (log-sum-exp)",
    shape: (args, attrs, c) => categoricalRule("cross_entropy", args, attrs, c),
    // the fused form: d/dz = (softmax(z) sum(q) - q) / divisor, which is (softmax(z) - t) / rows
    // for unweighed one-hot t (rows of q sum to 1 then)
    grad: (m, eqn, g) => {
      const [z, t] = [arg(eqn, 0), arg(eqn, 1)];
      const { q, divisor } = weighedTargets(m, z, t, eqn.attrs);
      const d = divisor();
      const probabilities = m.emit("softmax", [z], { axis: -1 });
      const rowsSumToOne = m.typeOf(t).dtype === "i32" && eqn.attrs.weight === undefined;
      const mass = rowsSumToOne
        ? probabilities
        : m.mul(probabilities, m.sum(q(), onlyAxes(-1), true));
      const dz = m.div(m.mul(g, m.sub(mass, q())), d);
      const dt =
        m.typeOf(t).dtype === "i32"
          ? null
          : categoricalTargetGrad(m, g, m.emit("log_softmax", [z], { axis: -1 }), eqn.attrs);
      return [dz, dt];
    },
  },
  sigmoid_binary_cross_entropy: {
    arity: 2,
    lowering: { kind: "legalized" },
    summary: "binary_cross_entropy(sigmoid(z), t) computed stably from logits z",
    shape: (args, attrs, c) => sameShapeRule("binary_cross_entropy", args, c, attrs.posWeight),
    // the fused form (BCEWithLogitsLoss): with l = 1 + (w - 1) t,
    // d/dz = ((1 - t) - l sigmoid(-z)) / N, which is (sigmoid(z) - t) / N for w = 1;
    // d/dt = (-z + (w - 1) softplus(-z)) / N
    grad: (m, eqn, g) => {
      const [z, t] = [arg(eqn, 0), arg(eqn, 1)];
      const n = m.count(z);
      const posWeight = eqn.attrs.posWeight;
      if (posWeight === undefined) {
        return [m.div(m.mul(g, m.sub(m.unary("sigmoid", z), t)), n), m.neg(m.div(m.mul(g, z), n))];
      }
      const excess = posWeight.map((w) => w - 1);
      const logWeight = m.add(m.c(1), scaleClasses(m, t, excess));
      const dz = m.sub(m.sub(m.c(1), t), m.mul(logWeight, m.unary("sigmoid", m.neg(z))));
      const softplusNeg = m.emit("softplus", [m.neg(z)], {});
      const dt = m.add(m.neg(z), scaleClasses(m, softplusNeg, excess));
      return [m.div(m.mul(g, dz), n), m.div(m.mul(g, dt), n)];
    },
  },
  scale_classes: {
    arity: 1,
    lowering: {
      kind: "elementwise",
      // x times the scale of its position along the last axis
      expr: (o, attrs) =>
        k.mul(o[0]!, scaleOf(attrs.scales, k.float(k.imod(k.element, k.int(attrs.scales.length))))),
    },
    summary: "x [..., k] times scales[c] along the last axis (class weights)",
    shape: ([x], attrs) => {
      const last = x!.shape.at(-1);
      if (x!.dtype !== "f32" || last !== attrs.scales.length) {
        return fail({
          code: "E205",
          args: {
            what: "scale_classes",
            detail: `expects f32[..., ${attrs.scales.length}], got ${formatType(x!)}`,
          },
        });
      }
      return ok(x!);
    },
    // linear in x: d/dx = scales along the last axis
    grad: (m, eqn, g) => [scaleClasses(m, g, eqn.attrs.scales)],
  },
} satisfies {
  readonly mse: OpDef<"mse">;
  readonly mae: OpDef<"mae">;
  readonly huber: OpDef<"huber">;
  readonly cross_entropy: OpDef<"cross_entropy">;
  readonly binary_cross_entropy: OpDef<"binary_cross_entropy">;
  readonly softmax_cross_entropy: OpDef<"softmax_cross_entropy">;
  readonly sigmoid_binary_cross_entropy: OpDef<"sigmoid_binary_cross_entropy">;
  readonly scale_classes: OpDef<"scale_classes">;
};
