import { type IrAlgebra, IrBuilder, provenanceOf } from "../ir/builder.js";
import type { IrFunction } from "../ir/function.js";
import { substituteArgs, withResults } from "../ir/rewrite.js";
import type { AnyEqn, Operand } from "../ir/types.js";
import { allAxes, onlyAxes, resolveAxes } from "../ops/axes.js";
import type { AxisSet } from "../ops.js";
import { scaleClasses, weighedTargets } from "../ops/loss.js";

/**
 * Rewrites a function into the ops the code generator knows how to run: elementwise ops
 * (fused later), contiguous reductions, and the library kernels. Losses become the sums
 * they are, `mean` a sum divided by a count, maxout a reshape and a max, and a reduction over
 * axes that are not next to each other a chain of contiguous ones. Gradients were derived
 * before this, from the losses' own rules, so the derivatives keep their textbook form.
 */
export function legalize(fn: IrFunction): IrFunction {
  const builder = IrBuilder.typed([], fn.types);
  const replacements = new Map<string, Operand>();
  for (const original of fn.eqns) {
    const eqn = substituteArgs(original, replacements);
    const replacement = rewrite(builder.at(provenanceOf(eqn)), eqn);
    if (replacement === null) builder.append(eqn);
    else replacements.set(eqn.out, replacement);
  }
  return withResults(fn, builder.eqns, replacements, builder.types);
}

/** The equations replacing `eqn`, as the value standing for its result; null to keep it. */
function rewrite(m: IrAlgebra, eqn: AnyEqn): Operand | null {
  const [x, y] = eqn.args;
  const meanAll = (v: Operand) => m.div(m.sum(v, allAxes, false), m.count(v));
  switch (eqn.op) {
    case "mean": {
      const sum = reduce(m, "sum", x!, eqn.attrs.axes, eqn.attrs.keepdims);
      return m.div(sum, m.count(x!, eqn.attrs.axes));
    }
    case "sum":
    case "max_over":
      return contiguous(m, x!, eqn.attrs.axes)
        ? null
        : reduce(m, eqn.op, x!, eqn.attrs.axes, eqn.attrs.keepdims);
    case "maxout": {
      const shape = m.typeOf(x!).shape;
      const units = m.typeOf({ kind: "value", name: eqn.out }).shape.at(-1)!;
      const grouped = m.emit("reshape", [x!], {
        shape: [...shape.slice(0, -1), units, eqn.attrs.pieces],
      });
      return m.emit("max_over", [grouped], { axes: onlyAxes(-1), keepdims: false });
    }
    case "mse":
      return meanAll(m.square(m.sub(x!, y!)));
    case "mae":
      return meanAll(m.unary("abs", m.sub(x!, y!)));
    case "huber": {
      // 0.5 d^2 where |d| < delta, else delta (|d| - delta / 2)
      const delta = eqn.attrs.delta;
      const d = m.sub(x!, y!);
      const a = m.unary("abs", d);
      const small = m.mul(m.c(0.5), m.square(d));
      const large = m.mul(m.c(delta), m.sub(a, m.c(0.5 * delta)));
      return meanAll(m.where(m.binary("lt", a, m.c(delta)), small, large));
    }
    case "cross_entropy":
    case "softmax_cross_entropy": {
      const fromLogits = eqn.op === "softmax_cross_entropy";
      const logSoftmax = fromLogits ? m.emit("log_softmax", [x!], { axis: -1 }) : null;
      const { q, divisor } = weighedTargets(m, x!, y!, eqn.attrs);
      const weighed = q();
      const logp = logSoftmax ?? m.unary("log", x!);
      return m.div(m.neg(m.sum(m.mul(weighed, logp), allAxes, false)), divisor());
    }
    case "binary_cross_entropy": {
      // PyTorch clamps each log at -100 so that p = 0 or 1 gives a finite loss.
      const clampedLog = (v: Operand) => m.binary("maximum", m.unary("log", v), m.c(-100));
      const one = (v: Operand) => m.sub(m.c(1), v);
      const weighed = eqn.attrs.posWeight ? scaleClasses(m, y!, eqn.attrs.posWeight) : y!;
      const terms = m.add(m.mul(weighed, clampedLog(x!)), m.mul(one(y!), clampedLog(one(x!))));
      return m.neg(meanAll(terms));
    }
    case "sigmoid_binary_cross_entropy": {
      const posWeight = eqn.attrs.posWeight;
      if (posWeight === undefined) {
        // max(z, 0) - z t + log(1 + e^-|z|): log-sum-exp form, exact and stable for any z
        const stable = m.add(
          m.sub(m.unary("relu", x!), m.mul(x!, y!)),
          m.unary("log1p", m.unary("exp", m.neg(m.unary("abs", x!)))),
        );
        return meanAll(stable);
      }
      // BCEWithLogitsLoss: (1 - t) z + l (log(1 + e^-|z|) + max(-z, 0)), l = 1 + (w - 1) t
      const logWeight = m.add(
        m.c(1),
        scaleClasses(
          m,
          y!,
          posWeight.map((w) => w - 1),
        ),
      );
      const softplusNeg = m.add(
        m.unary("log1p", m.unary("exp", m.neg(m.unary("abs", x!)))),
        m.unary("relu", m.neg(x!)),
      );
      return meanAll(m.add(m.mul(m.sub(m.c(1), y!), x!), m.mul(logWeight, softplusNeg)));
    }
    default:
      return null;
  }
}

/** True when the reduced axes are next to each other (one [outer, mid, inner] reduction). */
function contiguous(m: IrAlgebra, x: Operand, axes: AxisSet): boolean {
  const resolved = resolveAxes(axes, m.typeOf(x).shape.length);
  if (!resolved.ok) return false;
  const list = resolved.axes;
  return list.every((a, i) => i === 0 || a === list[i - 1]! + 1);
}

/** A reduction as one contiguous reduction per run of adjacent axes, innermost first. */
function reduce(
  m: IrAlgebra,
  op: "sum" | "max_over",
  x: Operand,
  axes: AxisSet,
  keepdims: boolean,
): Operand {
  const shape = m.typeOf(x).shape;
  const resolved = resolveAxes(axes, shape.length);
  if (!resolved.ok)
    throw new Error("internal error: reduction axes were checked by its shape rule");
  const runs: number[][] = [];
  for (const axis of resolved.axes) {
    const run = runs.at(-1);
    if (run && run.at(-1)! + 1 === axis) run.push(axis);
    else runs.push([axis]);
  }
  let current = x;
  for (const run of [...runs].reverse()) {
    current = m.emit(op, [current], { axes: onlyAxes(...run), keepdims: true });
  }
  if (keepdims) return current;
  const reduced = new Set(resolved.axes);
  return m.emit("reshape", [current], { shape: shape.filter((_, i) => !reduced.has(i)) });
}
