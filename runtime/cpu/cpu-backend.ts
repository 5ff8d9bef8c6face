/**
 * The CPU backend: buffers are typed arrays of the chosen precision, kernels are plain loops.
 * Nothing here allocates per call except `alloc` (and `read`, which returns a view): scratch
 * (im2col columns, reduction accumulators) lives on the backend, grows on demand and is kept.
 * Argument checks cost a few comparisons and build their message only when they fail.
 */
import {
  checkGemm,
  copyHost,
  fillHost,
  readHost,
  writeHost,
  writeRowsHost,
} from "./host-arrays.js";
import type {
  ConvGeometry,
  FloatArray,
  HostBackend,
  Kernel,
  MetricLayout,
  PoolGeometry,
  AvgPoolGeometry,
  Precision,
} from "../backend.js";
import { ACCUMULATE, TRANS_A, TRANS_B } from "../backend.js";
import { Random, RandomStream, randomFromWords, randomWords } from "../random.js";
import { avgpool2dBackward, avgpool2dForward } from "./avgpool.js";
import { checkAvgPool, checkConv, checkPool, checkReduce, need } from "./checks.js";
import { colSize, conv2dForward, conv2dGradInput, conv2dGradWeight } from "./conv.js";
import { fillDropoutMask } from "./dropout.js";
import { accumulateMetricsHost, allocMetricSumsHost } from "./metric-sums.js";
import { gemmOne } from "./gemm.js";
import { maxpool2dBackward, maxpool2dForward } from "./pool.js";
import { gatherRows, scatterAddRows } from "./gather.js";
import { maxMiddle, sumMiddle } from "./reduce.js";
import { logSoftmaxMiddle, softmaxMiddle } from "./softmax.js";

/** Options of createCpuBackend. */
export interface CpuBackendOptions {
  /** Element type of every buffer: Float32Array ("f32", the default) or Float64Array. */
  readonly precision?: Precision;
}

/** A backend that runs every kernel on the calling thread. */
export class CpuBackend implements HostBackend {
  readonly name = "cpu";
  /** What it runs on, as the training header prints it (`--backend js`). */
  readonly description = "js";
  readonly precision: Precision;
  /** im2col scratch, in the buffers' precision. */
  private columns: FloatArray;
  /** Per-column accumulators of the reductions and softmaxes (always double). */
  private scratchA = new Float64Array(0);
  private scratchB = new Float64Array(0);
  private random = new Random(0, RandomStream.dropout);

  constructor(options: CpuBackendOptions = {}) {
    this.precision = options.precision ?? "f32";
    if (this.precision !== "f32" && this.precision !== "f64") {
      throw new RangeError(`unknown precision ${String(this.precision)}`);
    }
    this.columns = this.alloc(0);
  }

  /** Nothing to free: its buffers are garbage-collected arrays. */
  dispose(): void {}

  alloc(size: number): FloatArray {
    return this.precision === "f64" ? new Float64Array(size) : new Float32Array(size);
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
    if (batch <= 0) return;
    checkGemm(a, b, c, m, n, k, batch, strideA, strideB, strideC);
    const transA = (flags & TRANS_A) !== 0;
    const transB = (flags & TRANS_B) !== 0;
    const accumulate = (flags & ACCUMULATE) !== 0;
    for (let j = 0; j < batch; j++) {
      gemmOne(a, j * strideA, b, j * strideB, c, j * strideC, m, n, k, transA, transB, accumulate);
    }
  }

  /** The reference epilogue: the whole product, then the kernel over all of C. */
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
    this.gemm(a, b, c, m, n, k, flags);
    kernel.cpu(m * n, batchSize, ka, kb, kc, kd, ke, kf, kg, kh, ki, kj, kk, kl);
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
    kernel.cpu(size, n, a, b, c, d, e, f, g, h, i, j, k, l);
  }

  sum(x: FloatArray, y: FloatArray, outer: number, mid: number, inner: number): void {
    checkReduce(x, y, outer, mid, inner, "sum", true);
    sumMiddle(x, y, outer, mid, inner, this.accumulators(inner));
  }

  max(x: FloatArray, y: FloatArray, outer: number, mid: number, inner: number): void {
    checkReduce(x, y, outer, mid, inner, "max", true);
    maxMiddle(x, y, outer, mid, inner, this.accumulators(inner));
  }

  softmax(x: FloatArray, y: FloatArray, outer: number, mid: number, inner: number): void {
    checkReduce(x, y, outer, mid, inner, "softmax", false);
    const maxs = this.accumulators(inner);
    softmaxMiddle(x, y, outer, mid, inner, maxs, this.scratchB);
  }

  logSoftmax(x: FloatArray, y: FloatArray, outer: number, mid: number, inner: number): void {
    checkReduce(x, y, outer, mid, inner, "logSoftmax", false);
    const maxs = this.accumulators(inner);
    logSoftmaxMiddle(x, y, outer, mid, inner, maxs, this.scratchB);
  }

  conv2d(x: FloatArray, w: FloatArray, y: FloatArray, geometry: ConvGeometry): void {
    checkConv(geometry, x, w, y, "conv2d", "x", "w", "y");
    conv2dForward(x, w, y, geometry, this.columnScratch(geometry));
  }

  conv2dGradInput(dy: FloatArray, w: FloatArray, dx: FloatArray, geometry: ConvGeometry): void {
    checkConv(geometry, dx, w, dy, "conv2dGradInput", "dx", "w", "dy");
    conv2dGradInput(dy, w, dx, geometry, this.columnScratch(geometry));
  }

  conv2dGradWeight(x: FloatArray, dy: FloatArray, dw: FloatArray, geometry: ConvGeometry): void {
    checkConv(geometry, x, dw, dy, "conv2dGradWeight", "x", "dw", "dy");
    conv2dGradWeight(x, dy, dw, geometry, this.columnScratch(geometry));
  }

  maxpool2d(x: FloatArray, y: FloatArray, geometry: PoolGeometry): void {
    checkPool(geometry, x, y, "maxpool2d", "y");
    maxpool2dForward(x, y, geometry);
  }

  maxpool2dGrad(x: FloatArray, dy: FloatArray, dx: FloatArray, geometry: PoolGeometry): void {
    checkPool(geometry, x, dy, "maxpool2dGrad", "dy");
    const { batch, channels, height, width } = geometry;
    need(dx, batch * channels * height * width, "maxpool2dGrad", "dx");
    maxpool2dBackward(x, dy, dx, geometry);
  }

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
    fillDropoutMask(mask, size, rate, this.random);
  }

  seedDropout(seed: number): void {
    this.random = new Random(seed, RandomStream.dropout);
  }

  dropoutState(): number[] {
    return randomWords(this.random);
  }

  restoreDropoutState(state: readonly number[]): void {
    this.random = randomFromWords(state, RandomStream.dropout);
  }

  allocMetricSums(size?: number): FloatArray {
    return allocMetricSumsHost(size);
  }

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

  /** scratchA (and scratchB) with room for `inner` values, grown only when too small. */
  private accumulators(inner: number): Float64Array {
    if (this.scratchA.length < inner) {
      this.scratchA = new Float64Array(inner);
      this.scratchB = new Float64Array(inner);
    }
    return this.scratchA;
  }

  /** The im2col scratch with room for one image of this geometry, grown only when too small. */
  private columnScratch(g: ConvGeometry): FloatArray {
    const size = colSize(g);
    if (this.columns.length < size) this.columns = this.alloc(size);
    return this.columns;
  }
}
