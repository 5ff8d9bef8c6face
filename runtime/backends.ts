/**
 * Choosing a backend by name: "cpu" (the default) is the WebAssembly backend (runtime/wasm),
 * "js" the plain JavaScript reference (runtime/cpu), "webgpu" the GPU backend registered by
 * runtime/webgpu (see platform.ts); a Backend instance is used as it is. Both CPU backends
 * compute the same results (the JS one is the reference the wasm one is tested against).
 * `createBackend` is asynchronous (a worker pool starts, a device is requested); the CPU
 * backends can also be made synchronously with `createCpuBackendNow`. Browser-safe.
 */
import type { Backend, GemmProvider, HostBackend, Precision } from "./backend.js";
import { CpuBackend } from "./cpu/cpu-backend.js";
import { currentPlatform, registeredBackend } from "./platform.js";
import type { WorkerPool } from "./wasm/pool.js";
import { WasmBackend } from "./wasm/wasm-backend.js";

/** A backend by name, or one made by the caller. */
export type BackendChoice = "cpu" | "js" | "webgpu" | Backend;

/** The names `createBackend` takes. */
export const backendNames = ["cpu", "js", "webgpu"] as const;

export interface BackendOptions {
  /** Element type of every buffer ("f32" by default; webgpu has only "f32"). */
  readonly precision?: Precision;
  /**
   * Threads of the cpu backend (a positive integer): it runs on its pool's threads. Without a
   * pool, createBackend starts one of this many threads (the platform's default count when
   * absent: all cores in Node, 1 in a page that is not cross-origin isolated), which the
   * backend disposes with itself.
   */
  readonly threads?: number;
  /**
   * The worker pool the cpu backend runs on (in Node: `createNodeWorkerPool` over
   * `createSharedMemory()`); the caller disposes it after the backend. The js backend ignores it.
   */
  readonly pool?: WorkerPool;
  /** A GEMM the cpu backend tries first (system BLAS in Node); the js backend ignores it. */
  readonly gemm?: GemmProvider;
  /**
   * System BLAS for the cpu backend when `gemm` is not given: "auto" (find one), "off", or a
   * library; only where the platform offers it (Node, with `nnc/runtime/node` imported).
   * "off" by default.
   */
  readonly blas?: string;
  /** The webgpu backend's entry point (`GPU`): `navigator.gpu`, or the platform's in Node. */
  readonly gpu?: unknown;
}

/**
 * The backend `choice` names, ready to use (a Backend instance is returned as it is, options
 * ignored). A one-line Error when "webgpu" has no registered factory.
 */
export async function createBackend(
  choice: BackendChoice = "cpu",
  options: BackendOptions = {},
): Promise<Backend> {
  if (typeof choice === "object") return choice;
  switch (choice) {
    case "cpu":
    case "js":
      return createCpuBackendWithPool(choice, options);
    case "webgpu": {
      const factory = registeredBackend("webgpu");
      if (factory === undefined) {
        throw new Error(
          "the webgpu backend is not available: this runtime was loaded without it; use the cpu backend (the default)",
        );
      }
      return factory({
        ...(options.precision !== undefined ? { precision: options.precision } : {}),
        ...(options.gpu !== undefined ? { gpu: options.gpu } : {}),
      });
    }
    default:
      throw new RangeError(
        `unknown backend '${String(choice)}'; the backends are ${backendNames.join(", ")}`,
      );
  }
}

async function createCpuBackendWithPool(
  choice: "cpu" | "js",
  options: BackendOptions,
): Promise<HostBackend> {
  if (choice === "js" || options.pool !== undefined) return createCpuBackendNow(choice, options);
  if (options.threads !== undefined) checkThreads(options.threads);
  const platform = currentPlatform();
  const threads = options.threads ?? platform.defaultThreads();
  const gemm =
    options.gemm ??
    (options.blas !== undefined && options.blas !== "off"
      ? platform.gemm?.(options.blas)
      : undefined);
  const withGemm = gemm !== undefined ? { ...options, gemm } : options;
  const pool = threads > 1 ? await platform.createPool(threads) : undefined;
  if (pool === undefined) return createCpuBackendNow(choice, { ...withGemm, threads: 1 });
  try {
    return new WasmBackend({
      precision: options.precision ?? "f32",
      threads,
      pool,
      ownsPool: true,
      ...(gemm !== undefined ? { gemm } : {}),
    });
  } catch (error) {
    await pool.dispose();
    throw error;
  }
}

/**
 * A CPU backend made at once, on the given pool or on the calling thread alone (it starts no
 * pool): what tests and synchronous callers use.
 */
export function createCpuBackendNow(
  choice: "cpu" | "js",
  options: BackendOptions = {},
): HostBackend {
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
  }
}

/** What a backend runs on, for the training header: `cpu: wasm-simd, 1 thread`, `js`. */
export function describeBackend(backend: Backend): string {
  const description = (backend as { readonly description?: unknown }).description;
  return typeof description === "string" ? description : backend.name;
}

/** Far past any core count; starting more workers could take minutes or exhaust memory. */
const MAX_THREADS = 256;

function checkThreads(threads: number): void {
  if (!(Number.isInteger(threads) && threads >= 1 && threads <= MAX_THREADS)) {
    throw new RangeError(
      `threads must be a whole number from 1 to ${MAX_THREADS}, not ${String(threads)}`,
    );
  }
}
