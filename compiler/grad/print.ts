import type { IrFunction } from "../ir/function.js";
import type { AnyEqn, Operand, Shape } from "../ir/types.js";
import { formatDim } from "../shapes/dims.js";
import { resolveAxes } from "../ops/axes.js";
import type { BinaryLossAttrs, CategoricalLossAttrs } from "../ops/types.js";

/** The prefix of the gradient entries that carry cotangents through simplification. */
const COTANGENT = "cotangent:";

/**
 * A differentiated function whose every cotangent is also a result (a gradient entry), so
 * that simplification keeps the equations computing it and renames it with the rest.
 * `printGradients` reads them back. The updates are dropped: the derivation does not print them.
 */
export function keepingCotangents(derived: IrFunction): IrFunction {
  const keep = new Map([
    ...derived.gradients,
    ...[...derived.cotangents].map(([v, g]) => [`${COTANGENT}${v}`, g] as const),
  ]);
  return { ...derived, gradients: keep, updates: [] };
}

/**
 * The derivation of a model's gradients as math a student can read, one line per
 * intermediate value (in the order backpropagation computes them) and per parameter:
 *
 *     d loss / d dense_2 = (sigmoid(dense_2) - y) / batch
 *     d loss / d dense_2.weight = (d loss / d dense_2)^T . tanh(dense_1)
 *
 * Forward values are named by what they are: inputs, targets and parameters by name, a
 * layer's output by the layer, a bound name by that name, anything else by its formula.
 * `fn` is the model's differentiated train function through `keepingCotangents`, simplified.
 */
export function printGradients(fn: IrFunction): string {
  const model = fn.model;
  const producers = new Map(fn.eqns.map((e) => [e.out, e]));
  const batch =
    typeof model.inputs[0]?.type.shape[0] === "string"
      ? (model.inputs[0].type.shape[0] as string)
      : "batch";

  const named = new Map<string, string>();
  for (const t of [...model.inputs, ...model.targets]) named.set(t.name, t.name);
  for (const p of model.params) named.set(p.name, p.name);
  for (const b of model.bindings) named.set(b.value, b.name);
  for (const l of model.layers) if (!named.has(l.output)) named.set(l.output, l.name);
  // Several values can share one cotangent (x W^T and x W^T + b): call it by the named one.
  const cotangentOf = new Map<string, string>();
  for (const [key, g] of fn.gradients) {
    if (!key.startsWith(COTANGENT)) continue;
    const value = key.slice(COTANGENT.length);
    const current = cotangentOf.get(g);
    if (current === undefined || (!named.has(current) && named.has(value)))
      cotangentOf.set(g, value);
  }
  const params = new Set(model.params.map((p) => p.name));
  const shapeOf = (o: Operand): Shape =>
    o.kind === "const" ? [] : (fn.types.get(o.name)?.shape ?? []);

  /** A value as an expression: a name, a cotangent reference, or its formula (recursively). */
  const expr = (operand: Operand, top = false): Expr => {
    if (operand.kind === "const") return atom(formatNumber(operand.value));
    const v = operand.name;
    const name = named.get(v);
    if (name !== undefined) return atom(name);
    const of = cotangentOf.get(v);
    if (of !== undefined && !top) return atom(`d loss / d ${nameOf(of)}`, 1);
    const eqn = producers.get(v);
    if (!eqn) return atom(v);
    return formula(eqn, (o) => expr(o), batch, shapeOf);
  };
  const nameOf = (v: string): string => {
    const e = expr({ kind: "value", name: v });
    return e.precedence < 9 ? `(${e.text})` : e.text;
  };

  const lines: string[] = [];
  if (model.loss !== null)
    lines.push(`loss = ${expr({ kind: "value", name: fn.loss ?? model.loss }).text}`);
  const forward = model.eqns.map((e) => e.out).reverse();
  for (const v of forward) {
    const g = [...cotangentOf].find(([, of]) => of === v)?.[0];
    if (g === undefined || params.has(v) || v === model.loss || v === fn.loss) continue;
    lines.push(`d loss / d ${nameOf(v)} = ${expr({ kind: "value", name: g }, true).text}`);
  }
  for (const p of model.params.filter((q) => q.trainable)) {
    const g = fn.gradients.get(p.name);
    if (g !== undefined)
      lines.push(`d loss / d ${p.name} = ${expr({ kind: "value", name: g }, true).text}`);
  }
  return `${lines.join("\n")}\n`;
}

/** Text with its precedence: 9 atoms and calls, 7 powers, 6 products, 5 sums, 3 comparisons. */
interface Expr {
  readonly text: string;
  readonly precedence: number;
}

const atom = (text: string, precedence = 9): Expr => ({ text, precedence });

function wrap(e: Expr, min: number): string {
  return e.precedence < min ? `(${e.text})` : e.text;
}

function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(6)));
}

const infix: Partial<Record<string, [string, number]>> = {
  add: ["+", 5],
  sub: ["-", 5],
  mul: ["*", 6],
  div: ["/", 6],
  lt: ["<", 3],
  gt: [">", 3],
  le: ["<=", 3],
  ge: [">=", 3],
  eq: ["==", 3],
  ne: ["!=", 3],
};

/** One equation in math notation, given its operands' expressions. */
function formula(
  eqn: AnyEqn,
  of: (o: Operand) => Expr,
  batch: string,
  shapeOf: (o: Operand) => Shape,
): Expr {
  const args = eqn.args.map(of);
  const [a, b] = args;
  const op = infix[eqn.op];
  if (op && a && b) {
    const [symbol, precedence] = op;
    const right = eqn.op === "sub" || eqn.op === "div" ? precedence + 1 : precedence;
    return { text: `${wrap(a, precedence)} ${symbol} ${wrap(b, right)}`, precedence };
  }
  const call = (name: string) => atom(`${name}(${args.map((x) => x.text).join(", ")})`);
  switch (eqn.op) {
    case "neg":
      return { text: `-${wrap(a!, 7)}`, precedence: 7 };
    case "square":
      return { text: `${wrap(a!, 8)}^2`, precedence: 7 };
    case "pow":
      return { text: `${wrap(a!, 8)}^${wrap(b!, 8)}`, precedence: 7 };
    case "matmul": {
      const left = `${wrap(a!, 8)}${eqn.attrs.transA ? "^T" : ""}`;
      const right = `${wrap(b!, 8)}${eqn.attrs.transB ? "^T" : ""}`;
      return { text: `${left} . ${right}`, precedence: 6 };
    }
    case "transpose":
      return atom(`${wrap(a!, 9)}^T`);
    case "broadcast_to":
    case "reshape":
    case "reshape_as":
    case "flatten":
      return a!;
    case "size":
      return atom(sizeText(eqn, batch, shapeOf));
    case "sum":
      return eqn.attrs.axes.kind === "only" && eqn.attrs.axes.axes.join() === "0"
        ? call("sum_rows")
        : call("sum");
    case "one_hot":
      return call("onehot");
    // The fused losses, in the form the student wrote them, with their settings.
    case "softmax_cross_entropy":
      return atom(`cross_entropy(softmax(${a!.text}), ${b!.text}${lossSettings(eqn.attrs)})`);
    case "sigmoid_binary_cross_entropy":
      return atom(
        `binary_cross_entropy(sigmoid(${a!.text}), ${b!.text}${lossSettings(eqn.attrs)})`,
      );
    case "cross_entropy":
    case "binary_cross_entropy":
      return atom(`${eqn.op}(${a!.text}, ${b!.text}${lossSettings(eqn.attrs)})`);
    case "scale_classes":
      // the class weights as the multiplier of each column
      return { text: `${listText(eqn.attrs.scales)} * ${wrap(a!, 7)}`, precedence: 6 };
    default:
      return call(eqn.op);
  }
}

const listText = (values: readonly number[]) => `[${values.join(", ")}]`;

/** `, weight: [1, 2], label_smoothing: 0.1` as the loss call was written; empty when plain. */
function lossSettings(attrs: CategoricalLossAttrs | BinaryLossAttrs): string {
  const parts: string[] = [];
  if ("weight" in attrs && attrs.weight) parts.push(`weight: ${listText(attrs.weight)}`);
  if ("labelSmoothing" in attrs && attrs.labelSmoothing) {
    parts.push(`label_smoothing: ${attrs.labelSmoothing}`);
  }
  if ("posWeight" in attrs && attrs.posWeight) {
    const w = attrs.posWeight;
    parts.push(`pos_weight: ${w.length === 1 ? String(w[0]) : listText(w)}`);
  }
  return parts.map((p) => `, ${p}`).join("");
}

/** The count `size` stands for: `batch` for rows, `batch * 10` for every element of [batch, 10]. */
function sizeText(
  eqn: AnyEqn & { op: "size" },
  batch: string,
  shapeOf?: (o: Operand) => Shape,
): string {
  const shape = shapeOf && eqn.args[0] ? shapeOf(eqn.args[0]) : null;
  if (!shape) return batch;
  const resolved = resolveAxes(eqn.attrs.axes, shape.length);
  if (!resolved.ok) return batch;
  const factors = resolved.axes.map((a) => shape[a]!).filter((d) => d !== 1);
  return factors.length === 0 ? "1" : factors.map(formatDim).join(" * ");
}
