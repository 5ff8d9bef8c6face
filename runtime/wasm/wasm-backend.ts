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
 * runtime/cpu, which serve arrays not on the memory; the choice is reduction-calls.ts's). Average
 * pooling runs the JS functions of runtime/cpu/avgpool.ts on the memory's views (a few adds per
 * element, on the calling thread). Scratch (packed GEMM panels, im2col
 * columns) is allocated in the arena, grown on demand and kept, so a step allocates nothing.
 * The GEMM paths live in gemm-dispatch.ts, the fused kernels' runs in kernel-runner.ts and the
 * options' checks in wasm-backend-options.ts; this class owns them and delegates.
 * Given a worker pool (created by the caller: in Node, node-pool.ts), it allocates in the
 * pool's memory and splits GEMMs over columns, large fused kernels over elements, large
 * reductions and softmaxes over output columns, convolutions over images and pooling over
 * planes across its threads, with the bits of 1 thread (docs/internals.md, "Threads"); without
 * one, it runs on the calling thread.
 *
 * Browser-safe: no `node:` imports.
 */
import { copyHost, fillHost, readHost, writeHost, writeRowsHost } from "../cpu/host-arrays.js";
import type {
  ConvGeometry,
  FloatArray,
  HostBackend,
  GemmProvider,
  Kernel,
  KernelWasm,
  MetricLayout,
  PoolGeometry,
  AvgPoolGeometry,
  Precision,
} from "../backend.js";
import { METRIC_SUM_COUNT } from "../backend.js";
import { avgpool2dBackward, avgpool2dForward } from "../cpu/avgpool.js";
import { checkAvgPool, checkConv, checkPool, checkReduce, need } from "../cpu/checks.js";
import { colSize, conv2dForward, conv2dGradInput, conv2dGradWeight } from "../cpu/conv.js";
import { accumulateMetricsHost } from "../cpu/metric-sums.js";
import { maxpool2dBackward, maxpool2dForward } from "../cpu/pool.js";
import { gatherRows, scatterAddRows } from "../cpu/gather.js";
import { WasmConv2d } from "./conv2d.js";
import { WasmGemmDispatch } from "./gemm-dispatch.js";
import { type WasmKernelBody, WasmKernelRunner } from "./kernel-runner.js";
import { WasmArena } from "./memory.js";
import { WasmPool2d } from "./pool2d.js";
import type { WorkerPool } from "./pool.js";
import { WasmReductions } from "./reduce.js";
import { ReductionCalls } from "./reduction-calls.js";
import { type WasmBackendOptions, checkWasmBackendOptions } from "./wasm-backend-options.js";

export type { WasmKernelBody } from "./kernel-runner.js";
export type { WasmBackendOptions } from "./wasm-backend-options.js";

/** A backend whose buffers are views on one WebAssembly.Memory; see the module comment. */
export class WasmBackend implements HostBackend {
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
  /** Whether its wasm code uses relaxed SIMD (`f32x4.relaxed_madd`). */
  readonly relaxed: boolean;
  /** Fused kernels' wasm bodies and their runs (on the pool when large). */
  private readonly kernels: WasmKernelRunner;
  /** GEMM and GEMM-then-kernel: BLAS, wasm (small or blocked, pooled epilogue), JS. */
  private readonly gemms: WasmGemmDispatch;
  /** Max pooling in wasm on the arena's memory. */
  private readonly wasmPool2d: WasmPool2d;
  /** Convolutions in wasm on the arena's memory (per-image loops split over the pool). */
  private readonly wasmConv2d: WasmConv2d;
  /** The GEMM tried first, if any (see GemmProvider). */
  readonly gemmProvider: GemmProvider | undefined;
  /** im2col scratch (JS heap) for convolutions of arrays not on the memory. */
  private columns: FloatArray = new Float64Array(0);
  /** Reductions, softmaxes and dropout masks: wasm on the arena's memory, else JS. */
  private readonly reductions: ReductionCalls;
  /** The pool `dispose` disposes (one it was given to own). */
  private readonly ownedPool: WorkerPool | undefined;

  constructor(options: WasmBackendOptions = {}) {
    const settings = checkWasmBackendOptions(options);
    this.precision = settings.precision;
    this.requestedThreads = settings.requestedThreads;
    const pool = options.pool;
    this.threads = pool?.threads ?? 1;
    this.ownedPool = options.ownsPool === true ? pool : undefined;
    this.pool = pool !== undefined && pool.threads > 1 ? pool : undefined;
    this.arena = new WasmArena(
      pool !== undefined ? { memory: pool.memory as WebAssembly.Memory } : options.memory,
    );
    const relaxed = settings.relaxed;
    this.relaxed = relaxed;
    this.gemmProvider = options.gemm;
    this.kernels = new WasmKernelRunner(this.arena.memory, this.precision, this.pool);
    const gemms = new WasmGemmDispatch(
      this.arena,
      this.precision,
      relaxed,
      this.pool,
      this.gemmProvider,
      this.kernels,
    );
    this.gemms = gemms;
    this.wasmPool2d = new WasmPool2d(this.arena.memory, this.precision, this.pool);
    const wasmReduce = new WasmReductions(this.arena.memory, this.precision, this.pool);
    this.reductions = new ReductionCalls(this.arena, wasmReduce);
    const scratchFor = (m: number, n: number, k: number): number => gemms.scratchFor(m, n, k);
    this.wasmConv2d = new WasmConv2d(
      this.arena,
      this.precision,
      gemms.wasmGemm,
      scratchFor,
      this.pool,
    );
    this.gemmProvider?.setThreads?.(this.threads);
  }

  /**
   * Disposes the pool it owns (its workers stop); the memory goes with the backend's last
   * reference. Idempotent.
   */
  dispose(): void {
    void this.ownedPool?.dispose();
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

  alloc(size: number): FloatArray {
    return this.precision === "f64" ? this.arena.f64(size) : this.arena.f32(size);
  }

  /** Hands a buffer of `alloc` back to the arena; it must not be used afterwards. */
  release(buffer: FloatArray): void {
    this.arena.release(buffer);
  }

  /**
   * The hook for compiled kernels: from now on `run(kernel, ...)` calls `body` with the
   * buffers' byte offsets instead of `kernel.cpu`, when the kernel record has a `wasm` entry.
   */
  attachWasmKernel(kernel: Kernel, body: WasmKernelBody): void {
    this.kernels.attach(kernel, body);
  }

  /**
   * Compiles the kernels' WebAssembly of its precision against its memory, once per model;
   * with a pool, instantiates it on every thread so that large kernels split over them.
   */
  prepareKernels(wasm: KernelWasm, kernels: readonly Kernel[]): void {
    this.kernels.prepare(wasm, kernels);
  }

  write(dst: FloatArray, data: ArrayLike<number>, offset = 0): void {
    writeHost(dst, data, offset);
  }

  writeRows(
    dst: FloatArray,
    data: FloatArray,
    width: number,
    order: Uint32Array | null,
    start: number,
    count: number,
  ): void {
    writeRowsHost(dst, data, width, order, start, count);
  }

  read(src: FloatArray, size?: number): Promise<FloatArray> {
    return Promise.resolve(readHost(src, size));
  }

  /** `read` without the wait: the first `size` elements (all by default), aliasing `src`. */
  view(src: FloatArray, size?: number): FloatArray {
    return readHost(src, size);
  }

  copy(src: FloatArray, dst: FloatArray, size: number, srcOffset = 0, dstOffset = 0): void {
    copyHost(src, dst, size, srcOffset, dstOffset);
  }

  fill(dst: FloatArray, value: number, size: number): void {
    fillHost(dst, value, size);
  }

  gemm(
    a: FloatArray,
    b: FloatArray,
    c: FloatArray,
    m: number,
    n: number,
    k: number,
    flags: number,
    batch = 1,
    strideA = m * k,
    strideB = k * n,
    strideC = m * n,
  ): void {
    this.gemms.gemm(a, b, c, m, n, k, flags, batch, strideA, strideB, strideC);
  }

  /**
   * The GEMM epilogue (Backend.gemmThen): with a pool, one dispatch per product; the bits of
   * `gemm` then `run` on every path (see WasmGemmDispatch.gemmThen).
   */
  gemmThen(
    a: FloatArray,
    b: FloatArray,
    c: FloatArray,
    m: number,
    n: number,
    k: number,
    flags: number,
    kernel: Kernel,
    batchSize: number,
    ka?: FloatArray,
    kb?: FloatArray,
    kc?: FloatArray,
    kd?: FloatArray,
    ke?: FloatArray,
    kf?: FloatArray,
    kg?: FloatArray,
    kh?: FloatArray,
    ki?: FloatArray,
    kj?: FloatArray,
    kk?: FloatArray,
    kl?: FloatArray,
  ): void {
    this.gemms.gemmThen(
      a,
      b,
      c,
      m,
      n,
      k,
      flags,
      kernel,
      batchSize,
      ka,
      kb,
      kc,
      kd,
      ke,
      kf,
      kg,
      kh,
      ki,
      kj,
      kk,
      kl,
    );
  }

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
    this.kernels.run(kernel, size, n, a, b, c, d, e, f, g, h, i, j, k, l);
  }

  sum(x: FloatArray, y: FloatArray, outer: number, mid: number, inner: number): void {
    checkReduce(x, y, outer, mid, inner, "sum", true);
    this.reductions.sum(x, y, outer, mid, inner);
  }

  max(x: FloatArray, y: FloatArray, outer: number, mid: number, inner: number): void {
    checkReduce(x, y, outer, mid, inner, "max", true);
    this.reductions.max(x, y, outer, mid, inner);
  }

  softmax(x: FloatArray, y: FloatArray, outer: number, mid: number, inner: number): void {
    checkReduce(x, y, outer, mid, inner, "softmax", false);
    this.reductions.softmax(x, y, outer, mid, inner);
  }

  logSoftmax(x: FloatArray, y: FloatArray, outer: number, mid: number, inner: number): void {
    checkReduce(x, y, outer, mid, inner, "logSoftmax", false);
    this.reductions.logSoftmax(x, y, outer, mid, inner);
  }

  conv2d(x: FloatArray, w: FloatArray, y: FloatArray, geometry: ConvGeometry): void {
    checkConv(geometry, x, w, y, "conv2d", "x", "w", "y");
    if (this.convInWasm(geometry, x, w, y)) this.wasmConv2d.forward(x, w, y, geometry);
    else conv2dForward(x, w, y, geometry, this.columnScratch(geometry));
  }

  conv2dGradInput(dy: FloatArray, w: FloatArray, dx: FloatArray, geometry: ConvGeometry): void {
    checkConv(geometry, dx, w, dy, "conv2dGradInput", "dx", "w", "dy");
    if (this.convInWasm(geometry, dy, w, dx)) this.wasmConv2d.gradInput(dy, w, dx, geometry);
    else conv2dGradInput(dy, w, dx, geometry, this.columnScratch(geometry));
  }

  conv2dGradWeight(x: FloatArray, dy: FloatArray, dw: FloatArray, geometry: ConvGeometry): void {
    checkConv(geometry, x, dw, dy, "conv2dGradWeight", "x", "dw", "dy");
    if (this.convInWasm(geometry, x, dy, dw)) this.wasmConv2d.gradWeight(x, dy, dw, geometry);
    else conv2dGradWeight(x, dy, dw, geometry, this.columnScratch(geometry));
  }

  maxpool2d(x: FloatArray, y: FloatArray, geometry: PoolGeometry): void {
    checkPool(geometry, x, y, "maxpool2d", "y");
    if (this.arena.owns(x) && this.arena.owns(y)) this.wasmPool2d.forward(x, y, geometry);
    else maxpool2dForward(x, y, geometry);
  }

  maxpool2dGrad(x: FloatArray, dy: FloatArray, dx: FloatArray, geometry: PoolGeometry): void {
    checkPool(geometry, x, dy, "maxpool2dGrad", "dy");
    const { batch, channels, height, width } = geometry;
    need(dx, batch * channels * height * width, "maxpool2dGrad", "dx");
    const onMemory = this.onMemory(x, dy) && this.arena.owns(dx);
    if (onMemory) this.wasmPool2d.backward(x, dy, dx, geometry);
    else maxpool2dBackward(x, dy, dx, geometry);
  }

  // Row copies and adds with no arithmetic to vectorise: the host loops on the arena's views.
  gatherRows(
    table: FloatArray,
    ids: FloatArray,
    out: FloatArray,
    count: number,
    rows: number,
    width: number,
  ): void {
    gatherRows(table, ids, out, count, rows, width);
  }

  scatterAddRows(
    ids: FloatArray,
    g: FloatArray,
    table: FloatArray,
    count: number,
    rows: number,
    width: number,
  ): void {
    scatterAddRows(ids, g, table, count, rows, width);
  }

  avgpool2d(x: FloatArray, y: FloatArray, geometry: AvgPoolGeometry): void {
    checkAvgPool(geometry, x, y, "avgpool2d", "x", "y");
    avgpool2dForward(x, y, geometry);
  }

  avgpool2dGrad(dy: FloatArray, dx: FloatArray, geometry: AvgPoolGeometry): void {
    checkAvgPool(geometry, dx, dy, "avgpool2dGrad", "dx", "dy");
    avgpool2dBackward(dy, dx, geometry);
  }

  dropoutMask(mask: FloatArray, size: number, rate: number): void {
    need(mask, size, "dropoutMask", "mask");
    this.reductions.dropoutMask(mask, size, rate);
  }

  seedDropout(seed: number): void {
    this.reductions.seedDropout(seed);
  }

  dropoutState(): number[] {
    return this.reductions.dropoutState();
  }

  restoreDropoutState(state: readonly number[]): void {
    this.reductions.restoreDropoutState(state);
  }

  /** In the arena (f64), beside the buffers it sums. */
  allocMetricSums(size = METRIC_SUM_COUNT): FloatArray {
    return this.arena.f64(size);
  }

  /**
   * The js backend's loop (runtime/cpu/metric-sums.ts) over the views in place: one pass of
   * `rows * classes` elements, under a microsecond for T1's and T3's batches, so not worth a
   * wasm function of its own.
   */
  accumulateMetrics(
    sums: FloatArray,
    loss: FloatArray,
    output: FloatArray,
    target: FloatArray,
    rows: number,
    layout: MetricLayout,
  ): void {
    accumulateMetricsHost(sums, loss, output, target, rows, layout);
  }

  /** Whether both arrays lie on the memory (wasm code can reach them). */
  private onMemory(x: FloatArray, y: FloatArray): boolean {
    return this.arena.owns(x) && this.arena.owns(y);
  }

  /**
   * Whether a convolution runs in wasm: all three arrays on the memory and a geometry the
   * driver takes; otherwise runtime/cpu/conv.ts (degenerate sizes, foreign arrays) does.
   */
  private convInWasm(g: ConvGeometry, p: FloatArray, q: FloatArray, r: FloatArray): boolean {
    const arena = this.arena;
    return WasmConv2d.handles(g) && arena.owns(p) && arena.owns(q) && arena.owns(r);
  }

  /** The im2col scratch of the JS convolutions (foreign arrays), grown only when too small. */
  private columnScratch(g: ConvGeometry): FloatArray {
    const size = colSize(g);
    if (this.columns.length < size) this.columns = new Float64Array(size);
    return this.columns;
  }
}
