/**
 * The GpuContext of the WebGPU backend: records dispatches into one compute pass of the current
 * command encoder, with a cache of compute pipelines by key (and override constants).
 *
 * Guarantees: dispatches run in the order they were recorded, each seeing the writes of the
 * ones before (WebGPU orders dispatches of a pass); `flush` submits them, writing their params
 * (256-byte slots of a uniform ring, bound at a dynamic offset) with one `queue.writeBuffer`
 * first. Shaders are complete WGSL modules (the backend's own start with wgsl-prelude.ts's
 * WGSL_PRELUDE); every one binds the arena at 0 and its `Params` at 1 (context.ts).
 * Browser-safe: only the WebGPU API, no globals that need a polyfill (usage bits are numbers).
 */
import type { GpuContext } from "./context.js";

/** GPUBufferUsage and GPUMapMode bits, as numbers (the globals are not defined in every host). */
export const Usage = {
  MAP_READ: 0x1,
  COPY_SRC: 0x4,
  COPY_DST: 0x8,
  UNIFORM: 0x40,
  STORAGE: 0x80,
} as const;
export const MAP_READ_MODE = 0x1;
const SHADER_STAGE_COMPUTE = 0x4;

/** Words of one dispatch's params: its slot of the uniform ring is 256 bytes. */
export const PARAMS_WORDS = 64;
const SLOT_BYTES = PARAMS_WORDS * 4;
/** Dispatches per flush before the ring is submitted and reused. */
const RING_SLOTS = 2048;

/**
 * The GpuContext of a backend: records dispatches into one compute pass of the current command
 * encoder; `arena()` gives the storage buffer of the moment (it changes only between flushes).
 */
export class RecordingContext implements GpuContext {
  readonly limits: GPUSupportedLimits;
  private readonly layout: GPUBindGroupLayout;
  private readonly pipelineLayout: GPUPipelineLayout;
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly ring: GPUBuffer;
  private readonly ringData = new Uint32Array(RING_SLOTS * PARAMS_WORDS);
  /** The dynamic offset of the dispatch being recorded (an array WebGPU reads at the call). */
  private readonly dynamicOffset = new Uint32Array(1);
  private slots = 0;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private bindGroup: GPUBindGroup | null = null;
  private boundArena: GPUBuffer | null = null;

  constructor(
    readonly device: GPUDevice,
    private readonly arena: () => GPUBuffer,
  ) {
    this.limits = device.limits;
    this.layout = device.createBindGroupLayout({
      entries: [
        { binding: 0, visibility: SHADER_STAGE_COMPUTE, buffer: { type: "storage" } },
        {
          binding: 1,
          visibility: SHADER_STAGE_COMPUTE,
          buffer: { type: "uniform", hasDynamicOffset: true, minBindingSize: SLOT_BYTES },
        },
      ],
    });
    this.pipelineLayout = device.createPipelineLayout({ bindGroupLayouts: [this.layout] });
    this.ring = device.createBuffer({
      size: RING_SLOTS * SLOT_BYTES,
      usage: Usage.UNIFORM | Usage.COPY_DST,
    });
  }

  pipeline(
    key: string,
    source: () => string,
    constants?: Readonly<Record<string, number>>,
  ): GPUComputePipeline {
    const cacheKey = constants === undefined ? key : `${key}|${JSON.stringify(constants)}`;
    let pipeline = this.pipelines.get(cacheKey);
    if (pipeline === undefined) {
      const module = this.device.createShaderModule({ code: source(), label: key });
      pipeline = this.device.createComputePipeline({
        label: key,
        layout: this.pipelineLayout,
        compute: { module, entryPoint: "main", ...(constants ? { constants } : {}) },
      });
      this.pipelines.set(cacheKey, pipeline);
    }
    return pipeline;
  }

  dispatch(
    pipeline: GPUComputePipeline,
    params: Uint32Array,
    workgroupsX: number,
    workgroupsY = 1,
    workgroupsZ = 1,
  ): void {
    if (workgroupsX === 0 || workgroupsY === 0 || workgroupsZ === 0) return;
    if (params.length > PARAMS_WORDS) {
      throw new RangeError(`a dispatch takes at most ${PARAMS_WORDS} params words`);
    }
    if (this.slots === RING_SLOTS) this.flush();
    const pass = this.computePass();
    const slot = this.slots++;
    this.ringData.set(params, slot * PARAMS_WORDS);
    this.dynamicOffset[0] = slot * SLOT_BYTES;
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, this.bindGroup!, this.dynamicOffset, 0, 1);
    pass.dispatchWorkgroups(workgroupsX, workgroupsY, workgroupsZ);
  }

  /**
   * The current command encoder with no pass open, for copies between dispatches (readbacks);
   * work recorded on it is submitted, in order, by the next flush.
   */
  commandEncoder(): GPUCommandEncoder {
    this.endPass();
    this.encoder ??= this.device.createCommandEncoder();
    return this.encoder;
  }

  /** Whether anything was recorded since the last flush. */
  get pending(): boolean {
    return this.encoder !== null;
  }

  /** Submits what was recorded (params first); a no-op when nothing was. */
  flush(): void {
    if (this.encoder === null) return;
    this.endPass();
    if (this.slots > 0) {
      this.device.queue.writeBuffer(this.ring, 0, this.ringData, 0, this.slots * PARAMS_WORDS);
    }
    this.device.queue.submit([this.encoder.finish()]);
    this.encoder = null;
    this.slots = 0;
  }

  destroy(): void {
    this.encoder = null;
    this.pass = null;
    this.ring.destroy();
  }

  private computePass(): GPUComputePassEncoder {
    if (this.pass !== null) return this.pass;
    const arena = this.arena();
    if (this.boundArena !== arena) {
      this.bindGroup = this.device.createBindGroup({
        layout: this.layout,
        entries: [
          { binding: 0, resource: { buffer: arena } },
          { binding: 1, resource: { buffer: this.ring, size: SLOT_BYTES } },
        ],
      });
      this.boundArena = arena;
    }
    this.encoder ??= this.device.createCommandEncoder();
    this.pass = this.encoder.beginComputePass();
    return this.pass;
  }

  private endPass(): void {
    if (this.pass === null) return;
    this.pass.end();
    this.pass = null;
  }
}

/**
 * Records a 1-D grid of `count` invocations in workgroups of `workgroupSize`, folded into Y
 * when X would exceed the device's workgroups per dimension. Shaders rebuild the index as
 * `id.x + id.y * (num_workgroups.x * workgroupSize)` and skip indices >= count.
 */
export function dispatch1d(
  ctx: RecordingContext,
  pipeline: GPUComputePipeline,
  params: Uint32Array,
  count: number,
  workgroupSize: number,
): void {
  const groups = Math.ceil(count / workgroupSize);
  if (groups === 0) return;
  const y = Math.ceil(groups / ctx.limits.maxComputeWorkgroupsPerDimension);
  ctx.dispatch(pipeline, params, Math.ceil(groups / y), y);
}

/** The 1-D workgroup size of elementwise kernels: 64, or fewer where the device allows less. */
export function elementwiseWorkgroupSize(limits: GPUSupportedLimits): number {
  return Math.min(64, limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX);
}
