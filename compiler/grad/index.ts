import { invariant } from "../assert.js";
import type { IrFunction } from "../ir/function.js";
import type { AnyEqn, Operand, Shape, TensorType, TypedModel } from "../ir/types.js";
import { onlyAxes } from "../ops/axes.js";
import { type GradRule, type OpKind, ops } from "../ops.js";
import { substitute } from "../passes/rewrite.js";
import { specialize } from "../passes/specialize.js";
import { shapesEqual } from "../shapes/dims.js";
import type { Span } from "../diagnostics/span.js";
import { TypedEmitter } from "./emitter.js";

/**
 * Reverse-mode differentiation of the loss, symbolically, on the IR.
 *
 * Assumes: a typed model with a loss (error-free through `inferShapes`).
 * Guarantees: the training-mode equations (batch statistics, dropout masks) followed by the
 * derived ones, a gradient value for every trainable parameter with exactly its shape, and
 * the model's buffer updates (running statistics). Cotangents are summed in reverse
 * topological order; a cotangent of a broadcast operand is reduced to the operand's shape
 * here, once, for every op. Only values that depend on a parameter are differentiated.
 */
export function differentiate(model: TypedModel): IrFunction {
  invariant(model.loss !== null, `model ${model.name} has no loss to differentiate`);
  const { eqns, replacements } = specialize(model, "train");
  const resolve = (name: string): string => {
    const operand = substitute({ kind: "value", name }, replacements);
    invariant(operand.kind === "value", `${name} became a constant`);
    return operand.name;
  };
  const loss = resolve(model.loss);
  const derived = backward(
    eqns,
    model.types,
    loss,
    model.params.filter((p) => p.trainable),
    model.span,
  );
  return {
    kind: "train",
    model,
    inputs: [...model.inputs, ...model.targets],
    params: model.params,
    state: [],
    scalars: [],
    eqns: derived.eqns,
    types: derived.types,
    output: resolve(model.output),
    loss,
    gradients: derived.gradients,
    cotangents: derived.cotangents,
    updates: model.updates.map((u) => ({ target: u.buffer, value: resolve(u.value) })),
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
  span: Span,
): {
  readonly eqns: readonly AnyEqn[];
  readonly types: ReadonlyMap<string, TensorType>;
  readonly gradients: ReadonlyMap<string, string>;
  /** Forward value -> the value of d loss / d it, for every value differentiated through. */
  readonly cotangents: ReadonlyMap<string, string>;
} {
  const active = dependsOn(eqns, new Set(wrt.map((w) => w.name)));
  const emitter = new TypedEmitter(eqns, types, { origin: span, callSites: [], layer: null });
  const cotangents = new Map<string, Operand[]>([[loss, [{ kind: "const", value: 1 }]]]);
  const contribute = (value: string, cotangent: Operand): void => {
    cotangents.set(value, [...(cotangents.get(value) ?? []), cotangent]);
  };

  const totals = new Map<string, string>();
  for (let i = eqns.length - 1; i >= 0; i--) {
    const eqn = eqns[i]!;
    const contributions = cotangents.get(eqn.out);
    if (!active.has(eqn.out) || !contributions) continue;
    emitter.provenance = { origin: eqn.origin, callSites: eqn.callSites, layer: eqn.layer };
    const g = total(emitter, contributions);
    if (g.kind === "value") totals.set(eqn.out, g.name);
    const rule = ops[eqn.op].grad as GradRule<OpKind> | null;
    invariant(rule !== null, `${eqn.op} is differentiated but has no gradient rule`);
    const perOperand = rule(emitter, eqn as never, g);
    eqn.args.forEach((operand, k) => {
      const cotangent = perOperand[k];
      if (operand.kind !== "value" || !cotangent || !active.has(operand.name)) return;
      contribute(operand.name, reduceTo(emitter, cotangent, emitter.typeOf(operand)));
    });
  }

  const gradients = new Map<string, string>();
  for (const w of wrt) {
    emitter.provenance = { origin: w.span, callSites: [], layer: w.layer ?? null };
    const contributions = cotangents.get(w.name);
    // A value the loss does not depend on has gradient 0.
    const g = contributions ? total(emitter, contributions) : zeros(emitter, w.shape);
    gradients.set(w.name, materialise(emitter, g, w.shape));
  }
  return { eqns: emitter.eqns, types: emitter.types, gradients, cotangents: totals };
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
function total(emitter: TypedEmitter, contributions: readonly Operand[]): Operand {
  return contributions
    .slice(1)
    .reduce((sum, c) => emitter.emit("add", [sum, c], {}), contributions[0]!);
}

/**
 * A cotangent of an operand that was broadcast, summed back to the operand's shape: over the
 * leading axes it lacks, and over the axes where it has size 1.
 */
function reduceTo(emitter: TypedEmitter, cotangent: Operand, target: TensorType): Operand {
  let current = cotangent;
  let shape = emitter.typeOf(current).shape;
  if (shapesEqual(shape, target.shape)) return current;
  const extra = shape.length - target.shape.length;
  if (extra > 0) {
    const leading = Array.from({ length: extra }, (_, i) => i);
    current = emitter.emit("sum", [current], { axes: onlyAxes(...leading), keepdims: false });
    shape = emitter.typeOf(current).shape;
  }
  const stretched = target.shape.flatMap((d, i) =>
    d === 1 && shape[i] !== 1 && shape.length === target.shape.length ? [i] : [],
  );
  if (stretched.length > 0) {
    current = emitter.emit("sum", [current], { axes: onlyAxes(...stretched), keepdims: true });
    shape = emitter.typeOf(current).shape;
  }
  // A cotangent smaller than its operand (a scalar) spreads over it.
  return shapesEqual(shape, target.shape)
    ? current
    : emitter.emit("broadcast_to", [current], { shape: target.shape });
}

function zeros(emitter: TypedEmitter, shape: Shape): Operand {
  return emitter.emit("broadcast_to", [{ kind: "const", value: 0 }], { shape });
}

/** Gradients are buffers: a constant or a value of another shape becomes one of `shape`. */
function materialise(emitter: TypedEmitter, g: Operand, shape: Shape): string {
  const fitted =
    g.kind === "value" && shapesEqual(emitter.typeOf(g).shape, shape)
      ? g
      : emitter.emit("broadcast_to", [g], { shape });
  return (fitted as { name: string }).name;
}
