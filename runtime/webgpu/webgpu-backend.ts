/**
 * The WebGPU backend: every call but `read` records dispatches into the context's current
 * command encoder (context.ts), in call order; `read` submits them and waits for a copy of the
 * buffer. All buffers are ranges of one arena (arena.ts); kernels of the model run their WGSL
 * (compiler/kernel/print-wgsl.ts), one cached pipeline each; library calls run the shaders of
 * library-kernels.ts (backend-shaders.ts) and the GEMM, convolution and pooling encoders. This
 * class checks ranges and the device's health, then encodes. f32 only.
 *
 * Guarantees: no allocation per step on the device (writes of a batch reuse one staging array,
 * reads a pool of mappable buffers, readback.ts), nor on the JS side for its own shaders (one
 * params scratch, pipelines cached by key; backend-shaders.ts); a device loss, a refused
 * allocation or a WebGPU error makes the next `read` (and every call after a loss) throw one
 * line, WebGpuError (device-health.ts), that says what happened and what to try; `dispose`
 * destroys the device when the backend created it.
 */
import {
  type Backend,
  type ConvGeometry,
  type Kernel,
  METRIC_SUM_COUNT,
  type MetricLayout,
  type PoolGeometry,
  type AvgPoolGeometry,
} from "../backend.js";
import { GpuArena, granule } from "./arena.js";
import { BackendShaders } from "./backend-shaders.js";
import { DeviceHealth, WebGpuError } from "./device-health.js";
import { encodeGatherRows, encodeScatterAddRows } from "./gather.js";
import type { GpuBuffer } from "./context.js";
import {
  conv2dScratchSize,
  encodeConv2d,
  encodeConv2dGradInput,
  encodeConv2dGradWeight,
} from "./conv2d.js";
import { encodeGemm } from "./gemm.js";
import { encodeAvgpool2d, encodeAvgpool2dGrad } from "./avgpool2d.js";
import { encodeMaxpool2d, encodeMaxpool2dGrad } from "./pool2d.js";
import { Readbacks } from "./readback.js";
import { RecordingContext } from "./recording-context.js";

export interface WebGpuBackendOptions {
  readonly device: GPUDevice;
  /** Whether `dispose` destroys the device (true when the backend requested it). */
  readonly ownsDevice: boolean;
  /** What it runs on, for the training header (`webgpu: mesa llvmpipe`). */
  readonly description?: string;
  /**
   * The entry point the device came from, kept reachable while the backend lives: Dawn for Node
   * crashes the process on work for a device whose instance was collected.
   */
  readonly gpu?: GPU;
}

export class WebGpuBackend implements Backend<GpuBuffer> {
  readonly name = "webgpu";
  readonly precision = "f32" as const;
  readonly description: string;
  readonly device: GPUDevice;
  readonly context: RecordingContext;
  private readonly arena: GpuArena;
  private readonly ownsDevice: boolean;
  /** The entry point the device came from (kept reachable: see WebGpuBackendOptions.gpu). */
  readonly gpu: GPU | undefined;
  private readonly shaders: BackendShaders;
  private readonly metricSums = new WeakSet<GpuBuffer>();
  private readonly health: DeviceHealth;
  private readonly readbacks: Readbacks;
  private staging = new Float32Array(0);
  private dropoutSeed = 0;
  private dropoutCounter = 0;
  private scratch: GpuBuffer | null = null;

  constructor(options: WebGpuBackendOptions) {
    this.device = options.device;
    this.ownsDevice = options.ownsDevice;
    this.gpu = options.gpu;
    this.description = options.description ?? "webgpu";
    this.arena = new GpuArena(this.device, () => this.context.flush());
    this.context = new RecordingContext(this.device, () => this.arena.buffer);
    this.shaders = new BackendShaders(this.context);
    this.health = new DeviceHealth(this.device);
    this.readbacks = new Readbacks(this.device, this.context, this.health);
  }

  alloc(size: number): GpuBuffer {
    this.health.check();
    const { buffer, reused } = this.health.watchMemory(
      () => this.arena.alloc(size),
      () => this.arena.bytes,
    );
    if (reused) this.fill(buffer, 0, size);
    return buffer;
  }

  /** Gives a buffer's memory back to the pool (its next allocation of the same size reuses it). */
  free(buffer: GpuBuffer): void {
    this.arena.release(buffer);
  }

  write(dst: GpuBuffer, data: ArrayLike<number>, offset = 0): void {
    checkRange(dst, offset + data.length, "write");
    if (data.length === 0) return;
    const values = data instanceof Float32Array ? data : Float32Array.from(data);
    this.upload(dst.offset + offset, values, values.length);
  }

  writeRows(
    dst: GpuBuffer,
    data: Float32Array | Float64Array,
    width: number,
    order: Uint32Array | null,
    start: number,
    count: number,
  ): void {
    const size = width * count;
    checkRange(dst, size, "writeRows");
    if (size === 0) return;
    if (this.staging.length < size) this.staging = new Float32Array(size);
    const staging = this.staging;
    for (let r = 0; r < count; r++) {
      const row = order === null ? start + r : order[start + r]!;
      const from = row * width;
      const to = r * width;
      for (let k = 0; k < width; k++) staging[to + k] = data[from + k]!;
    }
    this.upload(dst.offset, staging, size);
  }

  async read(src: GpuBuffer, size: number = src.length): Promise<Float32Array> {
    checkRange(src, size, "read");
    this.health.check();
    if (size === 0) return new Float32Array(0);
    const values = await this.readbacks.read(this.arena.buffer, src.offset, size);
    // errors of the work just run (validation, out of memory) surface here
    this.health.throwIfFailed();
    return values;
  }

  copy(src: GpuBuffer, dst: GpuBuffer, size: number, srcOffset = 0, dstOffset = 0): void {
    checkRange(src, srcOffset + size, "copy");
    checkRange(dst, dstOffset + size, "copy");
    this.health.check();
    this.shaders.copy(size, src.offset + srcOffset, dst.offset + dstOffset);
  }

  fill(dst: GpuBuffer, value: number, size: number): void {
    checkRange(dst, size, "fill");
    // a metric-sums buffer is zeroed with its Kahan compensations
    const words = this.metricSums.has(dst) ? granule(dst.length) * 2 : size;
    this.health.check();
    this.shaders.fill(words, dst.offset, value);
  }

  dispose(): void {
    if (this.health.isDisposed) return;
    this.health.dispose();
    this.context.destroy();
    this.arena.destroy();
    this.readbacks.destroy();
    if (this.ownsDevice) this.device.destroy();
  }

  gemm(
    a: GpuBuffer,
    b: GpuBuffer,
    c: GpuBuffer,
    m: number,
    n: number,
    k: number,
    flags: number,
    batch = 1,
    strideA = m * k,
    strideB = k * n,
    strideC = m * n,
  ): void {
    this.health.check();
    encodeGemm(this.context, a, b, c, m, n, k, flags, batch, strideA, strideB, strideC);
  }

  gemmThen(
    a: GpuBuffer,
    b: GpuBuffer,
    c: GpuBuffer,
    m: number,
    n: number,
    k: number,
    flags: number,
    kernel: Kernel,
    batchSize: number,
    ...buffers: (GpuBuffer | undefined)[]
  ): void {
    this.gemm(a, b, c, m, n, k, flags);
    this.run(kernel, m * n, batchSize, ...buffers);
  }

  run(kernel: Kernel, size: number, n: number, ...buffers: (GpuBuffer | undefined)[]): void {
    this.health.check();
    const source = kernel.wgsl;
    if (source === undefined) {
      throw new WebGpuError(
        `kernel ${kernel.name} has no WGSL shader: rebuild the model with this version of nnc`,
      );
    }
    this.shaders.kernel(source, size, n, buffers);
  }

  sum(x: GpuBuffer, y: GpuBuffer, outer: number, mid: number, inner: number): void {
    this.reduce(x, y, outer, mid, inner, 0);
  }

  max(x: GpuBuffer, y: GpuBuffer, outer: number, mid: number, inner: number): void {
    this.reduce(x, y, outer, mid, inner, 1);
  }

  softmax(x: GpuBuffer, y: GpuBuffer, outer: number, mid: number, inner: number): void {
    this.softmaxOp(x, y, outer, mid, inner, 0);
  }

  logSoftmax(x: GpuBuffer, y: GpuBuffer, outer: number, mid: number, inner: number): void {
    this.softmaxOp(x, y, outer, mid, inner, 1);
  }

  conv2d(x: GpuBuffer, w: GpuBuffer, y: GpuBuffer, geometry: ConvGeometry): void {
    this.health.check();
    encodeConv2d(this.context, x, w, y, geometry, this.convScratch(geometry));
  }

  conv2dGradInput(dy: GpuBuffer, w: GpuBuffer, dx: GpuBuffer, geometry: ConvGeometry): void {
    this.health.check();
    encodeConv2dGradInput(this.context, dy, w, dx, geometry, this.convScratch(geometry));
  }

  conv2dGradWeight(x: GpuBuffer, dy: GpuBuffer, dw: GpuBuffer, geometry: ConvGeometry): void {
    this.health.check();
    encodeConv2dGradWeight(this.context, x, dy, dw, geometry, this.convScratch(geometry));
  }

  /** The convolutions' scratch: one arena buffer, replaced by a larger one when a call needs it. */
  private convScratch(geometry: ConvGeometry): GpuBuffer | null {
    const size = conv2dScratchSize(geometry);
    if (size === 0) return this.scratch;
    if (this.scratch === null || this.scratch.length < size) {
      if (this.scratch !== null) this.arena.release(this.scratch);
      this.scratch = this.alloc(size);
    }
    return this.scratch;
  }

  maxpool2d(x: GpuBuffer, y: GpuBuffer, geometry: PoolGeometry): void {
    this.health.check();
    encodeMaxpool2d(this.context, x, y, geometry);
  }

  maxpool2dGrad(x: GpuBuffer, dy: GpuBuffer, dx: GpuBuffer, geometry: PoolGeometry): void {
    this.health.check();
    encodeMaxpool2dGrad(this.context, x, dy, dx, geometry);
  }

  gatherRows(
    table: GpuBuffer,
    ids: GpuBuffer,
    out: GpuBuffer,
    count: number,
    rows: number,
    width: number,
  ): void {
    checkRange(ids, count, "gatherRows");
    checkRange(out, count * width, "gatherRows");
    checkRange(table, rows * width, "gatherRows");
    this.health.check();
    encodeGatherRows(this.context, table, ids, out, count, rows, width);
  }

  scatterAddRows(
    ids: GpuBuffer,
    g: GpuBuffer,
    table: GpuBuffer,
    count: number,
    rows: number,
    width: number,
  ): void {
    checkRange(ids, count, "scatterAddRows");
    checkRange(g, count * width, "scatterAddRows");
    checkRange(table, rows * width, "scatterAddRows");
    this.health.check();
    encodeScatterAddRows(this.context, ids, g, table, count, rows, width);
  }

  avgpool2d(x: GpuBuffer, y: GpuBuffer, geometry: AvgPoolGeometry): void {
    this.health.check();
    encodeAvgpool2d(this.context, x, y, geometry);
  }

  avgpool2dGrad(dy: GpuBuffer, dx: GpuBuffer, geometry: AvgPoolGeometry): void {
    this.health.check();
    encodeAvgpool2dGrad(this.context, dy, dx, geometry);
  }

  dropoutMask(mask: GpuBuffer, size: number, rate: number): void {
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`dropout rate ${rate} is not in [0, 1]`);
    checkRange(mask, size, "dropoutMask");
    this.health.check();
    this.shaders.dropout(mask.offset, size, rate, this.dropoutSeed, this.dropoutCounter++);
  }

  seedDropout(seed: number): void {
    this.dropoutSeed = seed >>> 0;
    this.dropoutCounter = 0;
  }

  /** The counter-based generator's seed and draw counter. */
  dropoutState(): number[] {
    return [this.dropoutSeed, this.dropoutCounter];
  }

  restoreDropoutState(state: readonly number[]): void {
    const [seed, counter] = state;
    if (state.length !== 2 || !isWord(seed) || !isWord(counter))
      throw new RangeError(
        `a webgpu dropout state is two whole numbers, not [${state.join(", ")}]`,
      );
    this.dropoutSeed = seed;
    this.dropoutCounter = counter;
  }

  /** `size` sums, then (from granule(size) on) their Kahan compensations. */
  allocMetricSums(size = METRIC_SUM_COUNT): GpuBuffer {
    const whole = this.alloc(granule(size) * 2);
    const sums: GpuBuffer = { device: true, offset: whole.offset, length: size };
    this.metricSums.add(sums);
    return sums;
  }

  accumulateMetrics(
    sums: GpuBuffer,
    loss: GpuBuffer,
    output: GpuBuffer,
    target: GpuBuffer,
    rows: number,
    layout: MetricLayout,
  ): void {
    this.health.check();
    const compensations = sums.offset + granule(sums.length);
    if (layout.metrics && (layout.topK > 0 || layout.confusion || layout.r2 || layout.scores)) {
      this.shaders.metricExtras(
        rows,
        layout,
        sums.offset,
        compensations,
        output.offset,
        target.offset,
      );
    }
    this.shaders.metrics(
      rows,
      layout,
      sums.offset,
      compensations,
      loss.offset,
      output.offset,
      target.offset,
    );
  }

  private reduce(
    x: GpuBuffer,
    y: GpuBuffer,
    outer: number,
    mid: number,
    inner: number,
    op: 0 | 1,
  ): void {
    checkRange(x, outer * mid * inner, op === 0 ? "sum" : "max");
    checkRange(y, outer * inner, op === 0 ? "sum" : "max");
    this.health.check();
    this.shaders.reduce(x.offset, y.offset, outer, mid, inner, op);
  }

  private softmaxOp(
    x: GpuBuffer,
    y: GpuBuffer,
    outer: number,
    mid: number,
    inner: number,
    op: 0 | 1,
  ): void {
    checkRange(x, outer * mid * inner, "softmax");
    checkRange(y, outer * mid * inner, "softmax");
    this.health.check();
    this.shaders.softmax(x.offset, y.offset, outer, mid, inner, op);
  }

  /** Writes `count` values of `values` at element `offset` after the work recorded so far. */
  private upload(offset: number, values: Float32Array, count: number): void {
    this.health.check();
    this.context.flush();
    this.device.queue.writeBuffer(
      this.arena.buffer,
      offset * 4,
      values.buffer,
      values.byteOffset,
      count * 4,
    );
  }
}

function checkRange(buffer: GpuBuffer, size: number, what: string): void {
  if (!(size >= 0 && size <= buffer.length)) {
    throw new RangeError(`${what}: ${size} elements do not fit a buffer of ${buffer.length}`);
  }
}

function isWord(value: number | undefined): value is number {
  return value !== undefined && Number.isInteger(value) && value >= 0 && value < 2 ** 32;
}
