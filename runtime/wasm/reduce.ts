/**
 * Reductions (sum, max), softmax, log-softmax and dropout masks in WebAssembly on a backend's
 * memory: the semantics of runtime/cpu/reduce.ts, softmax.ts and dropout.ts bit for bit (the
 * kernels: reduce-kernels.ts, softmax-kernels.ts, dropout-kernels.ts, one module per precision
 * and sharing of the memory, compiled once, about 2 KiB).
 *
 * Assumes: the arrays it is given are views on the memory in its precision and hold the
 * elements of the call (the backend checks sizes). Guarantees: given a pool, a call whose work
 * is large enough splits the output columns (o, i) of [outer, inner] over the threads, never
 * the summed axis, so every thread count gives the bits of one; a call whose output overlaps
 * its input other than exactly (softmax in place) runs on the calling thread, in the order that
 * makes the aliasing reduce.ts allows safe. Dropout runs on the calling thread: its generator
 * is one sequential stream. Browser-safe.
 */
import type { FloatArray } from "../backend.js";
import { defineDropout } from "./dropout-kernels.js";
import type { WorkerPool } from "./pool.js";
import { BLOCK_COLUMNS, type ReducePrecision, defineReductions } from "./reduce-kernels.js";
import { defineSoftmaxes, importMath } from "./softmax-kernels.js";
import { type MemoryLimits, ModuleBuilder } from "./writer.js";

export type { ReducePrecision } from "./reduce-kernels.js";

type ColumnFunction = (
  begin: number,
  end: number,
  x: number,
  y: number,
  mid: number,
  inner: number,
) => void;

interface ReduceExports {
  sum: ColumnFunction;
  max: ColumnFunction;
  softmax: ColumnFunction;
  log_softmax: ColumnFunction;
  dropout(mask: number, size: number, state: number, rate: number, keep: number): void;
}

type ColumnExport = "sum" | "max" | "softmax" | "log_softmax";

/**
 * Elements of input below which a part is not worth a thread. The reductions stream x at
 * memory speed (sum over [1, 128, 1024] f32: about 30 us on one thread here, and no faster
 * split in two on this busy 2-core machine), so only larger ones split; the softmaxes cost a
 * Math.exp call (10-40 ns) an element.
 */
const GRAIN: Readonly<Record<ColumnExport, number>> = {
  sum: 1 << 17,
  max: 1 << 17,
  softmax: 1 << 12,
  log_softmax: 1 << 12,
};

/** Builds the module; `memory` must match the limits (and sharing) of the memory it runs on. */
export function buildReduceModule(precision: ReducePrecision, memory: MemoryLimits): Uint8Array {
  const m = new ModuleBuilder();
  m.importMemory("env", "memory", memory);
  const math = importMath(m);
  defineReductions(m, precision);
  defineSoftmaxes(m, precision, math);
  defineDropout(m, precision);
  return m.bytes();
}

const modules = new Map<string, WebAssembly.Module>();

function isShared(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
}

/** The module of one precision for a memory like `memory`, compiled once per kind. */
export function reduceModule(
  precision: ReducePrecision,
  memory: WebAssembly.Memory,
): WebAssembly.Module {
  const shared = isShared(memory);
  const key = `${precision} ${shared ? "shared" : ""}`;
  let compiled = modules.get(key);
  if (compiled === undefined) {
    const limits: MemoryLimits = shared ? { initial: 0, maximum: 65536, shared } : { initial: 0 };
    compiled = new WebAssembly.Module(buildReduceModule(precision, limits));
    modules.set(key, compiled);
  }
  return compiled;
}

/** The module instantiated on a memory (and, given a pool of several threads, on its workers). */
export class WasmReductions {
  private readonly exports: ReduceExports;
  private readonly pooled: { readonly pool: WorkerPool; readonly id: number } | undefined;
  private readonly elementBytes: number;
  /** The pool's arguments after (begin, end): x, y, mid, inner. */
  private readonly args = [0, 0, 0, 0];

  constructor(
    readonly memory: WebAssembly.Memory,
    readonly precision: ReducePrecision,
    pool?: WorkerPool,
  ) {
    const module = reduceModule(precision, memory);
    this.elementBytes = precision === "f32" ? 4 : 8;
    if (pool !== undefined && pool.threads > 1) {
      const id = pool.register(module);
      this.pooled = { pool, id };
      this.exports = pool.instance(id).exports as unknown as ReduceExports;
    } else {
      this.pooled = undefined;
      const imports = { env: { memory }, math: { exp: Math.exp, log: Math.log } };
      this.exports = new WebAssembly.Instance(module, imports).exports as unknown as ReduceExports;
    }
  }

  /** y[o, i] = sum over j of x[o, j, i] (see runtime/cpu/reduce.ts). */
  sum(x: FloatArray, y: FloatArray, outer: number, mid: number, inner: number): void {
    this.columns("sum", x, y, outer, mid, inner, true);
  }

  /** y[o, i] = max over j of x[o, j, i], NaN-propagating (see runtime/cpu/reduce.ts). */
  max(x: FloatArray, y: FloatArray, outer: number, mid: number, inner: number): void {
    this.columns("max", x, y, outer, mid, inner, true);
  }

  /** y = softmax of x along the middle axis (see runtime/cpu/softmax.ts). */
  softmax(x: FloatArray, y: FloatArray, outer: number, mid: number, inner: number): void {
    this.columns("softmax", x, y, outer, mid, inner, false);
  }

  /** y = log-softmax of x along the middle axis (see runtime/cpu/softmax.ts). */
  logSoftmax(x: FloatArray, y: FloatArray, outer: number, mid: number, inner: number): void {
    this.columns("log_softmax", x, y, outer, mid, inner, false);
  }

  /**
   * The first `size` elements of `mask`: 0 with probability `rate`, else `keep`, drawn from the
   * xoshiro128** state at byte `state` of the memory (four u32 words, advanced in place).
   */
  dropout(mask: FloatArray, size: number, state: number, rate: number, keep: number): void {
    this.exports.dropout(mask.byteOffset, size, state, rate, keep);
  }

  private columns(
    name: ColumnExport,
    x: FloatArray,
    y: FloatArray,
    outer: number,
    mid: number,
    inner: number,
    reduced: boolean,
  ): void {
    const total = outer * inner;
    if (total <= 0) return;
    const pooled = this.pooled;
    const size = outer * mid * inner;
    const grain = Math.ceil(GRAIN[name] / Math.max(1, mid));
    const split = pooled !== undefined && total >= 2 * grain;
    if (split && this.separate(x, y, size, reduced ? total : size)) {
      const args = this.args;
      args[0] = x.byteOffset;
      args[1] = y.byteOffset;
      args[2] = mid;
      args[3] = inner;
      pooled.pool.parallelFor(pooled.id, name, args, total, grain, BLOCK_COLUMNS);
      return;
    }
    this.exports[name](0, total, x.byteOffset, y.byteOffset, mid, inner);
  }

  /**
   * Whether threads may split the call: y (its `yElements` written) and x (`xElements` read)
   * disjoint, or the same elements (in place: each column then touches only its own).
   */
  private separate(x: FloatArray, y: FloatArray, xElements: number, yElements: number): boolean {
    const x0 = x.byteOffset;
    const y0 = y.byteOffset;
    if (x0 === y0 && xElements === yElements) return true;
    const E = this.elementBytes;
    return y0 + yElements * E <= x0 || x0 + xElements * E <= y0;
  }
}
