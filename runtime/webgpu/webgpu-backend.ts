/**
 * The WebGPU backend: every call but `read` records dispatches into the context's current
 * command encoder (context.ts), in call order; `read` submits them and waits for a copy of the
 * buffer. All buffers are ranges of one arena (arena.ts); kernels of the model run their WGSL
 * (compiler/kernel/print-wgsl.ts), one cached pipeline each; library calls run the shaders of
 * library-kernels.ts and the GEMM, convolution and pooling encoders. f32 only.
 *
 * Guarantees: no allocation per step on the device (writes of a batch reuse one staging array,
 * reads a pool of mappable buffers); a device loss, a refused allocation or a WebGPU error makes
 * the next `read` (and every call after a loss) throw one line, WebGpuError, that says what
 * happened and what to try; `dispose` destroys the device when the backend created it.
 */
import type { Backend, ConvGeometry, Kernel, MetricLayout, PoolGeometry } from "../backend.js";
import { GpuArena, granule } from "./arena.js";
import type { GpuBuffer } from "./context.js";
import {
  conv2dScratchSize,
  encodeConv2d,
  encodeConv2dGradInput,
  encodeConv2dGradWeight,
} from "./conv2d.js";
import { encodeGemm } from "./gemm.js";
import { encodeMaxpool2d, encodeMaxpool2dGrad } from "./pool2d.js";
import {
  MAP_READ_MODE,
  RecordingContext,
  Usage,
  elementwiseWorkgroupSize,
  grid1d,
} from "./recording-context.js";
import {
  COPY_WGSL,
  DROPOUT_WGSL,
  FILL_WGSL,
  METRICS_WGSL,
  REDUCE_WGSL,
  REDUCE_WORKGROUP_WGSL,
  SOFTMAX_WGSL,
} from "./library-kernels.js";
import { WGSL_MATH, wgslMathSources } from "./wgsl-math.js";
import { WGSL_PRELUDE } from "./wgsl-prelude.js";

/** Something went wrong on the GPU; the message is one line: what happened, what to try. */
export class WebGpuError extends Error {
  override readonly name = "WebGpuError";
}

/** Values of a metric-sums buffer (runtime/backend.ts's MetricSum, steps and firstNonFinite included). */
const METRIC_SLOTS = 8;
/** A metric-sums range: the sums, then their Kahan compensations. */
const METRIC_COMPENSATION = granule(METRIC_SLOTS);

/** Middle axes at least this long are reduced by a workgroup per output. */
const WORKGROUP_REDUCE_MIN = 256;

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
  private readonly workgroupSize: number;
  private readonly reduceWorkgroupSize: number;
  private readonly metricSums = new WeakSet<GpuBuffer>();
  private readonly readbacks = new Map<number, GPUBuffer[]>();
  /** Pipelines of 1-D shaders by key (a kernel's by its WGSL). */
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private staging = new Float32Array(0);
  private failure: string | null = null;
  private lost = false;
  private disposed = false;
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
    const limits = this.context.limits;
    this.workgroupSize = elementwiseWorkgroupSize(limits);
    // a power of two, for the tree; workgroup memory holds one f32 per invocation
    this.reduceWorkgroupSize = 2 ** Math.floor(Math.log2(Math.min(256, this.maxInvocations())));
    void this.device.lost.then((info) => {
      this.lost = true;
      if (info.reason !== "destroyed" && this.failure === null) {
        this.failure = `the GPU device was lost (${firstLine(info.message)}); restart, or use --backend cpu`;
      }
    });
    this.device.onuncapturederror = (event: GPUUncapturedErrorEvent) => {
      this.failure ??= `WebGPU error: ${firstLine(event.error.message)}`;
    };
  }

  alloc(size: number): GpuBuffer {
    this.checkUsable();
    this.device.pushErrorScope("out-of-memory");
    const { buffer, reused } = this.arena.alloc(size);
    this.watch(this.device.popErrorScope(), `${mib(this.arena.bytes)} MiB`);
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
    this.checkUsable();
    if (size === 0) return new Float32Array(0);
    const bytes = size * 4;
    const pooled = 2 ** Math.ceil(Math.log2(Math.max(bytes, 256)));
    const readback =
      this.readbacks.get(pooled)?.pop() ??
      this.device.createBuffer({ size: pooled, usage: Usage.MAP_READ | Usage.COPY_DST });
    this.context
      .commandEncoder()
      .copyBufferToBuffer(this.arena.buffer, src.offset * 4, readback, 0, bytes);
    this.context.flush();
    const lost = this.device.lost.then(() => "lost" as const);
    const outcome = await Promise.race([readback.mapAsync(MAP_READ_MODE, 0, bytes), lost]);
    if (outcome === "lost") this.checkUsable();
    const values = new Float32Array(readback.getMappedRange(0, bytes).slice(0));
    readback.unmap();
    const list = this.readbacks.get(pooled);
    if (list === undefined) this.readbacks.set(pooled, [readback]);
    else list.push(readback);
    // errors of the work just run (validation, out of memory) surface here
    if (this.failure !== null) throw new WebGpuError(this.failure);
    return values;
  }

  copy(src: GpuBuffer, dst: GpuBuffer, size: number, srcOffset = 0, dstOffset = 0): void {
    checkRange(src, srcOffset + size, "copy");
    checkRange(dst, dstOffset + size, "copy");
    this.flat("copy", () => COPY_WGSL, size, [
      size,
      src.offset + srcOffset,
      dst.offset + dstOffset,
    ]);
  }

  fill(dst: GpuBuffer, value: number, size: number): void {
    checkRange(dst, size, "fill");
    const words = this.metricSums.has(dst) ? METRIC_COMPENSATION * 2 : size;
    this.flat("fill", () => FILL_WGSL, words, [words, dst.offset, f32Bits(value)]);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.context.destroy();
    this.arena.destroy();
    for (const list of this.readbacks.values()) for (const b of list) b.destroy();
    this.readbacks.clear();
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
    this.checkUsable();
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
    this.checkUsable();
    const source = kernel.wgsl;
    if (source === undefined) {
      throw new WebGpuError(
        `kernel ${kernel.name} has no WGSL shader: rebuild the model with this version of nnc`,
      );
    }
    const params = [size, n];
    for (const buffer of buffers) if (buffer !== undefined) params.push(buffer.offset);
    // keyed by the source itself: the same string object every step, its hash cached
    this.flat(source, () => `${source}\n${WGSL_MATH}`, size, params);
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
    this.checkUsable();
    encodeConv2d(this.context, x, w, y, geometry, this.convScratch(geometry));
  }

  conv2dGradInput(dy: GpuBuffer, w: GpuBuffer, dx: GpuBuffer, geometry: ConvGeometry): void {
    this.checkUsable();
    encodeConv2dGradInput(this.context, dy, w, dx, geometry, this.convScratch(geometry));
  }

  conv2dGradWeight(x: GpuBuffer, dy: GpuBuffer, dw: GpuBuffer, geometry: ConvGeometry): void {
    this.checkUsable();
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
    this.checkUsable();
    encodeMaxpool2d(this.context, x, y, geometry);
  }

  maxpool2dGrad(x: GpuBuffer, dy: GpuBuffer, dx: GpuBuffer, geometry: PoolGeometry): void {
    this.checkUsable();
    encodeMaxpool2dGrad(this.context, x, dy, dx, geometry);
  }

  dropoutMask(mask: GpuBuffer, size: number, rate: number): void {
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`dropout rate ${rate} is not in [0, 1]`);
    checkRange(mask, size, "dropoutMask");
    const keep = rate < 1 ? 1 / (1 - rate) : 0;
    const counter = this.dropoutCounter++;
    const params = [size, mask.offset, this.dropoutSeed, counter, f32Bits(rate), f32Bits(keep)];
    this.flat("dropout", () => DROPOUT_WGSL, size, params);
  }

  seedDropout(seed: number): void {
    this.dropoutSeed = seed >>> 0;
    this.dropoutCounter = 0;
  }

  allocMetricSums(): GpuBuffer {
    const whole = this.alloc(METRIC_COMPENSATION * 2);
    const sums: GpuBuffer = { device: true, offset: whole.offset, length: METRIC_SLOTS };
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
    this.checkUsable();
    const size = this.reduceWorkgroupSize;
    const pipeline = this.context.pipeline("metrics", () => withPrelude(METRICS_WGSL), {
      WORKGROUP_SIZE: size,
    });
    const params = [
      rows,
      layout.classes,
      layout.ids ? 1 : 0,
      layout.metrics ? 1 : 0,
      sums.offset,
      sums.offset + METRIC_COMPENSATION,
      loss.offset,
      output.offset,
      target.offset,
    ];
    this.context.dispatch(pipeline, Uint32Array.from(params), 1);
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
    const params = [outer, mid, inner, x.offset, y.offset, op];
    if (mid < WORKGROUP_REDUCE_MIN) {
      this.flat("reduce", () => REDUCE_WGSL, outer * inner, params);
      return;
    }
    this.checkUsable();
    const size = this.reduceWorkgroupSize;
    const pipeline = this.context.pipeline(
      "reduce-workgroup",
      () => withPrelude(REDUCE_WORKGROUP_WGSL),
      {
        WORKGROUP_SIZE: size,
      },
    );
    const [gx, gy] = grid1d(this.context.limits, outer * inner, 1);
    this.context.dispatch(pipeline, Uint32Array.from(params), gx, gy);
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
    this.flat("softmax", softmaxSource, outer * inner, [outer, mid, inner, x.offset, y.offset, op]);
  }

  /** One dispatch of a 1-D shader over `count` invocations. */
  private flat(key: string, source: () => string, count: number, params: readonly number[]): void {
    this.checkUsable();
    if (count === 0) return;
    let pipeline = this.pipelines.get(key);
    if (pipeline === undefined) {
      pipeline = this.context.pipeline(key, () => withPrelude(source()), {
        WORKGROUP_SIZE: this.workgroupSize,
      });
      this.pipelines.set(key, pipeline);
    }
    const [gx, gy] = grid1d(this.context.limits, count, this.workgroupSize);
    this.context.dispatch(pipeline, Uint32Array.from(params), gx, gy);
  }

  /** Writes `count` values of `values` at element `offset` after the work recorded so far. */
  private upload(offset: number, values: Float32Array, count: number): void {
    this.checkUsable();
    this.context.flush();
    this.device.queue.writeBuffer(
      this.arena.buffer,
      offset * 4,
      values.buffer,
      values.byteOffset,
      count * 4,
    );
  }

  private watch(scope: Promise<GPUError | null>, what: string): void {
    void scope.then((error) => {
      if (error !== null) {
        this.failure ??=
          `the GPU refused memory (${what} for the model's buffers: ${firstLine(error.message)}); ` +
          "use a smaller batch size or --backend cpu";
      }
    });
  }

  private maxInvocations(): number {
    const l = this.context.limits;
    const bytesPerInvocation = 16;
    return Math.min(
      l.maxComputeInvocationsPerWorkgroup,
      l.maxComputeWorkgroupSizeX,
      Math.floor(l.maxComputeWorkgroupStorageSize / bytesPerInvocation),
    );
  }

  private checkUsable(): void {
    if (this.disposed) throw new WebGpuError("the webgpu backend was disposed");
    if (this.lost) {
      throw new WebGpuError(
        this.failure ?? "the GPU device was lost; restart, or use --backend cpu",
      );
    }
  }
}

const softmaxSource = (): string => `${SOFTMAX_WGSL}\n${wgslMathSources(["exp_f", "log_f"])}`;

/** A shader of this backend: the prelude (bindings, NaN helpers), then its own code. */
function withPrelude(source: string): string {
  return `${WGSL_PRELUDE}\n${source}`;
}

function checkRange(buffer: GpuBuffer, size: number, what: string): void {
  if (!(size >= 0 && size <= buffer.length)) {
    throw new RangeError(`${what}: ${size} elements do not fit a buffer of ${buffer.length}`);
  }
}

const bits = new DataView(new ArrayBuffer(4));

/** The bits of `value` rounded to f32, as a u32 params word. */
export function f32Bits(value: number): number {
  bits.setFloat32(0, value, true);
  return bits.getUint32(0, true);
}

function firstLine(message: string): string {
  return message.split("\n")[0]!.trim();
}

function mib(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(0);
}
