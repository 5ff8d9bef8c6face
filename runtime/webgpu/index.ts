/**
 * The WebGPU backend (`createBackend("webgpu")`, `Model.create({ backend: "webgpu" })`):
 * browser-safe, it takes `navigator.gpu` unless given a GPU (in Node, `nnc/runtime/node`'s
 * `nodeGpu()`, Dawn with Mesa's software driver as the fallback).
 *
 * Guarantees: a one-line WebGpuError when there is no WebGPU, no adapter or no device; the
 * backend computes in f32 and owns (and on dispose destroys) the device it requested.
 */
import type { Precision } from "../backend.js";
import { currentPlatform, registerBackend } from "../platform.js";
import { WebGpuError } from "./device-health.js";
import { WebGpuBackend } from "./webgpu-backend.js";

export type { GpuBuffer, GpuContext } from "./context.js";
export { ArenaLimitError } from "./arena.js";
export { WebGpuError } from "./device-health.js";
export { WebGpuBackend } from "./webgpu-backend.js";

export interface WebGpuOptions {
  /** The WebGPU entry point: `navigator.gpu` by default. */
  readonly gpu?: GPU;
  /** Only "f32" (the default): WebGPU has no f64 storage. */
  readonly precision?: Precision;
}

/** Limits the backend asks for up to the adapter's (the defaults are far lower). */
const WANTED_LIMITS = [
  "maxStorageBufferBindingSize",
  "maxBufferSize",
  "maxComputeInvocationsPerWorkgroup",
  "maxComputeWorkgroupSizeX",
  "maxComputeWorkgroupSizeY",
  "maxComputeWorkgroupStorageSize",
  "maxComputeWorkgroupsPerDimension",
] as const;

/** A WebGPU backend on a device of `options.gpu` (or the browser's). */
export async function createWebGpuBackend(options: WebGpuOptions = {}): Promise<WebGpuBackend> {
  if (options.precision === "f64") {
    throw new WebGpuError("the webgpu backend computes in f32 only; use --precision f32");
  }
  const gpu =
    options.gpu ?? (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu ?? undefined;
  if (gpu === undefined) {
    throw new WebGpuError(
      "WebGPU is not available here (no navigator.gpu); use a browser with WebGPU, or the cpu backend",
    );
  }
  const adapter =
    (await gpu.requestAdapter({ powerPreference: "high-performance" })) ??
    (await gpu.requestAdapter({ featureLevel: "compatibility" }));
  if (adapter === null) {
    throw new WebGpuError(
      "no WebGPU adapter was found (without a GPU, Node needs Mesa's EGL/GLES drivers: libegl1 libgles2 libegl-mesa0); use the cpu backend",
    );
  }
  const requiredLimits: Record<string, number> = {};
  for (const name of WANTED_LIMITS) requiredLimits[name] = adapter.limits[name];
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ requiredLimits });
  } catch (error) {
    const reason = error instanceof Error ? error.message.split("\n")[0]! : String(error);
    throw new WebGpuError(`the WebGPU adapter gave no device (${reason}); use the cpu backend`);
  }
  return new WebGpuBackend({ device, ownsDevice: true, description: describe(adapter), gpu });
}

/** The training header's line: `webgpu: llvmpipe-llvm-15-0-6-256-bits (OpenGL ES ..., compatibility)`. */
function describe(adapter: GPUAdapter): string {
  const info = adapter.info;
  const name = [info.vendor, info.architecture, info.device]
    .filter((s) => s !== "")
    .join(" ")
    .replace(/-+$/, "");
  const notes = [
    ...(info.description !== "" ? [info.description] : []),
    ...(adapter.features.has("core-features-and-limits") ? [] : ["compatibility"]),
  ];
  return `webgpu: ${name || "adapter"}${notes.length > 0 ? ` (${notes.join(", ")})` : ""}`;
}

// `createBackend("webgpu")`: the caller's GPU, else the platform's (Node's `webgpu` package once
// `nnc/runtime/node` is imported, `navigator.gpu` in a page)
registerBackend("webgpu", async (options) => {
  const gpu = (options.gpu ?? (await currentPlatform().gpu?.())) as GPU | undefined;
  return createWebGpuBackend({
    ...(gpu !== undefined ? { gpu } : {}),
    ...(options.precision !== undefined ? { precision: options.precision } : {}),
  });
});
