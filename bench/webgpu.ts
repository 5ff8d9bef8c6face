/**
 * WebGPU GEMM throughput for `npm run bench -- --backend webgpu`: runtime/webgpu/gemm.ts's
 * tiled kernel on the shapes of bench/gemm.ts, in the four transpose forms, on the GPU that
 * Dawn (the `webgpu` package) finds: a hardware adapter when there is one, else Mesa's
 * software driver (llvmpipe, OpenGL ES, compatibility mode), which is what CI machines and
 * this project's bench machine have.
 *
 * Timing: GPU work is asynchronous, so a call's time is that of a round of calls recorded
 * together, submitted once and waited for (onSubmittedWorkDone), divided by the calls in it.
 * A round lasts at least ROUND_MS; a cell is the median round (at least 3 rounds and the
 * time budget; with --steps N, one round of N calls), after one untimed call.
 */
import type { GpuBuffer, GpuContext } from "../runtime/webgpu/context.js";
import { nodeGpu } from "../runtime/node/webgpu.js";
import { encodeGemm } from "../runtime/webgpu/gemm.js";
import { Usage } from "../runtime/webgpu/recording-context.js";
import { type Form, type GemmShape, type GemmTiming, forms } from "./gemm.js";

const ROUND_MS = 20;

export interface BenchGpu {
  readonly context: BenchContext;
  /** The adapter, as the machine section names it. */
  readonly description: string;
}

/** A device on the adapter nodeGpu() gives (hardware, else Mesa's), or why there is none. */
export async function openBenchGpu(): Promise<BenchGpu | { readonly missing: string }> {
  try {
    const gpu = await nodeGpu();
    const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
    if (adapter === null) return { missing: "no WebGPU adapter (Dawn, then Mesa's OpenGL ES)" };
    const info = adapter.info;
    const name = [info.vendor, info.device, info.description].filter((s) => s !== "").join(", ");
    const software = /llvmpipe|swiftshader|lavapipe/i.test(name);
    const device = await adapter.requestDevice();
    const mode = software ? " (a software driver: the CPU's cores)" : "";
    return { context: new BenchContext(device), description: `${name}${mode}` };
  } catch (error) {
    return { missing: `no WebGPU: ${(error as Error).message}` };
  }
}

/**
 * A GpuContext over one arena: buffers bump-allocated from the start (reset per shape),
 * every dispatch of a flush in one compute pass. A dispatch's params go to a uniform buffer
 * kept per distinct params content, so repeated calls allocate nothing.
 */
export class BenchContext implements GpuContext {
  readonly limits: GPUSupportedLimits;
  private arena: GPUBuffer | null = null;
  private capacity = 0;
  private next = 0;
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  /** Bind groups by pipeline (each has its own layout, "auto"), then by params content. */
  private readonly bindings = new Map<GPUComputePipeline, Map<string, GPUBindGroup>>();
  /** Validation errors since the last `finish`, which throws them. */
  private readonly errors: string[] = [];
  private readonly uniforms: GPUBuffer[] = [];
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;

  constructor(readonly device: GPUDevice) {
    this.limits = device.limits;
    device.addEventListener("uncapturederror", (event) => {
      this.errors.push((event as GPUUncapturedErrorEvent).error.message);
    });
  }

  /** Makes room for `elements` in all (forgetting every buffer). */
  reserve(elements: number): void {
    this.next = 0;
    if (elements <= this.capacity) return;
    this.arena?.destroy();
    this.bindings.clear();
    this.capacity = elements;
    this.arena = this.device.createBuffer({
      size: elements * 4,
      usage: Usage.STORAGE | Usage.COPY_DST,
    });
  }

  /** A buffer holding `data`. */
  buffer(data: Float32Array): GpuBuffer {
    const offset = this.next;
    this.next += Math.ceil(data.length / 4) * 4;
    if (this.next > this.capacity) throw new Error("bench arena too small");
    this.device.queue.writeBuffer(this.arena!, offset * 4, data);
    return { device: true, offset, length: data.length };
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
    let byParams = this.bindings.get(pipeline);
    if (byParams === undefined) this.bindings.set(pipeline, (byParams = new Map()));
    const key = params.join(",");
    let bindGroup = byParams.get(key);
    if (bindGroup === undefined) {
      const uniform = this.device.createBuffer({
        size: Math.ceil(params.byteLength / 16) * 16,
        usage: Usage.UNIFORM | Usage.COPY_DST,
      });
      this.device.queue.writeBuffer(uniform, 0, params);
      this.uniforms.push(uniform);
      bindGroup = this.device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: this.arena! } },
          { binding: 1, resource: { buffer: uniform } },
        ],
      });
      byParams.set(key, bindGroup);
    }
    this.encoder ??= this.device.createCommandEncoder();
    this.pass ??= this.encoder.beginComputePass();
    this.pass.setPipeline(pipeline);
    this.pass.setBindGroup(0, bindGroup);
    this.pass.dispatchWorkgroups(workgroupsX, workgroupsY, workgroupsZ);
  }

  /** Submits what was recorded and waits for the GPU to finish it. */
  async finish(): Promise<void> {
    if (this.encoder !== null) {
      this.pass?.end();
      this.device.queue.submit([this.encoder.finish()]);
      this.encoder = null;
      this.pass = null;
    }
    await this.device.queue.onSubmittedWorkDone();
    if (this.errors.length > 0) {
      throw new Error(`WebGPU: ${this.errors.splice(0).join("; ").replace(/\s+/g, " ")}`);
    }
  }

  destroy(): void {
    this.arena?.destroy();
    for (const uniform of this.uniforms) uniform.destroy();
    this.device.destroy();
  }
}

const flagsOf = (form: Form): number => (form[0] === "T" ? 1 : 0) | (form[1] === "T" ? 2 : 0);

/** Times the WebGPU GEMM on one shape in every form (see the module comment). */
export async function timeWebGpuGemm(
  context: BenchContext,
  shape: GemmShape,
  budget: { readonly calls: number | null; readonly seconds: number },
): Promise<Record<Form, GemmTiming>> {
  const { m, n, k } = shape;
  context.reserve(Math.ceil((m * k) / 4) * 4 + Math.ceil((k * n) / 4) * 4 + m * n + 4);
  const values = (size: number, salt: number): Float32Array =>
    Float32Array.from(
      { length: size },
      (_, i) => (((i * 2654435761 + salt) >>> 0) % 1000) / 1000 - 0.5,
    );
  // op(A) is m x k and op(B) is k x n in every form, so the buffers' sizes do not depend on it.
  const a = context.buffer(values(m * k, 1));
  const b = context.buffer(values(k * n, 2));
  const c = context.buffer(new Float32Array(m * n));
  const out = {} as Record<Form, GemmTiming>;
  for (const form of forms) {
    const flags = flagsOf(form);
    const round = async (calls: number): Promise<number> => {
      const start = performance.now();
      for (let i = 0; i < calls; i++) encodeGemm(context, a, b, c, m, n, k, flags);
      await context.finish();
      return (performance.now() - start) / calls;
    };
    const first = await round(1);
    const perRound = budget.calls ?? Math.max(1, Math.ceil(ROUND_MS / Math.max(first, 1e-3)));
    const times: number[] = [];
    let total = 0;
    do {
      const ms = await round(perRound);
      times.push(ms);
      total += ms * perRound;
    } while (budget.calls === null && (times.length < 3 || total < budget.seconds * 1000));
    times.sort((x, y) => x - y);
    const median = times[times.length >> 1]!;
    out[form] = { calls: times.length * perRound, gflops: (2 * m * n * k) / (median * 1e6) };
  }
  return out;
}
