import { TypedEmitter } from "../grad/emitter.js";
import type { IrFunction } from "../ir/function.js";
import type { AnyEqn, Operand } from "../ir/types.js";
import { allAxes, exceptAxes, onlyAxes, resolveAxes } from "../ops/axes.js";
import type { AxisSet } from "../ops.js";
import { substitute, substituteArgs } from "./rewrite.js";

/**
 * Rewrites a function into the ops the code generator knows how to run: elementwise ops
 * (fused later), contiguous reductions, and the library kernels. Losses become the sums
 * they are, `mean` a sum divided by a count, maxout a reshape and a max, and a reduction over
 * axes that are not next to each other a chain of contiguous ones. Gradients were derived
 * before this, from the losses' own rules, so the derivatives keep their textbook form.
 */
export function legalize(fn: IrFunction): IrFunction {
  const emitter = new TypedEmitter([], fn.types, {
    origin: fn.model.span,
    callSites: [],
    layer: null,
  });
  const replacements = new Map<string, Operand>();
  for (const original of fn.eqns) {
    const eqn = substituteArgs(original, replacements);
    emitter.provenance = { origin: eqn.origin, callSites: eqn.callSites, layer: eqn.layer };
    const replacement = rewrite(emitter, eqn);
    if (replacement === null) emitter.eqns.push(eqn);
    else replacements.set(eqn.out, replacement);
  }
  const resolve = (name: string): string =>
    (substitute({ kind: "value", name }, replacements) as { name: string }).name;
  return {
    ...fn,
    eqns: emitter.eqns,
    types: emitter.types,
    output: fn.output === null ? null : resolve(fn.output),
    loss: fn.loss === null ? null : resolve(fn.loss),
    gradients: new Map([...fn.gradients].map(([p, g]) => [p, resolve(g)])),
    cotangents: new Map([...fn.cotangents].map(([v, g]) => [v, resolve(g)])),
    updates: fn.updates.map((u) => ({ target: u.target, value: resolve(u.value) })),
  };
}

const c = (value: number): Operand => ({ kind: "const", value });

/** The equations replacing `eqn`, as the value standing for its result; null to keep it. */
function rewrite(e: TypedEmitter, eqn: AnyEqn): Operand | null {
  const u = (op: "neg" | "log" | "abs" | "square" | "exp" | "log1p" | "relu", a: Operand) =>
    e.emit(op, [a], {});
  const b = (op: "add" | "sub" | "mul" | "div" | "maximum" | "lt", x: Operand, y: Operand) =>
    e.emit(op, [x, y], {});
  const [x, y] = eqn.args;
  const total = (v: Operand) => e.emit("sum", [v], { axes: allAxes, keepdims: false });
  const meanAll = (v: Operand) => b("div", total(v), e.emit("size", [v], { axes: allAxes }));
  // rows of a categorical loss: every axis but the classes
  const rows = (v: Operand) => e.emit("size", [v], { axes: exceptAxes(-1) });
  const oneHot = (p: Operand, t: Operand): Operand => {
    if (e.typeOf(t).dtype !== "i32") return t;
    const classes = e.typeOf(p).shape.at(-1) as number;
    return e.emit("one_hot", [t], { classes });
  };
  switch (eqn.op) {
    case "mean": {
      const sum = reduce(e, "sum", x!, eqn.attrs.axes, eqn.attrs.keepdims);
      return b("div", sum, e.emit("size", [x!], { axes: eqn.attrs.axes }));
    }
    case "sum":
    case "max_over":
      return contiguous(e, eqn.op, x!, eqn.attrs.axes)
        ? null
        : reduce(e, eqn.op, x!, eqn.attrs.axes, eqn.attrs.keepdims);
    case "maxout": {
      const shape = e.typeOf(x!).shape;
      const units = e.typeOf({ kind: "value", name: eqn.out }).shape.at(-1)!;
      const grouped = e.emit("reshape", [x!], {
        shape: [...shape.slice(0, -1), units, eqn.attrs.pieces],
      });
      return e.emit("max_over", [grouped], { axes: onlyAxes(-1), keepdims: false });
    }
    case "mse":
      return meanAll(u("square", b("sub", x!, y!)));
    case "mae":
      return meanAll(u("abs", b("sub", x!, y!)));
    case "huber": {
      // 0.5 d^2 where |d| < delta, else delta (|d| - delta / 2)
      const delta = eqn.attrs.delta;
      const d = b("sub", x!, y!);
      const a = u("abs", d);
      const small = b("mul", c(0.5), u("square", d));
      const large = b("mul", c(delta), b("sub", a, c(0.5 * delta)));
      return meanAll(e.emit("where", [b("lt", a, c(delta)), small, large], {}));
    }
    case "cross_entropy":
      return b("div", u("neg", total(b("mul", oneHot(x!, y!), u("log", x!)))), rows(x!));
    case "softmax_cross_entropy": {
      const logp = e.emit("log_softmax", [x!], { axis: -1 });
      return b("div", u("neg", total(b("mul", oneHot(x!, y!), logp))), rows(x!));
    }
    case "binary_cross_entropy": {
      // PyTorch clamps each log at -100 so that p = 0 or 1 gives a finite loss.
      const clampedLog = (v: Operand) => b("maximum", u("log", v), c(-100));
      const one = (v: Operand) => b("sub", c(1), v);
      const terms = b("add", b("mul", y!, clampedLog(x!)), b("mul", one(y!), clampedLog(one(x!))));
      return u("neg", meanAll(terms));
    }
    case "sigmoid_binary_cross_entropy": {
      // max(z, 0) - z t + log(1 + e^-|z|): log-sum-exp form, exact and stable for any z
      const stable = b(
        "add",
        b("sub", u("relu", x!), b("mul", x!, y!)),
        u("log1p", u("exp", u("neg", u("abs", x!)))),
      );
      return meanAll(stable);
    }
    default:
      return null;
  }
}

/** True when the reduced axes are next to each other (one [outer, mid, inner] reduction). */
function contiguous(e: TypedEmitter, _op: string, x: Operand, axes: AxisSet): boolean {
  const resolved = resolveAxes(axes, e.typeOf(x).shape.length);
  if (!resolved.ok) return false;
  const list = resolved.axes;
  return list.every((a, i) => i === 0 || a === list[i - 1]! + 1);
}

/** A reduction as one contiguous reduction per run of adjacent axes, innermost first. */
function reduce(
  e: TypedEmitter,
  op: "sum" | "max_over",
  x: Operand,
  axes: AxisSet,
  keepdims: boolean,
): Operand {
  const shape = e.typeOf(x).shape;
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
    current = e.emit(op, [current], { axes: onlyAxes(...run), keepdims: true });
  }
  if (keepdims) return current;
  const reduced = new Set(resolved.axes);
  return e.emit("reshape", [current], { shape: shape.filter((_, i) => !reduced.has(i)) });
}
