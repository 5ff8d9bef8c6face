/**
 * The fast CPU backend ("cpu", variant "wasm"): every buffer lives in one WebAssembly.Memory
 * (see memory.ts) and is a Float32Array or Float64Array view on it, so the same buffer is
 * indexed by the emitted JS kernel bodies and, through its `byteOffset`, by wasm code.
 *
 * Assumes: buffers given to it come from its own `alloc` (wasm code reads them by offset in
 * its memory; GEMM falls back to the JS one for a typed array that is not on the memory).
 * Guarantees: the Backend contract. GEMM, and the GEMMs of convolution, run in WebAssembly SIMD
 * (gemm.ts: relaxed_madd when the engine accepts it, else mul+add; f32 accumulates in f32 like
 * BLAS, so f32 results differ from the JS reference, which accumulates in double, by rounding).
 * Max pooling runs in wasm too (pool2d.ts, bit for bit the JS functions; those serve arrays
 * not on the memory), and so do the convolutions' per-image loops (conv2d.ts: im2col, GEMM,
 * col2im in one wasm driver; runtime/cpu/conv.ts for arrays not on the memory), the
 * reductions, softmaxes and dropout masks (reduce.ts, bit for bit the JS functions of
 * runtime/cpu, which serve arrays not on the memory). Scratch (packed GEMM panels, im2col
 * columns) is allocated in the arena, grown on demand and kept, so a step allocates nothing.
 * Given a worker pool (created by the caller: in Node, node-pool.ts), it allocates in the
 * pool's memory and splits GEMMs over columns, large fused kernels over elements, large
 * reductions and softmaxes over output columns, convolutions over images and pooling over
 * planes across its threads, with the bits of 1 thread (docs/internals.md, "Threads"); without
 * one, it runs on the calling thread.
 *
 * Browser-safe: no `node:` imports.
 */
import { checkGemm, copyHost, fillHost, readHost, writeHost } from "../cpu/host-arrays.js";
import type {
  Backend,
  Buffer,
  ConvGeometry,
  FloatArray,
  GemmProvider,
  Kernel,
  KernelWasm,
  MetricLayout,
  PoolGeometry,
  Precision,
} from "../backend.js";
import { ACCUMULATE, METRIC_SUM_COUNT, TRANS_A, TRANS_B } from "../backend.js";
import { checkConv, checkPool, checkReduce, need } from "../cpu/checks.js";
import { colSize, conv2dForward, conv2dGradInput, conv2dGradWeight } from "../cpu/conv.js";
import { fillDropoutMask } from "../cpu/dropout.js";
import { gemmOne } from "../cpu/gemm.js";
import { accumulateMetricsHost } from "../cpu/metric-sums.js";
import { maxpool2dBackward, maxpool2dForward } from "../cpu/pool.js";
import { maxMiddle, sumMiddle } from "../cpu/reduce.js";
import { logSoftmaxMiddle, softmaxMiddle } from "../cpu/softmax.js";
import { Random, RandomStream } from "../random.js";
import { WasmGemm, depthBlock, gemmScratchBytes } from "./gemm.js";
import { WasmSmallGemm, smallGemmScratchBytes } from "./gemm-small.js";
import { WasmConv2d } from "./conv2d.js";
import { WasmEpilogue } from "./epilogue.js";
import { type WasmKernelFunction, compileKernels, instantiateKernels } from "./kernels.js";
import { type ArenaOptions, WasmArena } from "./memory.js";
import { WasmPool2d } from "./pool2d.js";
import type { WorkerPool } from "./pool.js";
import { WasmReductions } from "./reduce.js";
import { relaxedSimdSupported } from "./relaxed-simd.js";

/** Options of createWasmBackend. */
export interface WasmBackendOptions {
  /** Element type of every buffer: Float32Array ("f32", the default) or Float64Array. */
  readonly precision?: Precision;
  /**
   * Threads asked for (a positive integer). The backend runs on its pool's threads (1 without
   * a pool); with a pool, this must be the pool's count when given.
   */
  readonly threads?: number;
  /**
   * The worker pool to run on (its memory becomes the backend's; a shared memory made by
   * `createSharedMemory`). The caller keeps ownership: it disposes the pool after the backend.
   */
  readonly pool?: WorkerPool;
  /** How the memory is created (shared or reserved up front); see WasmArena. */
  readonly memory?: ArenaOptions;
  /**
   * Use relaxed SIMD (`f32x4.relaxed_madd`); by default, whenever the engine accepts it. In
   * Node 20 it must be enabled first (`enableRelaxedSimd()`, runtime/wasm/node-relaxed-simd.ts).
   */
  readonly relaxed?: boolean;
  /** A GEMM tried first (system BLAS in Node); it pins its threads to the backend's. */
  readonly gemm?: GemmProvider;
}

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

/** A kernel's wasm body, and where the pool finds it when the kernel is split over threads. */
interface KernelEntry {
  readonly body: WasmKernelBody;
  readonly pooled?: { readonly moduleId: number; readonly exportName: string };
}

/** A backend whose buffers are views on one WebAssembly.Memory; see the module comment. */
export class WasmBackend implements Backend {
  readonly name = "cpu";
  readonly variant = "wasm";
  readonly precision: Precision;
  /** The memory every buffer lives in, and its allocator. */
  readonly arena: WasmArena;
  /** Threads asked for in the options. */
  readonly requestedThreads: number;
  /** Threads it runs on: its pool's. */
  readonly threads: number;
  /** The pool it runs on, when it has more than one thread. */
  private readonly pool: WorkerPool | undefined;
  /** The arguments (n, ...byteOffsets) of a kernel split over threads, reused. */
  private readonly kernelArgs = new Array<number>(13).fill(0);
  /** Whether its wasm code uses relaxed SIMD (`f32x4.relaxed_madd`). */
  readonly relaxed: boolean;
  /** GEMM in wasm on the arena's memory. */
  private readonly wasmGemm: WasmGemm;
  /** Its one-call path for products of little work (same bits). */
  private readonly smallGemm: WasmSmallGemm;
  /** gemmThen in one dispatch, with a pool. */
  private readonly epilogue: WasmEpilogue | undefined;
  /** Bytes of one element. */
  private readonly elementBytes: number;
  /** Max pooling in wasm on the arena's memory. */
  private readonly wasmPool2d: WasmPool2d;
  /** Convolutions in wasm on the arena's memory (per-image loops split over the pool). */
  private readonly wasmConv2d: WasmConv2d;
  /** Packed-panel scratch of the wasm GEMM, in the arena, grown on demand. */
  private gemmScratch: Uint8Array;
  /** The GEMM tried first, if any (see GemmProvider). */
  readonly gemmProvider: GemmProvider | undefined;
  /** im2col scratch (JS heap) for convolutions of arrays not on the memory. */
  private columns: FloatArray = new Float64Array(0);
  /** Reductions, softmaxes and dropout masks in wasm on the arena's memory. */
  private readonly wasmReduce: WasmReductions;
  /** The dropout generator's state in the arena, for the wasm dropout (see dropoutMask). */
  private readonly randomState: Uint32Array;
  /** Per-column accumulators of the JS reductions and softmaxes (always double, JS heap). */
  private scratchA = new Float64Array(0);
  private scratchB = new Float64Array(0);
  private random = new Random(0, RandomStream.dropout);
  /** Wasm bodies attached to kernels (see attachWasmKernel). */
  private readonly wasmBodies = new Map<Kernel, KernelEntry>();

  constructor(options: WasmBackendOptions = {}) {
    this.precision = options.precision ?? "f32";
    if (this.precision !== "f32" && this.precision !== "f64") {
      throw new RangeError(`unknown precision ${String(this.precision)}`);
    }
    const threads = options.threads ?? 1;
    if (!(Number.isInteger(threads) && threads >= 1)) {
      throw new RangeError(`threads must be a positive integer, not ${String(threads)}`);
    }
    this.requestedThreads = threads;
    const pool = options.pool;
    if (pool !== undefined && options.threads !== undefined && threads !== pool.threads) {
      throw new RangeError(`threads ${threads} differ from the pool's ${pool.threads}`);
    }
    this.threads = pool?.threads ?? 1;
    this.pool = pool !== undefined && pool.threads > 1 ? pool : undefined;
    this.arena = new WasmArena(
      pool !== undefined ? { memory: pool.memory as WebAssembly.Memory } : options.memory,
    );
    const relaxed = options.relaxed ?? relaxedSimdSupported();
    if (relaxed && !relaxedSimdSupported()) {
      throw new RangeError("this engine does not accept relaxed SIMD (f32x4.relaxed_madd)");
    }
    this.relaxed = relaxed;
    this.wasmGemm = new WasmGemm(this.arena.memory, { precision: this.precision, relaxed });
    if (this.pool !== undefined) this.wasmGemm.useThreads(this.pool);
    this.smallGemm = new WasmSmallGemm(this.arena.memory, this.wasmGemm.config);
    this.epilogue =
      this.pool === undefined ? undefined : new WasmEpilogue(this.arena, this.wasmGemm, this.pool);
    this.elementBytes = this.precision === "f64" ? 8 : 4;
    this.wasmPool2d = new WasmPool2d(this.arena.memory, this.precision, this.pool);
    this.wasmReduce = new WasmReductions(this.arena.memory, this.precision, this.pool);
    const state = this.arena.u8(16);
    this.randomState = new Uint32Array(state.buffer, state.byteOffset, 4);
    this.gemmScratch = this.arena.u8(0);
    const scratchFor = (m: number, n: number, k: number): number => this.scratchFor(m, n, k);
    this.wasmConv2d = new WasmConv2d(
      this.arena,
      this.precision,
      this.wasmGemm,
      scratchFor,
      this.pool,
    );
    this.gemmProvider = options.gemm;
    this.gemmProvider?.setThreads?.(this.threads);
  }

  /** What it runs on, as the training header prints it. */
  get description(): string {
    const simd = this.relaxed ? "wasm-simd relaxed" : "wasm-simd";
    const blas = this.gemmProvider ? `, blas ${this.gemmProvider.name}` : "";
    return `cpu: ${simd}, ${this.threads} thread${this.threads === 1 ? "" : "s"}${blas}`;
  }

  /** The memory every buffer lives in (to instantiate wasm modules against). */
  get memory(): WebAssembly.Memory {
    return this.arena.memory;
  }

  alloc(size: number): Buffer {
    return this.precision === "f64" ? this.arena.f64(size) : this.arena.f32(size);
  }

  /** Hands a buffer of `alloc` back to the arena; it must not be used afterwards. */
  release(buffer: Buffer): void {
    this.arena.release(buffer);
  }

  /**
   * The hook for compiled kernels: from now on `run(kernel, ...)` calls `body` with the
   * buffers' byte offsets instead of `kernel.cpu`, when the kernel record has a `wasm` entry.
   */
  attachWasmKernel(kernel: Kernel, body: WasmKernelBody): void {
    this.wasmBodies.set(kernel, { body });
  }

  /**
   * Compiles the kernels' WebAssembly of its precision against its memory, once per model;
   * with a pool, instantiates it on every thread so that large kernels split over them.
   */
  prepareKernels(wasm: KernelWasm, kernels: readonly Kernel[]): void {
    const pool = this.pool;
    if (pool === undefined) {
      const functions = instantiateKernels(wasm, this.precision, this.arena.memory, kernels);
      for (const [kernel, fn] of functions) this.attachWasmKernel(kernel, fn);
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
      this.wasmBodies.set(kernel, { body, pooled: { moduleId, exportName } });
    }
  }

  write(dst: Buffer, data: ArrayLike<number>, offset = 0): void {
    writeHost(dst, data, offset);
  }

  read(src: Buffer, size?: number): FloatArray {
    return readHost(src, size);
  }

  copy(src: Buffer, dst: Buffer, size: number, srcOffset = 0, dstOffset = 0): void {
    copyHost(src, dst, size, srcOffset, dstOffset);
  }

  fill(dst: Buffer, value: number, size: number): void {
    fillHost(dst, value, size);
  }

  gemm(
    a: Buffer,
    b: Buffer,
    c: Buffer,
    m: number,
    n: number,
    k: number,
    flags: number,
    batch = 1,
    strideA = m * k,
    strideB = k * n,
    strideC = m * n,
  ): void {
    if (batch <= 0) return;
    checkGemm(a, b, c, m, n, k, batch, strideA, strideB, strideC);
    const provider = this.gemmProvider;
    if (provider?.gemm(a, b, c, m, n, k, flags, batch, strideA, strideB, strideC)) return;
    const arena = this.arena;
    if (arena.owns(a) && arena.owns(b) && arena.owns(c)) {
      this.wasmGemmOf(a, b, c, m, n, k, flags, batch, strideA, strideB, strideC);
      return;
    }
    const transA = (flags & TRANS_A) !== 0;
    const transB = (flags & TRANS_B) !== 0;
    const accumulate = (flags & ACCUMULATE) !== 0;
    for (let j = 0; j < batch; j++) {
      gemmOne(a, j * strideA, b, j * strideB, c, j * strideC, m, n, k, transA, transB, accumulate);
    }
  }

  /** The wasm GEMM of `gemm` (small path or blocked), all arrays on the memory. */
  private wasmGemmOf(
    a: Buffer,
    b: Buffer,
    c: Buffer,
    m: number,
    n: number,
    k: number,
    flags: number,
    batch: number,
    strideA: number,
    strideB: number,
    strideC: number,
  ): void {
    const pa = a.byteOffset;
    const pb = b.byteOffset;
    const pc = c.byteOffset;
    if (this.smallGemm.takes(m, n, k)) {
      const pack = this.scratch(smallGemmScratchBytes(n, k, this.elementBytes));
      const kc = depthBlock(k, this.precision);
      this.smallGemm.gemm(pa, pb, pc, m, n, k, flags, batch, strideA, strideB, strideC, kc, pack);
      return;
    }
    const scratch = this.scratchFor(m, n, k);
    this.wasmGemm.gemm(pa, pb, pc, m, n, k, flags, batch, strideA, strideB, strideC, scratch);
  }

  /**
   * The GEMM epilogue (Backend.gemmThen). With a pool, on the blocked path, one dispatch: each
   * thread runs the kernel on the elements of C its columns of the product wrote, right after
   * computing them (epilogue.ts). On 1 thread and on the small-GEMM path, the kernel runs on
   * the calling thread over all of C right after the product (still in cache). BLAS products,
   * kernels without a wasm body and arrays not on the memory: `gemm` then `run`. Every path
   * gives the bits of `gemm` then `run` (each element of the kernel depends only on its own).
   */
  gemmThen(
    a: Buffer,
    b: Buffer,
    c: Buffer,
    m: number,
    n: number,
    k: number,
    flags: number,
    kernel: Kernel,
    batchSize: number,
    ka?: Buffer,
    kb?: Buffer,
    kc?: Buffer,
    kd?: Buffer,
    ke?: Buffer,
    kf?: Buffer,
    kg?: Buffer,
    kh?: Buffer,
    ki?: Buffer,
    kj?: Buffer,
    kk?: Buffer,
    kl?: Buffer,
  ): void {
    const entry = kernel.wasm === undefined ? undefined : this.wasmBodies.get(kernel);
    const arena = this.arena;
    const fusable = m > 0 && n > 0 && k > 0 && arena.owns(a) && arena.owns(b) && arena.owns(c);
    const size = m * n;
    if (entry === undefined || !fusable) {
      this.gemm(a, b, c, m, n, k, flags);
      this.run(kernel, size, batchSize, ka, kb, kc, kd, ke, kf, kg, kh, ki, kj, kk, kl);
      return;
    }
    checkGemm(a, b, c, m, n, k, 1, m * k, k * n, size);
    if (this.gemmProvider?.gemm(a, b, c, m, n, k, flags, 1, m * k, k * n, size)) {
      this.run(kernel, size, batchSize, ka, kb, kc, kd, ke, kf, kg, kh, ki, kj, kk, kl);
      return;
    }
    const epilogue = this.epilogue;
    if (epilogue !== undefined && entry.pooled !== undefined && !this.smallGemm.takes(m, n, k)) {
      const args = this.setKernelArgs(batchSize, ka, kb, kc, kd, ke, kf, kg, kh, ki, kj, kk, kl);
      const scratch = this.scratchFor(m, n, k);
      const pooled = entry.pooled;
      epilogue.run(a.byteOffset, b.byteOffset, c.byteOffset, m, n, k, flags, scratch, pooled, args);
      return;
    }
    this.wasmGemmOf(a, b, c, m, n, k, flags, 1, m * k, k * n, size);
    callBody(entry.body, size, batchSize, ka, kb, kc, kd, ke, kf, kg, kh, ki, kj, kk, kl);
  }

  /** kernelArgs = (n, byte offsets of a..l), for a kernel split over threads. */
  private setKernelArgs(
    n: number,
    a?: Buffer,
    b?: Buffer,
    c?: Buffer,
    d?: Buffer,
    e?: Buffer,
    f?: Buffer,
    g?: Buffer,
    h?: Buffer,
    i?: Buffer,
    j?: Buffer,
    k?: Buffer,
    l?: Buffer,
  ): readonly number[] {
    const args = this.kernelArgs;
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

  run(
    kernel: Kernel,
    size: number,
    n: number,
    a?: Buffer,
    b?: Buffer,
    c?: Buffer,
    d?: Buffer,
    e?: Buffer,
    f?: Buffer,
    g?: Buffer,
    h?: Buffer,
    i?: Buffer,
    j?: Buffer,
    k?: Buffer,
    l?: Buffer,
  ): void {
    const entry = kernel.wasm === undefined ? undefined : this.wasmBodies.get(kernel);
    if (entry === undefined) {
      kernel.cpu(size, n, a, b, c, d, e, f, g, h, i, j, k, l);
      return;
    }
    const pooled = entry.pooled;
    if (pooled !== undefined && size >= 2 * KERNEL_GRAIN) {
      // Every element depends only on its own index: any split gives the same bits.
      const args = this.setKernelArgs(n, a, b, c, d, e, f, g, h, i, j, k, l);
      this.pool!.parallelFor(pooled.moduleId, pooled.exportName, args, size, KERNEL_GRAIN, 4);
      return;
    }
    callBody(entry.body, size, n, a, b, c, d, e, f, g, h, i, j, k, l);
  }

  sum(x: Buffer, y: Buffer, outer: number, mid: number, inner: number): void {
    checkReduce(x, y, outer, mid, inner, "sum", true);
    if (this.onMemory(x, y)) this.wasmReduce.sum(x, y, outer, mid, inner);
    else sumMiddle(x, y, outer, mid, inner, this.accumulators(inner));
  }

  max(x: Buffer, y: Buffer, outer: number, mid: number, inner: number): void {
    checkReduce(x, y, outer, mid, inner, "max", true);
    if (this.onMemory(x, y)) this.wasmReduce.max(x, y, outer, mid, inner);
    else maxMiddle(x, y, outer, mid, inner, this.accumulators(inner));
  }

  softmax(x: Buffer, y: Buffer, outer: number, mid: number, inner: number): void {
    checkReduce(x, y, outer, mid, inner, "softmax", false);
    if (this.onMemory(x, y)) {
      this.wasmReduce.softmax(x, y, outer, mid, inner);
      return;
    }
    const maxs = this.accumulators(inner);
    softmaxMiddle(x, y, outer, mid, inner, maxs, this.scratchB);
  }

  logSoftmax(x: Buffer, y: Buffer, outer: number, mid: number, inner: number): void {
    checkReduce(x, y, outer, mid, inner, "logSoftmax", false);
    if (this.onMemory(x, y)) {
      this.wasmReduce.logSoftmax(x, y, outer, mid, inner);
      return;
    }
    const maxs = this.accumulators(inner);
    logSoftmaxMiddle(x, y, outer, mid, inner, maxs, this.scratchB);
  }

  conv2d(x: Buffer, w: Buffer, y: Buffer, geometry: ConvGeometry): void {
    checkConv(geometry, x, w, y, "conv2d", "x", "w", "y");
    if (this.convInWasm(geometry, x, w, y)) this.wasmConv2d.forward(x, w, y, geometry);
    else conv2dForward(x, w, y, geometry, this.columnScratch(geometry));
  }

  conv2dGradInput(dy: Buffer, w: Buffer, dx: Buffer, geometry: ConvGeometry): void {
    checkConv(geometry, dx, w, dy, "conv2dGradInput", "dx", "w", "dy");
    if (this.convInWasm(geometry, dy, w, dx)) this.wasmConv2d.gradInput(dy, w, dx, geometry);
    else conv2dGradInput(dy, w, dx, geometry, this.columnScratch(geometry));
  }

  conv2dGradWeight(x: Buffer, dy: Buffer, dw: Buffer, geometry: ConvGeometry): void {
    checkConv(geometry, x, dw, dy, "conv2dGradWeight", "x", "dw", "dy");
    if (this.convInWasm(geometry, x, dy, dw)) this.wasmConv2d.gradWeight(x, dy, dw, geometry);
    else conv2dGradWeight(x, dy, dw, geometry, this.columnScratch(geometry));
  }

  maxpool2d(x: Buffer, y: Buffer, geometry: PoolGeometry): void {
    checkPool(geometry, x, y, "maxpool2d", "y");
    if (this.arena.owns(x) && this.arena.owns(y)) this.wasmPool2d.forward(x, y, geometry);
    else maxpool2dForward(x, y, geometry);
  }

  maxpool2dGrad(x: Buffer, dy: Buffer, dx: Buffer, geometry: PoolGeometry): void {
    checkPool(geometry, x, dy, "maxpool2dGrad", "dy");
    const { batch, channels, height, width } = geometry;
    need(dx, batch * channels * height * width, "maxpool2dGrad", "dx");
    const arena = this.arena;
    if (arena.owns(x) && arena.owns(dy) && arena.owns(dx)) {
      this.wasmPool2d.backward(x, dy, dx, geometry);
    } else {
      maxpool2dBackward(x, dy, dx, geometry);
    }
  }

  dropoutMask(mask: Buffer, size: number, rate: number): void {
    need(mask, size, "dropoutMask", "mask");
    if (!this.arena.owns(mask) || !(rate >= 0 && rate <= 1)) {
      fillDropoutMask(mask, size, rate, this.random);
      return;
    }
    // The wasm generator continues the JS one's stream from its state, and hands it back.
    const state = this.randomState;
    this.random.saveState(state);
    this.wasmReduce.dropout(mask, size, state.byteOffset, rate, rate < 1 ? 1 / (1 - rate) : 0);
    this.random.loadState(state);
  }

  seedDropout(seed: number): void {
    this.random = new Random(seed, RandomStream.dropout);
  }

  /** In the arena (f64), beside the buffers it sums. */
  allocMetricSums(): Buffer {
    return this.arena.f64(METRIC_SUM_COUNT);
  }

  /**
   * The js backend's loop (runtime/cpu/metric-sums.ts) over the views in place: one pass of
   * `rows * classes` elements, under a microsecond for T1's and T3's batches, so not worth a
   * wasm function of its own.
   */
  accumulateMetrics(
    sums: Buffer,
    loss: Buffer,
    output: Buffer,
    target: Buffer,
    rows: number,
    layout: MetricLayout,
  ): void {
    accumulateMetricsHost(sums, loss, output, target, rows, layout);
  }

  /** Whether both arrays lie on the memory (wasm code can reach them). */
  private onMemory(x: FloatArray, y: FloatArray): boolean {
    return this.arena.owns(x) && this.arena.owns(y);
  }

  /** scratchA (and scratchB) with room for `inner` values, grown only when too small. */
  private accumulators(inner: number): Float64Array {
    if (this.scratchA.length < inner) {
      this.scratchA = new Float64Array(inner);
      this.scratchB = new Float64Array(inner);
    }
    return this.scratchA;
  }

  /**
   * Whether a convolution runs in wasm: all three arrays on the memory and a geometry the
   * driver takes; otherwise runtime/cpu/conv.ts (degenerate sizes, foreign arrays) does.
   */
  private convInWasm(g: ConvGeometry, p: FloatArray, q: FloatArray, r: FloatArray): boolean {
    const arena = this.arena;
    return WasmConv2d.handles(g) && arena.owns(p) && arena.owns(q) && arena.owns(r);
  }

  /** The byte offset of GEMM scratch for these sizes (one region per thread), grown (in the arena) only when too small. */
  private scratchFor(m: number, n: number, k: number): number {
    return this.scratch(gemmScratchBytes(m, n, k, this.precision) * this.wasmGemm.threads);
  }

  /** The GEMM scratch's offset, with room for `bytes`, grown only when too small. */
  private scratch(bytes: number): number {
    if (this.gemmScratch.length < bytes) {
      this.arena.release(this.gemmScratch);
      this.gemmScratch = this.arena.u8(bytes);
    }
    return this.gemmScratch.byteOffset;
  }

  /** The im2col scratch of the JS convolutions (foreign arrays), grown only when too small. */
  private columnScratch(g: ConvGeometry): FloatArray {
    const size = colSize(g);
    if (this.columns.length < size) this.columns = new Float64Array(size);
    return this.columns;
  }
}

/** A kernel's wasm body over all `size` elements, on the calling thread. */
function callBody(
  body: WasmKernelBody,
  size: number,
  n: number,
  a?: Buffer,
  b?: Buffer,
  c?: Buffer,
  d?: Buffer,
  e?: Buffer,
  f?: Buffer,
  g?: Buffer,
  h?: Buffer,
  i?: Buffer,
  j?: Buffer,
  k?: Buffer,
  l?: Buffer,
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
function offsetOf(buffer: Buffer | undefined): number {
  return buffer === undefined ? 0 : buffer.byteOffset;
}
