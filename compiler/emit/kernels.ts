import { invariant } from "../assert.js";
import type { AnyEqn, Operand, Shape, TensorType } from "../ir/types.js";
import { formatEqn } from "../ir/print.js";
import {
  type ElementExpr,
  type Kernel,
  type KernelLet,
  type KernelStore,
  k,
  printKernelJs,
} from "../kernel/index.js";
import { type ElementContext, type Lowering, type OpKind, ops } from "../ops.js";
import type { FusedKernel } from "../passes/fuse.js";
import { broadcastIndex, countIndex } from "./expr.js";
import { NameScope, identifier, kernelLocals } from "./names.js";

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
  /** The kernel IR that `body` (and its wasm function) is printed from. */
  readonly ir: Kernel;
}

/** The name of a value computed inside a kernel's loop. */
function local(value: string): string {
  return `v${identifier(value)}`;
}

/** The source of a fused elementwise kernel: its kernel IR, printed as JavaScript. */
export function fusedKernelCode(
  kernel: FusedKernel,
  types: ReadonlyMap<string, TensorType>,
  batch: string,
  where: (eqn: AnyEqn) => string,
  inline: ReadonlyMap<string, AnyEqn>,
  /** Where a value is stored: an output stored where an input is (an update in place) reuses its parameter. */
  storageOf: (value: string) => string = (v) => v,
): KernelCode {
  const { ir, values } = fusedKernel(kernel, types, batch, inline, storageOf);
  return {
    name: kernel.name,
    doc: kernel.eqns.map((e) => `${e.out} = ${formatEqn(e)}  (${where(e)})`),
    params: ir.buffers,
    buffers: values,
    body: printKernelJs(ir),
    ir,
  };
}

/**
 * A fused kernel in kernel IR: one let per load (each distinct operand and index once, in order
 * of first use), one per equation (its op row's expression of its operands), one per `size`
 * value it reads (computed from dimensions, so printers hoist it out of the loop), and a store
 * per output.
 *
 * Assumes: the kernel's equations are elementwise, each operand a constant, an earlier member,
 * an inline value or one of `kernel.inputs`. Guarantees: buffers are the inputs, then the
 * outputs not stored where an input is (an update in place stores to the input's buffer);
 * `values` names the value whose buffer each parameter receives.
 */
export function fusedKernel(
  kernel: FusedKernel,
  types: ReadonlyMap<string, TensorType>,
  batch: string,
  inline: ReadonlyMap<string, AnyEqn>,
  storageOf: (value: string) => string = (v) => v,
): { readonly ir: Kernel; readonly values: readonly string[] } {
  const shapeOf = (v: string): Shape => types.get(v)?.shape ?? [];
  const lets: KernelLet[] = [];
  const localOf = new Map<string, number>();
  const addLet = (key: string, name: string, value: ElementExpr): ElementExpr => {
    localOf.set(key, lets.length);
    lets.push({ name, value });
    return k.local(lets.length - 1);
  };
  let loads = 0;

  const operandExpr = (eqn: AnyEqn, operand: Operand, index: number): ElementExpr => {
    if (operand.kind === "const") return k.c(operand.value);
    const known = localOf.get(operand.name);
    if (known !== undefined) return k.local(known);
    const computed = inline.get(operand.name);
    if (computed) return addLet(operand.name, local(operand.name), elementExpr(computed, []));
    const lowering = ops[eqn.op].lowering as Lowering<OpKind>;
    const aligned =
      lowering.kind === "elementwise" && lowering.operandShape
        ? lowering.operandShape(shapeOf(operand.name), index)
        : shapeOf(operand.name);
    const buffer = kernel.inputs.indexOf(operand.name);
    invariant(buffer >= 0, `${operand.name} is read by kernel ${kernel.name} but not an input`);
    const at = broadcastIndex(aligned, kernel.domain, batch);
    const key = `${operand.name}|${JSON.stringify(at)}`;
    const loaded = localOf.get(key);
    if (loaded !== undefined) return k.local(loaded);
    const name = `${identifier(operand.name)}_${loads++}`;
    return addLet(key, name, k.load(buffer, at));
  };

  /** An equation's element from its operands' elements. */
  function elementExpr(eqn: AnyEqn, operands: readonly ElementExpr[]): ElementExpr {
    const lowering = ops[eqn.op].lowering as Lowering<OpKind>;
    invariant(lowering.kind === "elementwise", `${eqn.op} is not elementwise`);
    const context: ElementContext = {
      shapes: eqn.args.map((a) => (a.kind === "const" ? [] : shapeOf(a.name))),
      count: (dims) => countIndex(dims, batch),
    };
    return lowering.expr(operands, eqn.attrs as never, context);
  }

  for (const eqn of kernel.eqns) {
    const operands = eqn.args.map((a, index) => operandExpr(eqn, a, index));
    addLet(eqn.out, local(eqn.out), elementExpr(eqn, operands));
  }
  const buffers = [...kernel.inputs];
  const stores: KernelStore[] = kernel.outputs.map((out) => {
    const input = kernel.inputs.findIndex((v) => storageOf(v) === storageOf(out));
    const buffer = input >= 0 ? input : buffers.push(out) - 1;
    return { buffer, local: localOf.get(out)! };
  });
  const ir: Kernel = {
    name: kernel.name,
    size: countIndex(kernel.domain, batch),
    ...scopedNames(buffers, lets),
    stores,
  };
  return { ir, values: buffers };
}

/**
 * The source of a layout kernel (transpose, slice, concat) for one equation: one loop over the
 * output whose element is its op row's expression, loads of the operands at index expressions.
 */
export function layoutKernelCode(
  name: string,
  eqn: AnyEqn,
  types: ReadonlyMap<string, TensorType>,
  batch: string,
  where: string,
): KernelCode {
  const lowering = ops[eqn.op].lowering as Lowering<OpKind>;
  invariant(lowering.kind === "layout", `${eqn.op} is not a layout op`);
  const inputs = eqn.args.map((a) => {
    invariant(a.kind === "value", `${eqn.op} copies values, not constants`);
    return a.name;
  });
  const context: ElementContext = {
    shapes: inputs.map((v) => types.get(v)?.shape ?? []),
    count: (dims) => countIndex(dims, batch),
  };
  const buffers = [...inputs, eqn.out];
  const ir: Kernel = {
    name,
    size: countIndex(types.get(eqn.out)?.shape ?? [], batch),
    ...scopedNames(buffers, [
      { name: local(eqn.out), value: lowering.expr(eqn.attrs as never, context) },
    ]),
    stores: [{ buffer: inputs.length, local: 0 }],
  };
  return {
    name,
    doc: [`${eqn.out} = ${formatEqn(eqn)}  (${where})`],
    params: ir.buffers,
    buffers,
    body: printKernelJs(ir),
    ir,
  };
}

/**
 * A kernel function's parameters (one per buffer) and lets, named in one scope: distinct from
 * each other, from the kernel's own locals and from the globals its body calls (`Math`), however
 * the values are named (`x_0` loaded from `x` beside a buffer `x_0`, `vx` beside `x`'s let).
 */
function scopedNames(
  buffers: readonly string[],
  lets: readonly KernelLet[],
): { buffers: string[]; lets: KernelLet[] } {
  const scope = new NameScope(kernelLocals);
  return {
    buffers: buffers.map((b) => scope.claim(b)),
    lets: lets.map((l) => ({ ...l, name: scope.claim(l.name) })),
  };
}
