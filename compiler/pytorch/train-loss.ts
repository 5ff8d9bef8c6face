import type { AnyEqn, Dim, Operand, TypedModel } from "../ir/types.js";
import type { Span } from "../diagnostics/span.js";
import type { OpKind } from "../ops.js";
import { batchDimension } from "../passes/index.js";
import { type PyOpContext, type PyOpRule, pyOps } from "./ops.js";
import { type PyOperand, atom, literal, operand as pyOperand, pyDim } from "./python.js";

/**
 * The `loss` section of a model as a Python function of train.py:
 * `def loss_NAME(logits, output, target, params, values)`, its equations printed one per line.
 *
 * The loss reads the model's `output`, or, when a fused loss (softmax_cross_entropy,
 * sigmoid_binary_cross_entropy) takes the value before the final softmax or sigmoid, the
 * `logits` that model.py returns with `logits=True`; the target; parameters by their
 * state_dict names; and the forward section's bindings it reads (the perceptron's `z`) as
 * `values["z"]`, from the dict model.py returns with `values=True` (see {@link lossValues}).
 * Each equation prints through its op's row of ./ops.ts, the table model.py's forward uses
 * too (a loss's own ops are its `loss` rows). An unnamed forward value, and an op whose row
 * is "cannot" (derivative-only ops), is reported (the PyTorch target cannot emit such a loss)
 * rather than printed wrong.
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
  const operand = (o: Operand): PyOperand =>
    o.kind === "const"
      ? pyOperand(literal(o.value), true)
      : pyOperand(atom(leafText(o.name) ?? local(o.name)));
  const shapeOf = (o: Operand) =>
    o.kind === "const" ? [] : (model.types.get(o.name)?.shape ?? []);
  const batch = batchDimension(model);
  let usesBatch = false;
  const dim = (d: Dim): string => {
    usesBatch = usesBatch || typeof d !== "number";
    return pyDim(d, batch);
  };
  const lines: string[] = [];
  for (const eqn of model.eqns) {
    if (!needed.has(eqn.out)) continue;
    const rule = pyOps[eqn.op] as PyOpRule<OpKind>;
    if (rule.kind === "cannot") {
      problems.push({
        what: `train.py cannot print the loss's ${eqn.op}: ${rule.reason}`,
        span: eqn.origin,
      });
      continue;
    }
    const ctx: PyOpContext = {
      shapes: eqn.args.map(shapeOf),
      shape: model.types.get(eqn.out)?.shape ?? [],
      dim,
    };
    const expr = rule.print(eqn.args.map(operand), eqn.attrs as never, ctx);
    lines.push(`    ${local(eqn.out)} = ${expr.text}`);
  }
  if (usesBatch) {
    // the batch size from a batch-sized leaf (the output's, or the target's, first axis)
    const sized = [leaves.output, leaves.target].find(
      (v) => model.types.get(v)?.shape[0] === batch,
    );
    if (sized === undefined)
      problems.push({
        what: "the loss's shapes name the batch size, which train.py cannot tell",
        span: model.span,
      });
    else lines.unshift(`    batch = ${leafText(sized)}.shape[0]`);
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
