/**
 * The WebGPU backend for tests: one per test file, on Node's GPU (Dawn; Mesa's llvmpipe without
 * a GPU, which is slow: keep sizes small), and the GPU tests' tolerance against a CPU reference.
 */
import { nodeGpu } from "../../runtime/node/webgpu.js";
import { createWebGpuBackend } from "../../runtime/webgpu/index.js";
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
