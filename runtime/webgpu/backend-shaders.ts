/**
 * Encoders of the WebGPU backend's own shaders (library-kernels.ts: copy, fill, reductions,
 * softmax, dropout masks, metric sums) and of the model's kernels (their WGSL, printed by
 * compiler/kernel/print-wgsl.ts), over arena element offsets.
 *
 * Assumes the caller checked ranges and that the device is usable; offsets are elements of the
 * arena. Guarantees: one pipeline per key, compiled on first use with workgroup sizes from the
 * device's limits; after that a call allocates nothing on the JS side (params go through one
 * scratch that the context copies at the call; shader sources are module-level functions).
 * Browser-safe.
 */
import { type MetricLayout, type MetricSlots, metricSlots } from "../backend.js";
import type { GpuBuffer } from "./context.js";
import {
  COPY_WGSL,
  DROPOUT_WGSL,
  FILL_WGSL,
  METRIC_EXTRAS_WGSL,
  METRICS_WGSL,
  REDUCE_WGSL,
  REDUCE_WORKGROUP_WGSL,
  SOFTMAX_WGSL,
} from "./library-kernels.js";
import {
  PARAMS_WORDS,
  type RecordingContext,
  dispatch1d,
  elementwiseWorkgroupSize,
} from "./recording-context.js";
import { WGSL_MATH, wgslMathSources } from "./wgsl-math.js";
import { WGSL_PRELUDE } from "./wgsl-prelude.js";

/** Middle axes at least this long are reduced by a workgroup per output. */
const WORKGROUP_REDUCE_MIN = 256;

export class BackendShaders {
  private readonly workgroupSize: number;
  private readonly reduceWorkgroupSize: number;
  /** Pipelines by key (a kernel's by its WGSL). */
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  /** The params of the dispatch being recorded (the context copies them at the call). */
  private readonly params = new Uint32Array(PARAMS_WORDS);
  /** The slots of the layout `metricExtras` last ran with. */
  private extrasLayout: MetricLayout | undefined;
  private extrasSlots: MetricSlots | undefined;

  constructor(private readonly context: RecordingContext) {
    const limits = context.limits;
    this.workgroupSize = elementwiseWorkgroupSize(limits);
    // a power of two, for the tree; workgroup memory holds one f32 per invocation
    this.reduceWorkgroupSize = 2 ** Math.floor(Math.log2(Math.min(256, maxInvocations(limits))));
  }

  copy(size: number, from: number, to: number): void {
    this.flat("copy", copySource, size, this.setParams(size, from, to));
  }

  /** `words` copies of `value` (rounded to f32) from `offset`. */
  fill(words: number, offset: number, value: number): void {
    this.flat("fill", fillSource, words, this.setParams(words, offset, f32Bits(value)));
  }

  /** A model kernel over `size` elements, batch size `n`, on `buffers` (absent ones skipped). */
  kernel(wgsl: string, size: number, n: number, buffers: readonly (GpuBuffer | undefined)[]): void {
    const params = this.params;
    params[0] = size;
    params[1] = n;
    let words = 2;
    for (const buffer of buffers) if (buffer !== undefined) params[words++] = buffer.offset;
    // keyed by the source itself: the same string object every step, its hash cached
    this.flat(wgsl, kernelSource, size, params);
  }

  /** Sums (op 0) or maxima (op 1) over the middle axis of an outer x mid x inner array. */
  reduce(x: number, y: number, outer: number, mid: number, inner: number, op: 0 | 1): void {
    const params = this.setParams(outer, mid, inner, x, y, op);
    if (mid < WORKGROUP_REDUCE_MIN) {
      this.flat("reduce", reduceSource, outer * inner, params);
      return;
    }
    const size = this.reduceWorkgroupSize;
    const pipeline = this.shader("reduce-workgroup", reduceWorkgroupSource, size);
    dispatch1d(this.context, pipeline, params, outer * inner, 1);
  }

  /** Softmax (op 0) or log-softmax (op 1) over the middle axis. */
  softmax(x: number, y: number, outer: number, mid: number, inner: number, op: 0 | 1): void {
    const params = this.setParams(outer, mid, inner, x, y, op);
    this.flat("softmax", softmaxSource, outer * inner, params);
  }

  /** A dropout mask of `size` values: 0 with probability `rate`, else 1 / (1 - rate). */
  dropout(mask: number, size: number, rate: number, seed: number, counter: number): void {
    const keep = rate < 1 ? 1 / (1 - rate) : 0;
    const params = this.setParams(size, mask, seed, counter, f32Bits(rate), f32Bits(keep));
    this.flat("dropout", dropoutSource, size, params);
  }

  /** Adds a batch of `rows` to the metric sums and their Kahan compensations (one workgroup). */
  metrics(
    rows: number,
    layout: MetricLayout,
    sums: number,
    compensations: number,
    loss: number,
    output: number,
    target: number,
  ): void {
    const pipeline = this.shader("metrics", metricsSource, this.reduceWorkgroupSize);
    const params = this.setParams(
      rows,
      layout.classes,
      layout.ids ? 1 : 0,
      layout.metrics ? 1 : 0,
      sums,
      compensations,
      loss,
      output,
      target,
    );
    this.context.dispatch(pipeline, params, 1);
  }

  /**
   * Adds the extra sums of a batch (MetricSlots) to the sums and compensations, before
   * `metrics` counts the batch's rows (one workgroup).
   */
  metricExtras(
    rows: number,
    layout: MetricLayout,
    sums: number,
    compensations: number,
    output: number,
    target: number,
  ): void {
    const pipeline = this.shader("metric-extras", metricExtrasSource, this.reduceWorkgroupSize);
    // offsets do not depend on the capacity (it only sizes the buffer); kept per layout
    if (this.extrasLayout !== layout) {
      this.extrasLayout = layout;
      this.extrasSlots = metricSlots(layout, 0);
    }
    const slots = this.extrasSlots!;
    const p = this.params;
    p[0] = rows;
    p[1] = layout.classes;
    p[2] = layout.ids ? 1 : 0;
    p[3] = layout.topK;
    p[4] = layout.confusion ? 1 : 0;
    p[5] = layout.r2 ? 1 : 0;
    p[6] = layout.scores ? 1 : 0;
    p[7] = sums;
    p[8] = compensations;
    p[9] = output;
    p[10] = target;
    p[11] = slots.topK;
    p[12] = slots.truePositive;
    p[13] = slots.predicted;
    p[14] = slots.actual;
    p[15] = slots.targetSum;
    p[16] = slots.targetSquares;
    p[17] = slots.squaredError;
    p[18] = slots.scores;
    this.context.dispatch(pipeline, this.params, 1);
  }

  /** One dispatch of a 1-D shader over `count` invocations. */
  private flat(key: string, source: ShaderSource, count: number, params: Uint32Array): void {
    if (count === 0) return;
    const pipeline = this.shader(key, source, this.workgroupSize);
    dispatch1d(this.context, pipeline, params, count, this.workgroupSize);
  }

  /** The pipeline of `source(key)` after the prelude, compiled on first use. */
  private shader(key: string, source: ShaderSource, workgroupSize: number): GPUComputePipeline {
    let pipeline = this.pipelines.get(key);
    if (pipeline === undefined) {
      pipeline = this.context.pipeline(key, () => `${WGSL_PRELUDE}\n${source(key)}`, {
        WORKGROUP_SIZE: workgroupSize,
      });
      this.pipelines.set(key, pipeline);
    }
    return pipeline;
  }

  /**
   * The params scratch with its first words set (later words keep stale values that no shader
   * of these calls reads): numbers in, no array per call.
   */
  private setParams(
    w0: number,
    w1: number,
    w2: number,
    w3 = 0,
    w4 = 0,
    w5 = 0,
    w6 = 0,
    w7 = 0,
    w8 = 0,
  ): Uint32Array {
    const p = this.params;
    p[0] = w0;
    p[1] = w1;
    p[2] = w2;
    p[3] = w3;
    p[4] = w4;
    p[5] = w5;
    p[6] = w6;
    p[7] = w7;
    p[8] = w8;
    return p;
  }
}

/** The WGSL of a shader (without the prelude), from its pipeline key. */
type ShaderSource = (key: string) => string;
const copySource: ShaderSource = () => COPY_WGSL;
const fillSource: ShaderSource = () => FILL_WGSL;
const dropoutSource: ShaderSource = () => DROPOUT_WGSL;
const reduceSource: ShaderSource = () => REDUCE_WGSL;
const reduceWorkgroupSource: ShaderSource = () => REDUCE_WORKGROUP_WGSL;
const metricsSource: ShaderSource = () => METRICS_WGSL;
const metricExtrasSource: ShaderSource = () => METRIC_EXTRAS_WGSL;
const softmaxSource: ShaderSource = () => `${SOFTMAX_WGSL}\n${wgslMathSources(["exp_f", "log_f"])}`;
/** A model kernel is keyed by its WGSL. */
const kernelSource: ShaderSource = (wgsl) => `${wgsl}\n${WGSL_MATH}`;

function maxInvocations(l: GPUSupportedLimits): number {
  const bytesPerInvocation = 16;
  return Math.min(
    l.maxComputeInvocationsPerWorkgroup,
    l.maxComputeWorkgroupSizeX,
    Math.floor(l.maxComputeWorkgroupStorageSize / bytesPerInvocation),
  );
}

const bits = new DataView(new ArrayBuffer(4));

/** The bits of `value` rounded to f32, as a u32 params word. */
function f32Bits(value: number): number {
  bits.setFloat32(0, value, true);
  return bits.getUint32(0, true);
}
