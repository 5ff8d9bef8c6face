/**
 * Choosing a backend by name: "cpu" (the default) is the WebAssembly backend (runtime/wasm),
 * "js" the plain JavaScript reference (runtime/cpu); a Backend instance is used as it is.
 * Both CPU backends compute the same results (the JS one is the reference the wasm one is
 * tested against). Browser-safe.
 */
import type { Backend, GemmProvider, Precision } from "./backend.js";
import { CpuBackend } from "./cpu/cpu-backend.js";
import type { WorkerPool } from "./wasm/pool.js";
import { WasmBackend } from "./wasm/wasm-backend.js";

/** A backend by name, or one made by the caller. */
export type BackendChoice = "cpu" | "js" | Backend;

/** The names `createBackend` takes. */
export const backendNames = ["cpu", "js"] as const;

export interface BackendOptions {
  /** Element type of every buffer ("f32" by default). */
  readonly precision?: Precision;
  /**
   * Threads of the cpu backend (a positive integer): it runs on its pool's threads, on 1
   * without a pool (the pool's count when both are given).
   */
  readonly threads?: number;
  /**
   * The worker pool the cpu backend runs on (in Node: `createNodeWorkerPool` over
   * `createSharedMemory()`); the caller disposes it after the backend. The js backend ignores it.
   */
  readonly pool?: WorkerPool;
  /** A GEMM the cpu backend tries first (system BLAS in Node); the js backend ignores it. */
  readonly gemm?: GemmProvider;
}

/** The backend `choice` names (a Backend instance is returned as it is, options ignored). */
export function createBackend(
  choice: BackendChoice = "cpu",
  options: BackendOptions = {},
): Backend {
  if (typeof choice === "object") return choice;
  const precision = options.precision ?? "f32";
  switch (choice) {
    case "cpu":
      return new WasmBackend({
        precision,
        ...(options.threads !== undefined ? { threads: options.threads } : {}),
        ...(options.gemm !== undefined ? { gemm: options.gemm } : {}),
        ...(options.pool !== undefined ? { pool: options.pool } : {}),
      });
    case "js":
      if (options.threads !== undefined) checkThreads(options.threads);
      return new CpuBackend({ precision });
    default:
      throw new RangeError(
        String(choice) === "webgpu"
          ? "the webgpu backend is not available yet; use the cpu backend (the default)"
          : `unknown backend '${String(choice)}'; the backends are ${backendNames.join(" and ")}`,
      );
  }
}

/** What a backend runs on, for the training header: `cpu: wasm-simd, 1 thread`, `js`. */
export function describeBackend(backend: Backend): string {
  const description = (backend as { readonly description?: unknown }).description;
  return typeof description === "string" ? description : backend.name;
}

function checkThreads(threads: number): void {
  if (!(Number.isInteger(threads) && threads >= 1)) {
    throw new RangeError(`threads must be a positive integer, not ${String(threads)}`);
  }
}
