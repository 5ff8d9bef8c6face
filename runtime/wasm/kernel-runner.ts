/**
 * The fused-kernel runner of WasmBackend: which kernels have a wasm body, and running one over
 * `size` elements, on the calling thread or split over a worker pool's threads.
 *
 * Assumes: the buffers given to `run` of a kernel with a wasm body lie on the memory the body
 * was instantiated against (the backend's arena); kernels without one run their `cpu` function.
 * Guarantees: every split gives the bits of one call (each element depends only on its own
 * index); `run` allocates nothing (the pooled arguments are one reused array).
 *
 * Browser-safe: no `node:` imports.
 */
import type { FloatArray, Kernel, KernelWasm, Precision } from "../backend.js";
import { type WasmKernelFunction, compileKernels, instantiateKernels } from "./kernels.js";
import type { WorkerPool } from "./pool.js";

/**
 * The wasm body of a kernel: elements `[begin, end)` of the kernel's `cpu(size, n, ...buffers)`,
 * each buffer passed as its byte offset in the backend's memory (0 for a buffer the kernel does
 * not take). See runtime/wasm/kernels.ts.
 */
export type WasmKernelBody = WasmKernelFunction;

/**
 * Elements below which a fused kernel's part is not worth a thread (a kernel runs at roughly
 * 1-4 ns per element, so this is 30-100 us of work per part).
 */
const KERNEL_GRAIN = 1 << 15;

/** Where the pool finds a kernel's body when the kernel is split over threads. */
export interface PooledKernel {
  readonly moduleId: number;
  readonly exportName: string;
}

/** A kernel's wasm body, and where the pool finds it when the kernel is split over threads. */
export interface KernelEntry {
  readonly body: WasmKernelBody;
  readonly pooled?: PooledKernel;
}

/** Kernels' wasm bodies on one memory, and their runs; see the module comment. */
export class WasmKernelRunner {
  /** Wasm bodies attached to kernels (see attach and prepare). */
  private readonly bodies = new Map<Kernel, KernelEntry>();
  /** The arguments (n, ...byteOffsets) of a kernel split over threads, reused. */
  private readonly pooledArgs = new Array<number>(13).fill(0);

  /**
   * @param memory the memory every buffer lives in.
   * @param pool the pool to split large kernels over (more than one thread), or none.
   */
  constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly precision: Precision,
    private readonly pool: WorkerPool | undefined,
  ) {}

  /** From now on `run(kernel, ...)` calls `body`, when the kernel record has a `wasm` entry. */
  attach(kernel: Kernel, body: WasmKernelBody): void {
    this.bodies.set(kernel, { body });
  }

  /**
   * Compiles the kernels' WebAssembly of its precision against its memory, once per model;
   * with a pool, instantiates it on every thread so that large kernels split over them.
   */
  prepare(wasm: KernelWasm, kernels: readonly Kernel[]): void {
    const pool = this.pool;
    if (pool === undefined) {
      const functions = instantiateKernels(wasm, this.precision, this.memory, kernels);
      for (const [kernel, fn] of functions) this.attach(kernel, fn);
      return;
    }
    const module = compileKernels(wasm, this.precision, true);
    const moduleId = pool.register(module);
    const instance = pool.instance(moduleId);
    for (const kernel of kernels) {
      if (kernel.wasm === undefined) continue;
      const exportName = String(kernel.wasm);
      const fn = instance.exports[exportName];
      if (typeof fn !== "function") {
        throw new Error(`the kernels' WebAssembly has no function ${exportName} (${kernel.name})`);
      }
      const body = fn as unknown as WasmKernelBody;
      this.bodies.set(kernel, { body, pooled: { moduleId, exportName } });
    }
  }

  /** The kernel's wasm body, if it has one. */
  entryOf(kernel: Kernel): KernelEntry | undefined {
    return kernel.wasm === undefined ? undefined : this.bodies.get(kernel);
  }

  /** Backend.run: the wasm body (split over the pool when large), else `kernel.cpu`. */
  run(
    kernel: Kernel,
    size: number,
    n: number,
    a?: FloatArray,
    b?: FloatArray,
    c?: FloatArray,
    d?: FloatArray,
    e?: FloatArray,
    f?: FloatArray,
    g?: FloatArray,
    h?: FloatArray,
    i?: FloatArray,
    j?: FloatArray,
    k?: FloatArray,
    l?: FloatArray,
  ): void {
    const entry = this.entryOf(kernel);
    if (entry === undefined) {
      kernel.cpu(size, n, a, b, c, d, e, f, g, h, i, j, k, l);
      return;
    }
    const pooled = entry.pooled;
    if (pooled !== undefined && size >= 2 * KERNEL_GRAIN) {
      // Every element depends only on its own index: any split gives the same bits.
      const args = this.pooledArgsOf(n, a, b, c, d, e, f, g, h, i, j, k, l);
      this.pool!.parallelFor(pooled.moduleId, pooled.exportName, args, size, KERNEL_GRAIN, 4);
      return;
    }
    callBody(entry.body, size, n, a, b, c, d, e, f, g, h, i, j, k, l);
  }

  /**
   * The arguments (n, byte offsets of a..l) of a kernel split over threads, in the one reused
   * array: valid until the next call.
   */
  pooledArgsOf(
    n: number,
    a?: FloatArray,
    b?: FloatArray,
    c?: FloatArray,
    d?: FloatArray,
    e?: FloatArray,
    f?: FloatArray,
    g?: FloatArray,
    h?: FloatArray,
    i?: FloatArray,
    j?: FloatArray,
    k?: FloatArray,
    l?: FloatArray,
  ): readonly number[] {
    const args = this.pooledArgs;
    args[0] = n;
    args[1] = offsetOf(a);
    args[2] = offsetOf(b);
    args[3] = offsetOf(c);
    args[4] = offsetOf(d);
    args[5] = offsetOf(e);
    args[6] = offsetOf(f);
    args[7] = offsetOf(g);
    args[8] = offsetOf(h);
    args[9] = offsetOf(i);
    args[10] = offsetOf(j);
    args[11] = offsetOf(k);
    args[12] = offsetOf(l);
    return args;
  }
}

/** A kernel's wasm body over all `size` elements, on the calling thread. */
export function callBody(
  body: WasmKernelBody,
  size: number,
  n: number,
  a?: FloatArray,
  b?: FloatArray,
  c?: FloatArray,
  d?: FloatArray,
  e?: FloatArray,
  f?: FloatArray,
  g?: FloatArray,
  h?: FloatArray,
  i?: FloatArray,
  j?: FloatArray,
  k?: FloatArray,
  l?: FloatArray,
): void {
  body(
    0,
    size,
    n,
    offsetOf(a),
    offsetOf(b),
    offsetOf(c),
    offsetOf(d),
    offsetOf(e),
    offsetOf(f),
    offsetOf(g),
    offsetOf(h),
    offsetOf(i),
    offsetOf(j),
    offsetOf(k),
    offsetOf(l),
  );
}

/** A buffer's byte offset in the memory, 0 for an absent one. */
function offsetOf(buffer: FloatArray | undefined): number {
  return buffer === undefined ? 0 : buffer.byteOffset;
}
