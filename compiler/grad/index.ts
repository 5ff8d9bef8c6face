import { invariant } from "../assert.js";
import type { Span } from "../diagnostics/span.js";
import { type IrAlgebra, IrBuilder, provenanceOf } from "../ir/builder.js";
import type { IrFunction } from "../ir/function.js";
import type { AnyEqn, Operand, Shape, TensorType } from "../ir/types.js";
import { onlyAxes } from "../ops/axes.js";
import { type GradRule, type OpKind, ops } from "../ops.js";
import { shapesEqual } from "../shapes/dims.js";

/**
 * Reverse-mode differentiation of the loss, symbolically, on the IR.
 *
 * Assumes: the `train` function of a typed model with a loss (from `specialize`).
 * Guarantees: its equations followed by the derived ones, and a gradient value for every
 * trainable parameter with exactly its shape. Cotangents are summed in reverse topological
 * order; a cotangent of a broadcast operand is reduced to the operand's shape here, once, for
 * every op. Only values that depend on a parameter are differentiated.
 */
export function differentiate(fn: IrFunction): IrFunction {
  invariant(
    fn.kind === "train" && fn.loss !== null,
    `${fn.kind} function has no loss to differentiate`,
  );
  const derived = backward(
    fn.eqns,
    fn.types,
    fn.loss,
    fn.params.filter((p) => p.trainable),
  );
  return {
    ...fn,
    eqns: derived.eqns,
    types: derived.types,
    gradients: derived.gradients,
    cotangents: derived.cotangents,
  };
}

/**
 * Appends to `eqns` the derivatives of the scalar `loss` with respect to each of `wrt`
 * (values with a span to attribute their gradient to, and a concrete shape).
 */
export function backward(
  eqns: readonly AnyEqn[],
  types: ReadonlyMap<string, TensorType>,
  loss: string,
  wrt: readonly {
    readonly name: string;
    readonly shape: Shape;
    readonly span: Span;
    readonly layer?: string;
  }[],
): {
  readonly eqns: readonly AnyEqn[];
  readonly types: ReadonlyMap<string, TensorType>;
  readonly gradients: ReadonlyMap<string, string>;
  /** Forward value -> the value of d loss / d it, for every value differentiated through. */
  readonly cotangents: ReadonlyMap<string, string>;
} {
  const active = dependsOn(eqns, new Set(wrt.map((w) => w.name)));
  const builder = IrBuilder.typed(eqns, types);
  const cotangents = new Map<string, Operand[]>([[loss, [{ kind: "const", value: 1 }]]]);
  const contribute = (value: string, cotangent: Operand): void => {
    cotangents.set(value, [...(cotangents.get(value) ?? []), cotangent]);
  };

  const totals = new Map<string, string>();
  for (let i = eqns.length - 1; i >= 0; i--) {
    const eqn = eqns[i]!;
    const contributions = cotangents.get(eqn.out);
    if (!active.has(eqn.out) || !contributions) continue;
    const m = builder.at(provenanceOf(eqn));
    const g = total(m, contributions);
    if (g.kind === "value") totals.set(eqn.out, g.name);
    const rule = ops[eqn.op].grad as GradRule<OpKind> | null;
    invariant(rule !== null, `${eqn.op} is differentiated but has no gradient rule`);
    const perOperand = rule(m, eqn as never, g);
    eqn.args.forEach((operand, k) => {
      const cotangent = perOperand[k];
      if (operand.kind !== "value" || !cotangent || !active.has(operand.name)) return;
      contribute(operand.name, reduceTo(m, cotangent, m.typeOf(operand)));
    });
  }

  const gradients = new Map<string, string>();
  for (const w of wrt) {
    const m = builder.at({ origin: w.span, callSites: [], layer: w.layer ?? null });
    const contributions = cotangents.get(w.name);
    // A value the loss does not depend on has gradient 0.
    const g = contributions ? total(m, contributions) : zeros(m, w.shape);
    gradients.set(w.name, materialise(m, g, w.shape));
  }
  return { eqns: builder.eqns, types: builder.types, gradients, cotangents: totals };
}

/** Values computed (transitively) from `roots`. */
function dependsOn(eqns: readonly AnyEqn[], roots: ReadonlySet<string>): Set<string> {
  const active = new Set(roots);
  for (const eqn of eqns) {
    if (eqn.args.some((a) => a.kind === "value" && active.has(a.name))) active.add(eqn.out);
  }
  return active;
}

/** The sum of a value's cotangent contributions. */
function total(m: IrAlgebra, contributions: readonly Operand[]): Operand {
  return contributions.slice(1).reduce((sum, c) => m.add(sum, c), contributions[0]!);
}

/**
 * A cotangent of an operand that was broadcast, summed back to the operand's shape: over the
 * leading axes it lacks, and over the axes where it has size 1.
 */
function reduceTo(m: IrAlgebra, cotangent: Operand, target: TensorType): Operand {
  let current = cotangent;
  let shape = m.typeOf(current).shape;
  if (shapesEqual(shape, target.shape)) return current;
  const extra = shape.length - target.shape.length;
  if (extra > 0) {
    const leading = Array.from({ length: extra }, (_, i) => i);
    current = m.sum(current, onlyAxes(...leading), false);
    shape = m.typeOf(current).shape;
  }
  const stretched = target.shape.flatMap((d, i) =>
    d === 1 && shape[i] !== 1 && shape.length === target.shape.length ? [i] : [],
  );
  if (stretched.length > 0) {
    current = m.sum(current, onlyAxes(...stretched), true);
    shape = m.typeOf(current).shape;
  }
  // A cotangent smaller than its operand (a scalar) spreads over it.
  return shapesEqual(shape, target.shape)
    ? current
    : m.emit("broadcast_to", [current], { shape: target.shape });
}

function zeros(m: IrAlgebra, shape: Shape): Operand {
  return m.emit("broadcast_to", [m.c(0)], { shape });
}

/** Gradients are buffers: a constant or a value of another shape becomes one of `shape`. */
function materialise(m: IrAlgebra, g: Operand, shape: Shape): string {
  const fitted =
    g.kind === "value" && shapesEqual(m.typeOf(g).shape, shape)
      ? g
      : m.emit("broadcast_to", [g], { shape });
  return fitted.name;
}
