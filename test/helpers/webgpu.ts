/**
 * WebGPU for tests, on Node's GPU (runtime/node's nodeGpu: Dawn, hardware when there is one,
 * else Mesa's llvmpipe in compatibility mode, which is slow: keep sizes small): a WebGPU
 * backend per test file, a shared device with a minimal GpuContext over one arena buffer for
 * testing library kernels without a backend (suites skip, with the reason, when no adapter can
 * be had), and the GPU tests' tolerance against a CPU reference.
 */
import { nodeGpu } from "../../runtime/node/webgpu.js";
import type { GpuBuffer, GpuContext } from "../../runtime/webgpu/context.js";
import { createWebGpuBackend } from "../../runtime/webgpu/index.js";
import { MAP_READ_MODE, Usage } from "../../runtime/webgpu/recording-context.js";
import type { WebGpuBackend } from "../../runtime/webgpu/webgpu-backend.js";

/** A new WebGPU backend (dispose it in afterAll: the device keeps nothing alive after that). */
export async function testWebGpuBackend(): Promise<WebGpuBackend> {
  return createWebGpuBackend({ gpu: await nodeGpu() });
}

/**
 * Whether a GPU value is close to the reference: NaN exactly where it is NaN, the same
 * infinities, else |gpu - reference| <= 1e-5 + 1e-3 |reference| (issue 9's f32 tolerance).
 */
export function closeToReference(gpu: number, reference: number): boolean {
  if (Number.isNaN(reference)) return Number.isNaN(gpu);
  if (!Number.isFinite(reference)) return gpu === reference;
  return Math.abs(gpu - reference) <= 1e-5 + 1e-3 * Math.abs(reference);
}

/** Indices where `gpu` is not close to `reference`, with both values, at most `limit`. */
export function farFromReference(
  gpu: ArrayLike<number>,
  reference: ArrayLike<number>,
  limit = 8,
): string[] {
  const out: string[] = [];
  for (let i = 0; i < reference.length && out.length < limit; i++) {
    if (!closeToReference(gpu[i]!, reference[i]!)) out.push(`[${i}] ${gpu[i]} vs ${reference[i]}`);
  }
  return out;
}

export interface TestGpu {
  readonly device: GPUDevice | null;
  /** Why there is no device, when there is none. */
  readonly reason: string;
}

let cached: Promise<TestGpu> | undefined;

/** The shared test device (one per test file's process), or why there is none. */
export function testGpu(): Promise<TestGpu> {
  cached ??= openDevice();
  return cached;
}

async function openDevice(): Promise<TestGpu> {
  try {
    // nodeGpu keeps Dawn's instance for the process: once collected, its devices' work crashes
    const adapter = await (await nodeGpu()).requestAdapter();
    if (adapter === null) return { device: null, reason: "no WebGPU adapter (Dawn)" };
    const device = await adapter.requestDevice();
    return { device, reason: "" };
  } catch (error) {
    return { device: null, reason: `no WebGPU: ${(error as Error).message}` };
  }
}

/**
 * A GpuContext whose arena is a fixed-size storage buffer, buffers bump-allocated in it (each
 * at a multiple of 4 elements); every dispatch gets a uniform buffer of its own.
 */
export class TestContext implements GpuContext {
  readonly limits: GPUSupportedLimits;
  readonly arena: GPUBuffer;
  private next = 0;
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private encoder: GPUCommandEncoder | null = null;
  private uniforms: GPUBuffer[] = [];
  /** Dispatches recorded since the context was made. */
  dispatches = 0;
  /** Validation errors (a WGSL error, a bad dispatch) not yet reported by `read`. */
  private errors: string[] = [];

  constructor(
    readonly device: GPUDevice,
    readonly capacity = 1 << 22,
  ) {
    this.limits = device.limits;
    device.addEventListener("uncapturederror", (event) => {
      this.errors.push((event as GPUUncapturedErrorEvent).error.message);
    });
    this.arena = device.createBuffer({
      size: capacity * 4,
      usage: Usage.STORAGE | Usage.COPY_SRC | Usage.COPY_DST,
    });
  }

  /** A zero-filled buffer of `length` elements. */
  alloc(length: number): GpuBuffer {
    const offset = this.next;
    this.next += Math.ceil(Math.max(length, 1) / 4) * 4;
    if (this.next > this.capacity) throw new Error("test arena full");
    this.flush();
    this.device.queue.writeBuffer(this.arena, offset * 4, new Float32Array(this.next - offset));
    return { device: true, offset, length };
  }

  /** Frees every buffer (the next alloc starts over). */
  reset(): void {
    this.next = 0;
  }

  upload(buffer: GpuBuffer, data: ArrayLike<number>): void {
    this.flush();
    this.device.queue.writeBuffer(this.arena, buffer.offset * 4, Float32Array.from(data));
  }

  /** A buffer holding `data`. */
  buffer(data: ArrayLike<number>): GpuBuffer {
    const buffer = this.alloc(data.length);
    this.upload(buffer, data);
    return buffer;
  }

  async read(buffer: GpuBuffer): Promise<Float32Array> {
    const bytes = Math.ceil(buffer.length / 4) * 16;
    const staging = this.device.createBuffer({
      size: Math.max(bytes, 16),
      usage: Usage.MAP_READ | Usage.COPY_DST,
    });
    const encoder = this.currentEncoder();
    if (bytes > 0) encoder.copyBufferToBuffer(this.arena, buffer.offset * 4, staging, 0, bytes);
    this.flush();
    await staging.mapAsync(MAP_READ_MODE);
    const out = new Float32Array(staging.getMappedRange().slice(0, buffer.length * 4));
    staging.destroy();
    const errors = this.errors.splice(0);
    if (errors.length > 0) throw new Error(`WebGPU errors: ${errors.join("; ")}`);
    return out;
  }

  pipeline(key: string, source: () => string): GPUComputePipeline {
    let pipeline = this.pipelines.get(key);
    if (pipeline === undefined) {
      const module = this.device.createShaderModule({ code: source() });
      pipeline = this.device.createComputePipeline({
        layout: "auto",
        compute: { module, entryPoint: "main" },
      });
      this.pipelines.set(key, pipeline);
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
    const uniform = this.device.createBuffer({
      size: Math.ceil(params.byteLength / 16) * 16,
      usage: Usage.UNIFORM | Usage.COPY_DST,
    });
    this.device.queue.writeBuffer(uniform, 0, params);
    this.uniforms.push(uniform);
    const bindGroup = this.device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: this.arena } },
        { binding: 1, resource: { buffer: uniform } },
      ],
    });
    const pass = this.currentEncoder().beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(workgroupsX, workgroupsY, workgroupsZ);
    pass.end();
    this.dispatches++;
  }

  /** Submits what was recorded. */
  flush(): void {
    if (this.encoder === null) return;
    this.device.queue.submit([this.encoder.finish()]);
    this.encoder = null;
    for (const uniform of this.uniforms) uniform.destroy();
    this.uniforms = [];
  }

  /** Waits for the queue (for timing). */
  async finish(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
  }

  destroy(): void {
    this.flush();
    this.arena.destroy();
  }

  private currentEncoder(): GPUCommandEncoder {
    this.encoder ??= this.device.createCommandEncoder();
    return this.encoder;
  }
}
