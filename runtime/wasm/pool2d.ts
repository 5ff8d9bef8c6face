/**
 * Max pooling in WebAssembly on a backend's memory (the module: pool2d-kernels.ts), the
 * semantics of runtime/cpu/pool.ts bit for bit. Compiles once per precision and sharing of the
 * memory (the module is about 1 KiB: synchronous compilation is fine on a browser's main
 * thread), instantiates per memory. Assumes the arrays it is given are views on that memory in
 * its precision and hold the geometry's elements (the backend checks sizes). Given a pool,
 * large calls split their (image, channel) planes over its threads: planes are independent,
 * so the bits are those of one thread. Browser-safe.
 */
import type { FloatArray, PoolGeometry } from "../backend.js";
import { type PoolPrecision, buildPool2dModule, vectorColumns } from "./pool2d-kernels.js";
import type { WorkerPool } from "./pool.js";
import type { MemoryLimits } from "./writer.js";

export type { PoolPrecision } from "./pool2d-kernels.js";
export { vectorColumns } from "./pool2d-kernels.js";

interface PoolExports {
  forward_planes(...args: number[]): void;
  backward_planes(...args: number[]): void;
}

/** Window elements below which a part is not worth a thread (about 30 us of work). */
const PLANE_WORK = 1 << 15;

const modules = new Map<string, WebAssembly.Module>();

function isShared(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
}

/**
 * The pooling module of one precision instantiated on a memory (compiled once per kind); given
 * a pool of more than one thread, large calls split their (image, channel) planes over it.
 */
export class WasmPool2d {
  private readonly exports: PoolExports;
  private readonly pooled: { readonly pool: WorkerPool; readonly id: number } | undefined;
  /** The arguments after (begin, end), reused. */
  private readonly args: number[] = [];

  constructor(
    readonly memory: WebAssembly.Memory,
    readonly precision: PoolPrecision,
    pool?: WorkerPool,
    /** Window elements below which a part is not worth a thread (tests force splits with 1). */
    private readonly planeWork = PLANE_WORK,
  ) {
    const shared = isShared(memory);
    const key = `${precision} ${shared ? "shared" : ""}`;
    let compiled = modules.get(key);
    if (compiled === undefined) {
      const limits: MemoryLimits = shared ? { initial: 0, maximum: 65536, shared } : { initial: 0 };
      compiled = new WebAssembly.Module(buildPool2dModule(precision, limits));
      modules.set(key, compiled);
    }
    if (pool !== undefined && pool.threads > 1) {
      const id = pool.register(compiled);
      this.pooled = { pool, id };
      this.exports = pool.instance(id).exports as unknown as PoolExports;
    } else {
      this.exports = new WebAssembly.Instance(compiled, { env: { memory } })
        .exports as unknown as PoolExports;
    }
  }

  /** y = the maximum of each window of x; both views on the memory, of its precision. */
  forward(x: FloatArray, y: FloatArray, g: PoolGeometry): void {
    this.planes("forward_planes", g, x.byteOffset, y.byteOffset);
  }

  /** dx = dy routed to the first maximum of each window of x, zero elsewhere. */
  backward(x: FloatArray, dy: FloatArray, dx: FloatArray, g: PoolGeometry): void {
    this.planes("backward_planes", g, x.byteOffset, dy.byteOffset, dx.byteOffset);
  }

  private planes(name: keyof PoolExports, g: PoolGeometry, ...buffers: number[]): void {
    const { height, width, size, stride, outH, outW } = g;
    const args = this.args;
    args.length = 0;
    args.push(...buffers, height, width, size, stride, outH, outW);
    args.push(vectorColumns(g, this.precision));
    const planes = g.batch * g.channels;
    const pooled = this.pooled;
    if (pooled === undefined) {
      this.exports[name](0, planes, ...args);
      return;
    }
    const grain = Math.max(1, Math.ceil(this.planeWork / Math.max(1, height * width)));
    pooled.pool.parallelFor(pooled.id, name, args, planes, grain);
  }
}
