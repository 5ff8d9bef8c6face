/**
 * Max pooling in WebAssembly on a backend's memory (the module: pool2d-kernels.ts), the
 * semantics of runtime/cpu/pool.ts bit for bit. Compiles once per precision and sharing of the
 * memory (the module is about 1 KiB: synchronous compilation is fine on a browser's main
 * thread), instantiates per memory. Assumes the arrays it is given are views on that memory in
 * its precision and hold the geometry's elements (the backend checks sizes). Browser-safe.
 */
import type { FloatArray, PoolGeometry } from "../backend.js";
import { type PoolPrecision, buildPool2dModule, vectorColumns } from "./pool2d-kernels.js";
import type { MemoryLimits } from "./writer.js";

export type { PoolPrecision } from "./pool2d-kernels.js";
export { vectorColumns } from "./pool2d-kernels.js";

interface PoolExports {
  forward(...args: number[]): void;
  backward(...args: number[]): void;
}

const modules = new Map<string, WebAssembly.Module>();

function isShared(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
}

/** The pooling module of one precision instantiated on a memory (compiled once per kind). */
export class WasmPool2d {
  private readonly exports: PoolExports;

  constructor(
    readonly memory: WebAssembly.Memory,
    readonly precision: PoolPrecision,
  ) {
    const shared = isShared(memory);
    const key = `${precision} ${shared ? "shared" : ""}`;
    let compiled = modules.get(key);
    if (compiled === undefined) {
      const limits: MemoryLimits = shared ? { initial: 0, maximum: 65536, shared } : { initial: 0 };
      compiled = new WebAssembly.Module(buildPool2dModule(precision, limits));
      modules.set(key, compiled);
    }
    this.exports = new WebAssembly.Instance(compiled, { env: { memory } })
      .exports as unknown as PoolExports;
  }

  /** y = the maximum of each window of x; both views on the memory, of its precision. */
  forward(x: FloatArray, y: FloatArray, g: PoolGeometry): void {
    const { height, width, size, stride, outH, outW } = g;
    this.exports.forward(
      x.byteOffset,
      y.byteOffset,
      g.batch * g.channels,
      height,
      width,
      size,
      stride,
      outH,
      outW,
      vectorColumns(g, this.precision),
    );
  }

  /** dx = dy routed to the first maximum of each window of x, zero elsewhere. */
  backward(x: FloatArray, dy: FloatArray, dx: FloatArray, g: PoolGeometry): void {
    const { batch, channels, height, width, size, stride, outH, outW } = g;
    dx.fill(0, 0, batch * channels * height * width);
    this.exports.backward(
      x.byteOffset,
      dy.byteOffset,
      dx.byteOffset,
      batch * channels,
      height,
      width,
      size,
      stride,
      outH,
      outW,
      vectorColumns(g, this.precision),
    );
  }
}
