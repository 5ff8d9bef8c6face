import type { IrFunction } from "../ir/function.js";
import { substituteArgs, withResults } from "../ir/rewrite.js";
import type { AnyEqn, Operand, Shape, TensorType } from "../ir/types.js";
import { evaluateOp } from "../ops/evaluate.js";
import { shapesEqual } from "../shapes/dims.js";

/**
 * Simplifies a function without changing what it computes: folds constants, applies algebraic
 * identities that keep shapes (x * 1, x + 0, -(-x), x ^ 2 -> square x, no-op reshapes and
 * broadcasts), merges repeated computations (common subexpressions) and removes equations
 * nothing needs (dead code). Random ops are never merged.
 */
export function simplify(fn: IrFunction): IrFunction {
  let current = fn;
  for (let round = 0; round < 4; round++) {
    const next = deadCode(commonSubexpressions(algebra(current)));
    const settled = next.eqns.length === current.eqns.length;
    current = next;
    if (settled) break;
  }
  return current;
}

type Rewrite = (eqn: AnyEqn, type: (o: Operand) => TensorType) => Operand | AnyEqn | null;

const isConst = (o: Operand | undefined, value?: number): boolean =>
  o?.kind === "const" && (value === undefined || o.value === value);

/** An equation whose result is one of its operands, a constant, or a cheaper equation. */
const identities: Rewrite = (eqn, type) => {
  const [a, b] = eqn.args;
  const out = { dtype: "f32" as const, shape: [] as const };
  const keeps = (o: Operand | undefined): boolean =>
    o !== undefined && shapesEqual(type(o).shape, resultShape(eqn, type, out));
  if (eqn.args.every((x) => x.kind === "const")) {
    const values = eqn.args.map((x) => (x as { value: number }).value);
    const folded = evaluateOp(eqn.op, eqn.attrs, values);
    if (folded !== null) return { kind: "const", value: folded };
  }
  switch (eqn.op) {
    case "mul":
      if (isConst(b, 1) && keeps(a)) return a!;
      if (isConst(a, 1) && keeps(b)) return b!;
      return null;
    case "add":
      if (isConst(b, 0) && keeps(a)) return a!;
      if (isConst(a, 0) && keeps(b)) return b!;
      return null;
    case "sub":
      return isConst(b, 0) && keeps(a) ? a! : null;
    case "div":
      return isConst(b, 1) && keeps(a) ? a! : null;
    case "pow":
      return isConst(b, 2) ? { ...eqn, op: "square", args: [a!], attrs: {} } : null;
    case "broadcast_to":
      return keeps(a) ? a! : null;
    case "reshape":
    case "reshape_as":
    case "flatten":
      if (keeps(a)) return a!;
      // A constant has no buffer to view: fill one of the result's shape instead.
      return a?.kind === "const"
        ? ({
            ...eqn,
            op: "broadcast_to",
            args: [a],
            attrs: { shape: resultShape(eqn, type, out) },
          } as AnyEqn)
        : null;
    default:
      return null;
  }
};

function resultShape(eqn: AnyEqn, type: (o: Operand) => TensorType, fallback: TensorType): Shape {
  return (type({ kind: "value", name: eqn.out }) ?? fallback).shape;
}

/** Applies `identities` everywhere, substituting results that became an operand or constant. */
function algebra(fn: IrFunction): IrFunction {
  const replacements = new Map<string, Operand>();
  const type = (o: Operand): TensorType =>
    o.kind === "const"
      ? { dtype: "f32", shape: [] }
      : (fn.types.get(o.name) ?? { dtype: "f32", shape: [] });
  const eqns: AnyEqn[] = [];
  for (const original of fn.eqns) {
    const eqn = substituteArgs(original, replacements);
    const rewritten = identities(eqn, type);
    if (rewritten === null) eqns.push(eqn);
    else if ("op" in rewritten) eqns.push(rewritten);
    else replacements.set(eqn.out, rewritten);
  }
  return withResults(fn, eqns, replacements);
}

/** Later copies of an equation (same op, operands and attributes) read the first one's value. */
function commonSubexpressions(fn: IrFunction): IrFunction {
  const replacements = new Map<string, Operand>();
  const seen = new Map<string, string>();
  const eqns: AnyEqn[] = [];
  for (const original of fn.eqns) {
    const eqn = substituteArgs(original, replacements);
    if (eqn.op === "dropout_mask") {
      eqns.push(eqn);
      continue;
    }
    const key = `${eqn.op}(${eqn.args.map((a) => (a.kind === "value" ? a.name : `#${a.value}`)).join(",")})${JSON.stringify(eqn.attrs)}`;
    const earlier = seen.get(key);
    if (earlier !== undefined) replacements.set(eqn.out, { kind: "value", name: earlier });
    else {
      seen.set(key, eqn.out);
      eqns.push(eqn);
    }
  }
  return withResults(fn, eqns, replacements);
}

/** Keeps only the equations that the function's results, gradients and updates need. */
function deadCode(fn: IrFunction): IrFunction {
  const needed = new Set<string>();
  if (fn.output !== null) needed.add(fn.output);
  if (fn.loss !== null) needed.add(fn.loss);
  for (const u of fn.updates) needed.add(u.value);
  for (const g of fn.gradients.values()) needed.add(g);
  const kept: AnyEqn[] = [];
  for (let i = fn.eqns.length - 1; i >= 0; i--) {
    const eqn = fn.eqns[i]!;
    if (!needed.has(eqn.out)) continue;
    kept.push(eqn);
    for (const a of eqn.args) if (a.kind === "value") needed.add(a.name);
  }
  return { ...fn, eqns: kept.reverse() };
}
