import { invariant } from "../assert.js";
import type { AnyEqn, Operand, Shape, TensorType } from "../ir/types.js";
import { formatEqn } from "../ir/print.js";
import { type ElementContext, type Lowering, type OpKind, ops } from "../ops.js";
import type { FusedKernel } from "../passes/fuse.js";
import { normalizeAxis } from "../shapes/dims.js";
import { broadcastIndex, numberLiteral, productExpr } from "./expr.js";
import { identifier } from "./names.js";

/**
 * The CPU source of a kernel: a function `(size, n, ...buffers)` with its buffers in order,
 * inputs then outputs. Fused kernels loop once over their domain; layout kernels copy with
 * index arithmetic.
 */
export interface KernelCode {
  readonly name: string;
  /** What the kernel computes, one line per equation, for the comment above it. */
  readonly doc: readonly string[];
  readonly params: readonly string[];
  /** The value whose buffer each parameter receives, in order. */
  readonly buffers: readonly string[];
  readonly body: string;
}

/** The name of a value computed inside a kernel's loop. */
function local(value: string): string {
  return `v${identifier(value)}`;
}

/** The source of a fused elementwise kernel. */
export function fusedKernelCode(
  kernel: FusedKernel,
  types: ReadonlyMap<string, TensorType>,
  batch: string,
  where: (eqn: AnyEqn) => string,
  inline: ReadonlyMap<string, AnyEqn>,
  /** Where a value is stored: an output stored where an input is (an update in place) reuses its parameter. */
  storageOf: (value: string) => string = (v) => v,
): KernelCode {
  const shapeOf = (v: string): Shape => types.get(v)?.shape ?? [];
  const product = (dims: Shape) => productExpr(dims, batch);
  const members = new Set(kernel.eqns.map((e) => e.out));
  const loads = new Map<string, string>();
  const hoisted: string[] = [];
  const lines: string[] = [];

  const operandExpr = (eqn: AnyEqn, operand: Operand, index: number): string => {
    if (operand.kind === "const")
      return operand.value < 0 || Object.is(operand.value, -0)
        ? `(${numberLiteral(operand.value)})`
        : numberLiteral(operand.value);
    if (members.has(operand.name)) return local(operand.name);
    const computed = inline.get(operand.name);
    if (computed) {
      // A count of elements: computed from the dimensions before the loop, once.
      const name = local(operand.name);
      if (!hoisted.some((h) => h.startsWith(`const ${name} `)))
        hoisted.push(`const ${name} = ${elementJs(computed)};`);
      return name;
    }
    const lowering = ops[eqn.op].lowering as Lowering<OpKind>;
    const aligned =
      lowering.kind === "elementwise" && lowering.operandShape
        ? lowering.operandShape(shapeOf(operand.name), index)
        : shapeOf(operand.name);
    const load = `${identifier(operand.name)}[${broadcastIndex(aligned, kernel.domain, batch)}]`;
    const key = `${operand.name}|${load}`;
    if (!loads.has(key)) {
      const name = `${identifier(operand.name)}_${loads.size}`;
      loads.set(key, name);
      lines.push(`const ${name} = ${load};`);
    }
    return loads.get(key)!;
  };

  /** An equation's element expression from its operands' expressions. */
  function elementJs(eqn: AnyEqn, operands: readonly string[] = []): string {
    const lowering = ops[eqn.op].lowering as Lowering<OpKind>;
    invariant(lowering.kind === "elementwise", `${eqn.op} is not elementwise`);
    const context: ElementContext = {
      shapes: eqn.args.map((a) => (a.kind === "const" ? [] : shapeOf(a.name))),
      batch,
      product,
    };
    return lowering.js(operands, eqn.attrs as never, context);
  }
  for (const eqn of kernel.eqns) {
    const operands = eqn.args.map((a, k) => operandExpr(eqn, a, k));
    lines.push(`const ${local(eqn.out)} = ${elementJs(eqn, operands)};`);
  }
  const inPlace = new Map<string, string>();
  for (const out of kernel.outputs) {
    const input = kernel.inputs.find((v) => storageOf(v) === storageOf(out));
    if (input !== undefined) inPlace.set(out, input);
  }
  for (const out of kernel.outputs)
    lines.push(`${identifier(inPlace.get(out) ?? out)}[i] = ${local(out)};`);
  const buffers = [...kernel.inputs, ...kernel.outputs.filter((o) => !inPlace.has(o))];

  const body = [
    ...hoisted,
    `for (let i = 0; i < size; i++) {`,
    ...lines.map((l) => `  ${l}`),
    `}`,
  ].join("\n");
  return {
    name: kernel.name,
    doc: kernel.eqns.map((e) => `${e.out} = ${formatEqn(e)}  (${where(e)})`),
    params: buffers.map(identifier),
    buffers,
    body,
  };
}

/** The source of a layout kernel (transpose, slice, concat) for one equation. */
export function layoutKernelCode(
  name: string,
  eqn: AnyEqn,
  types: ReadonlyMap<string, TensorType>,
  batch: string,
  where: string,
): KernelCode {
  const shapeOf = (o: Operand | undefined): Shape =>
    o?.kind === "value" ? (types.get(o.name)?.shape ?? []) : [];
  const p = (dims: Shape) => productExpr(dims, batch);
  const ins = eqn.args.flatMap((a) => (a.kind === "value" ? [identifier(a.name)] : []));
  const out = identifier(eqn.out);
  let body: string;
  switch (eqn.op) {
    case "transpose": {
      // y[..., c, r] = x[..., r, c]
      const shape = shapeOf(eqn.args[0]);
      const rows = p(shape.slice(-2, -1));
      const cols = p(shape.slice(-1));
      body = [
        `const rows = ${rows}, cols = ${cols}, plane = rows * cols;`,
        `for (let base = 0; base < size; base += plane)`,
        `  for (let r = 0; r < rows; r++)`,
        `    for (let c = 0; c < cols; c++) ${out}[base + c * rows + r] = ${ins[0]}[base + r * cols + c];`,
      ].join("\n");
      break;
    }
    case "slice": {
      // y[o, j, k] = x[o, start + j, k] over [outer, length, inner]
      const shape = shapeOf(eqn.args[0]);
      const axis = normalizeAxis(eqn.attrs.axis, shape.length)!;
      body = [
        `const from = ${p(shape.slice(axis, axis + 1))}, length = ${p([eqn.attrs.size])}, start = ${p([eqn.attrs.start])}, inner = ${p(shape.slice(axis + 1))};`,
        `const outer = size / (length * inner);`,
        `for (let o = 0; o < outer; o++)`,
        `  for (let j = 0; j < length * inner; j++) ${out}[o * length * inner + j] = ${ins[0]}[(o * from + start) * inner + j];`,
      ].join("\n");
      break;
    }
    case "concat": {
      // y[o, :a] = a[o], y[o, a:] = b[o] over [outer, length, inner]
      const shapeA = shapeOf(eqn.args[0]);
      const axis = normalizeAxis(eqn.attrs.axis, shapeA.length)!;
      const inner = p(shapeA.slice(axis + 1));
      body = [
        `const a = ${p(shapeA.slice(axis, axis + 1))} * ${inner}, b = ${p(shapeOf(eqn.args[1]).slice(axis, axis + 1))} * ${inner};`,
        `const outer = size / (a + b);`,
        `for (let o = 0; o < outer; o++) {`,
        `  for (let j = 0; j < a; j++) ${out}[o * (a + b) + j] = ${ins[0]}[o * a + j];`,
        `  for (let j = 0; j < b; j++) ${out}[o * (a + b) + a + j] = ${ins[1]}[o * b + j];`,
        `}`,
      ].join("\n");
      break;
    }
    default:
      throw new Error(`internal error: ${eqn.op} is not a layout op`);
  }
  const buffers = [...eqn.args.flatMap((a) => (a.kind === "value" ? [a.name] : [])), eqn.out];
  return {
    name,
    doc: [`${eqn.out} = ${formatEqn(eqn)}  (${where})`],
    params: [...ins, out],
    buffers,
    body,
  };
}
