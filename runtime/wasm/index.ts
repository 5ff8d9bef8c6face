/**
 * The WebAssembly CPU backend (`--backend cpu`, the default): one WebAssembly.Memory per
 * backend holding every buffer, typed-array views on it for JS. Browser-safe.
 */
import { WasmBackend, type WasmBackendOptions } from "./wasm-backend.js";

export {
  ARENA_ALIGN,
  type ArenaOptions,
  ArenaError,
  MAX_BYTES,
  PAGE_BYTES,
  WasmArena,
  createSharedMemory,
  sharedMemoryAvailable,
} from "./memory.js";
export { WorkerPool, WorkerPoolError } from "./pool.js";
export { WasmBackend, type WasmBackendOptions, type WasmKernelBody } from "./wasm-backend.js";

/** A wasm CPU backend of the given precision ("f32" by default). */
export function createWasmBackend(options: WasmBackendOptions = {}): WasmBackend {
  return new WasmBackend(options);
}
