/**
 * Node's platform for the browser-safe core (runtime/platform.ts): worker_threads pools, all
 * cores by default, and system BLAS through koffi. `nnc/runtime/node` registers it when
 * imported, so that `await Model.create({ threads: 2 })` runs on worker threads in Node.
 */
import { type Platform, registerPlatform } from "../platform.js";
import { createSharedMemory } from "../wasm/memory.js";
import { createNodeWorkerPool, nodeThreadCount } from "../wasm/node-pool.js";
import { blasGemm } from "./blas.js";
import { nodeGpu } from "./webgpu.js";

/** Node's threads and BLAS (the GPU is added by the webgpu backend's Node entry). */
export const nodePlatform: Partial<Platform> & { readonly name: string } = {
  name: "node",
  defaultThreads: nodeThreadCount,
  async createPool(threads) {
    const memory = createSharedMemory();
    return memory === null ? undefined : createNodeWorkerPool({ memory, threads });
  },
  gemm: (blas) => blasGemm(blas),
  gpu: nodeGpu,
};

/** Registers Node's platform (idempotent; importing `nnc/runtime/node` does it). */
export function registerNodePlatform(): void {
  registerPlatform(nodePlatform);
}
