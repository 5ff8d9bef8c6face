import type { AnyEqn, Operand, TypedModel } from "../ir/types.js";
import type { Span } from "../diagnostics/span.js";
import type { AxisSet, OpKind } from "../ops.js";

/**
 * The `loss` section of a model as a Python function of train.py:
 * `def loss_NAME(logits, output, target, params, values)`, its equations printed one per line.
 *
 * The loss reads the model's `output`, or, when a fused loss (softmax_cross_entropy,
 * sigmoid_binary_cross_entropy) takes the value before the final softmax or sigmoid, the
 * `logits` that model.py returns with `logits=True`; the target; parameters by their
 * state_dict names; and the forward section's bindings it reads (the perceptron's `z`) as
 * `values["z"]`, from the dict model.py returns with `values=True` (see {@link lossValues}).
 * An unnamed forward value, and any op without a printer below, is reported (the PyTorch
 * target cannot emit such a loss yet) rather than printed wrong.
 */

/** A part of a loss that train.py cannot express, and where it was written. */
export interface LossProblem {
  readonly what: string;
  readonly span: Span;
}

export interface PrintedLoss {
  readonly text: string;
  readonly problems: readonly LossProblem[];
}

/** What the loss function sees: the model's output, its logits (or null), target and params. */
export interface LossLeaves {
  readonly output: string;
  readonly logits: string | null;
  /** The final softmax (over the last axis) or sigmoid that `logits` goes through, if any. */
  readonly activation: "softmax" | "sigmoid" | null;
  readonly target: string;
  readonly params: ReadonlySet<string>;
}

/**
 * The leaves of `model`'s loss as train.py sees them: model.py's output; its logits when the
 * output is a softmax over the last axis or a sigmoid (train.py applies that activation to
 * the logits itself); the first target; the trainable parameters.
 */
export function lossLeaves(model: TypedModel): LossLeaves {
  const outputEqn = model.eqns.find((e) => e.out === model.output);
  const first = outputEqn?.args[0];
  const activation =
    outputEqn &&
    first?.kind === "value" &&
    ((outputEqn.op === "softmax" && outputEqn.attrs.axis === -1) || outputEqn.op === "sigmoid")
      ? outputEqn.op
      : null;
  return {
    output: model.output,
    logits: activation !== null && first?.kind === "value" ? first.name : null,
    activation,
    target: model.targets[0]?.name ?? "",
    params: new Set(model.params.filter((p) => p.trainable).map((p) => p.name)),
  };
}

/** The values of the forward section (those `output` is computed from, itself included). */
function forwardValues(model: TypedModel, output: string): ReadonlySet<string> {
  const producer = new Map<string, AnyEqn>(model.eqns.map((e) => [e.out, e]));
  const forward = new Set<string>();
  const mark = (value: string): void => {
    if (forward.has(value)) return;
    forward.add(value);
    for (const arg of producer.get(value)?.args ?? []) if (arg.kind === "value") mark(arg.name);
  };
  mark(output);
  return forward;
}

/**
 * The forward section's bindings that `model`'s loss reads besides its leaves, as
 * [value, binding name] in the order the loss first reads them: what model.py's forward
 * returns with `values=True` (computed in the same pass, so the loss's gradient flows through
 * them) and train.py's loss reads as `values[name]`. Empty for most models. Pure.
 */
export function lossValues(model: TypedModel): readonly (readonly [string, string])[] {
  if (model.loss === null) return [];
  const leaves = lossLeaves(model);
  const forward = forwardValues(model, leaves.output);
  const producer = new Map<string, AnyEqn>(model.eqns.map((e) => [e.out, e]));
  const found = new Map<string, string>();
  const seen = new Set<string>();
  const visit = (value: string): void => {
    if (seen.has(value) || isLeaf(leaves, value)) return;
    seen.add(value);
    if (forward.has(value)) {
      const bound = model.bindings.find((b) => b.value === value)?.name;
      if (bound !== undefined) found.set(value, bound);
      return;
    }
    for (const arg of producer.get(value)?.args ?? []) if (arg.kind === "value") visit(arg.name);
  };
  visit(model.loss);
  return [...found];
}

function isLeaf(leaves: LossLeaves, value: string): boolean {
  return (
    value === leaves.output ||
    value === leaves.logits ||
    value === leaves.target ||
    leaves.params.has(value)
  );
}

type Printer = (a: readonly string[], eqn: AnyEqn, rank: (o: Operand) => number) => string;

const fn =
  (name: string): Printer =>
  (a) =>
    `${name}(${a.join(", ")})`;
const infix =
  (op: string): Printer =>
  (a) =>
    `(${a[0]} ${op} ${a[1]})`;
const compare =
  (op: string): Printer =>
  (a) =>
    `(${a[0]} ${op} ${a[1]}).float()`;

/** Python for a list of numbers (class weights), as a float32 tensor on the value's device. */
function tensorOf(values: readonly number[] | undefined, like: string): string {
  if (values === undefined) return "None";
  return `${like}.new_tensor([${values.map(pyNumber).join(", ")}])`;
}

function reduce(method: string): Printer {
  return (a, eqn, rank) => {
    const attrs = eqn.attrs as { readonly axes: AxisSet; readonly keepdims: boolean };
    const dims = axesOf(attrs.axes, rank(eqn.args[0]!));
    if (dims === null) return `${a[0]}.${method}()`;
    const reduced =
      method === "amax"
        ? `${a[0]}.amax(dim=(${dims.join(", ")},), keepdim=${attrs.keepdims ? "True" : "False"})`
        : `${a[0]}.${method}(dim=(${dims.join(", ")},), keepdim=${attrs.keepdims ? "True" : "False"})`;
    return reduced;
  };
}

/** The dims an AxisSet names for a value of `rank`, or null for all of them. */
function axesOf(axes: AxisSet, rank: number): number[] | null {
  if (axes.kind === "all") return null;
  const norm = (a: number) => (a < 0 ? a + rank : a);
  const listed = new Set(axes.axes.map(norm));
  const all = Array.from({ length: rank }, (_, i) => i);
  return axes.kind === "only"
    ? all.filter((i) => listed.has(i))
    : all.filter((i) => !listed.has(i));
}

/**
 * Printers for the ops a loss section lowers to. Partial on purpose: a loss may hold any op,
 * and one missing here is reported as a problem (never printed wrong).
 */
const printers: Partial<Record<OpKind, Printer>> = {
  neg: (a) => `(-${a[0]})`,
  exp: fn("torch.exp"),
  log: fn("torch.log"),
  sqrt: fn("torch.sqrt"),
  abs: fn("torch.abs"),
  sign: fn("torch.sign"),
  square: (a) => `torch.square(${a[0]})`,
  sin: fn("torch.sin"),
  cos: fn("torch.cos"),
  tanh: fn("torch.tanh"),
  sigmoid: fn("torch.sigmoid"),
  relu: fn("torch.relu"),
  softplus: fn("F.softplus"),
  log1p: fn("torch.log1p"),
  add: infix("+"),
  sub: infix("-"),
  mul: infix("*"),
  div: infix("/"),
  pow: (a) => `torch.pow(${a[0]}, ${a[1]})`,
  maximum: (a) => `torch.maximum(as_tensor(${a[0]}), as_tensor(${a[1]}))`,
  minimum: (a) => `torch.minimum(as_tensor(${a[0]}), as_tensor(${a[1]}))`,
  lt: compare("<"),
  gt: compare(">"),
  le: compare("<="),
  ge: compare(">="),
  eq: compare("=="),
  ne: compare("!="),
  where: (a) => `torch.where(as_tensor(${a[0]}) != 0, as_tensor(${a[1]}), as_tensor(${a[2]}))`,
  clip: (a) => `torch.clamp(${a[0]}, ${a[1]}, ${a[2]})`,
  sum: reduce("sum"),
  mean: reduce("mean"),
  max_over: reduce("amax"),
  mse: fn("F.mse_loss"),
  mae: fn("F.l1_loss"),
  huber: (a, eqn) =>
    `F.huber_loss(${a[0]}, ${a[1]}, delta=${pyNumber((eqn.attrs as { delta: number }).delta)})`,
  cross_entropy: (a, eqn) => {
    const attrs = eqn.attrs as { weight?: readonly number[]; labelSmoothing?: number };
    return `cross_entropy(${a[0]}, ${a[1]}, ${tensorOf(attrs.weight, a[0]!)}, ${pyNumber(attrs.labelSmoothing ?? 0)})`;
  },
  softmax_cross_entropy: (a, eqn) => {
    const attrs = eqn.attrs as { weight?: readonly number[]; labelSmoothing?: number };
    return `softmax_cross_entropy(${a[0]}, ${a[1]}, ${tensorOf(attrs.weight, a[0]!)}, ${pyNumber(attrs.labelSmoothing ?? 0)})`;
  },
  binary_cross_entropy: (a, eqn) => {
    const attrs = eqn.attrs as { posWeight?: readonly number[] };
    return `binary_cross_entropy(${a[0]}, ${a[1]}, ${tensorOf(attrs.posWeight, a[0]!)})`;
  },
  sigmoid_binary_cross_entropy: (a, eqn) => {
    const attrs = eqn.attrs as { posWeight?: readonly number[] };
    return `F.binary_cross_entropy_with_logits(${a[0]}, ${a[1]}, pos_weight=${tensorOf(attrs.posWeight, a[0]!)})`;
  },
};

/** A JavaScript number as a Python literal. */
export function pyNumber(v: number): string {
  if (Number.isNaN(v)) return 'float("nan")';
  if (v === Infinity) return 'float("inf")';
  if (v === -Infinity) return 'float("-inf")';
  const text = String(v);
  return /[.e]/.test(text) ? text : `${text}.0`;
}

/**
 * Prints `def loss_<name>(...)` for `model` (which has a loss): the equations the loss value
 * depends on, from the leaves up, in the model's equation order.
 */
export function printLoss(model: TypedModel, leaves: LossLeaves, name: string): PrintedLoss {
  const problems: LossProblem[] = [];
  const producer = new Map<string, AnyEqn>(model.eqns.map((e) => [e.out, e]));
  const values = new Map(lossValues(model));
  const leafText = (value: string): string | null => {
    if (value === leaves.output) return "output";
    if (value === leaves.logits) return "logits";
    if (value === leaves.target) return "target";
    if (leaves.params.has(value)) return `params[${JSON.stringify(value)}]`;
    const bound = values.get(value);
    if (bound !== undefined) return `values[${JSON.stringify(bound)}]`;
    return null;
  };
  // Values of the forward section (what `output` is computed from) are inside model.py.
  const forward = forwardValues(model, leaves.output);
  const needed = new Set<string>();
  const visit = (value: string, from: AnyEqn | null): void => {
    if (needed.has(value) || leafText(value) !== null) return;
    const eqn = producer.get(value);
    if (eqn === undefined || forward.has(value)) {
      // bound values are leaves: this is an input, or a forward value without a name
      problems.push({
        what: `the loss reads ${value.startsWith("%") ? "an unnamed value of the forward section" : `the input ${value}`}, but train.py passes the loss only output, the target, parameters and the forward section's bindings`,
        span: from?.origin ?? model.span,
      });
      return;
    }
    needed.add(value);
    for (const arg of eqn.args) if (arg.kind === "value") visit(arg.name, eqn);
  };
  if (model.loss !== null) visit(model.loss, null);
  const local = (value: string) => `v${value.replace(/\W/g, "")}`;
  const operand = (o: Operand): string =>
    o.kind === "const" ? pyNumber(o.value) : (leafText(o.name) ?? local(o.name));
  const rank = (o: Operand): number =>
    o.kind === "const" ? 0 : (model.types.get(o.name)?.shape.length ?? 0);
  const lines: string[] = [];
  for (const eqn of model.eqns) {
    if (!needed.has(eqn.out)) continue;
    const print = printers[eqn.op];
    if (print === undefined) {
      problems.push({ what: `train.py cannot print the loss's ${eqn.op} yet`, span: eqn.origin });
      continue;
    }
    lines.push(`    ${local(eqn.out)} = ${print(eqn.args.map(operand), eqn, rank)}`);
  }
  const result = model.loss === null ? "None" : (leafText(model.loss) ?? local(model.loss));
  const text = [
    `def loss_${name}(logits, output, target, params, values):`,
    `    """The loss section of ${name}."""`,
    ...lines,
    `    return ${result}`,
  ].join("\n");
  return { text, problems };
}
