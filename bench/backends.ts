/**
 * The CPU backends the benchmark measures, one row of `VARIANTS` each: the plain JavaScript
 * reference (`js`), the WebAssembly backend (`wasm`, the default `cpu`) and the same with system
 * BLAS (`wasm+blas`, when a BLAS library loads), and, for the GEMM table only, the WebAssembly
 * backend without relaxed SIMD (`wasm mul+add`: what engines without it get). A backend that can run on several threads says
 * so with a numeric `threads` property above 1 when asked for several; the others are measured at
 * one thread only. Variants are named by key so that child processes can build the same one.
 */
import * as runtime from "../runtime/index.js";
import type { Backend } from "../runtime/index.js";
import type { GemmProvider, WorkerPool } from "../runtime/index.js";
import { blasGemm, createNodeWorkerPool } from "../runtime/node/index.js";
import { enableRelaxedSimd } from "../runtime/wasm/node-relaxed-simd.js";
import { WasmBackend } from "../runtime/wasm/wasm-backend.js";

// As `nnc train` does (compiler/cli/load-module.ts): without the flag, Node 20's wasm backend
// measures the mul+add GEMM (about 40 GFLOP/s per thread, against 50 with relaxed_madd).
enableRelaxedSimd();

export interface BackendChoice {
  /** The key of its row in `VARIANTS` (`js`, `wasm`, `wasm+blas`). */
  readonly factory: string;
  /** Its name in tables. */
  readonly label: string;
  /** The thread counts it is measured at (1, and all cores when it runs on several). */
  readonly threads: readonly number[];
  /** Measured in the GEMM table only, not in training. */
  readonly gemmOnly: boolean;
}

/** What a backend may offer beyond the Backend contract. */
interface BackendExtras {
  readonly threads?: unknown;
  dispose?(): void;
}

/**
 * The worker pool of a backend made here (several threads), disposed with it: the wasm backend
 * runs on as many threads as the pool it is given has.
 */
const pools = new WeakMap<Backend, WorkerPool>();

async function wasmBackend(threads: number, gemm?: GemmProvider): Promise<Backend> {
  const memory = threads > 1 ? runtime.createSharedMemory() : null;
  const pool = memory ? await createNodeWorkerPool({ memory, threads }) : undefined;
  const backend = runtime.createCpuBackendNow("cpu", {
    precision: "f32",
    threads: pool ? pool.threads : 1,
    ...(pool ? { pool } : {}),
    ...(gemm ? { gemm } : {}),
  });
  if (pool) pools.set(backend, pool);
  return backend;
}

/** Each variant's construction; `null` when it is not available on this machine. */
const VARIANTS: Readonly<Record<string, (threads: number) => Promise<Backend | null>>> = {
  js: async () => runtime.createCpuBackendNow("js", { precision: "f32" }),
  wasm: (threads) => wasmBackend(threads),
  "wasm+blas": async (threads) => {
    const gemm = blasGemm("auto", { threads });
    return gemm ? wasmBackend(threads, gemm) : null;
  },
  // One thread: the mul+add GEMM target is per thread.
  "wasm mul+add": async () => new WasmBackend({ precision: "f32", relaxed: false }),
};

/** Variants measured in the GEMM table only. */
const GEMM_ONLY: ReadonlySet<string> = new Set(["wasm mul+add"]);

/** A backend of variant `factory`, for `threads` threads. */
export async function createBackend(factory: string, threads: number): Promise<Backend> {
  const create = VARIANTS[factory];
  if (!create) throw new Error(`no backend variant ${factory}`);
  const backend = await create(threads);
  if (!backend) throw new Error(`backend variant ${factory} is not available here`);
  return backend;
}

/** Frees what a backend holds (workers, memory) when it can. */
export async function disposeBackend(backend: Backend): Promise<void> {
  (backend as Backend & BackendExtras).dispose?.();
  await pools.get(backend)?.dispose();
}

/** Every backend variant available here, with the thread counts to measure it at. */
export async function detectBackends(allThreads: number): Promise<BackendChoice[]> {
  const choices: BackendChoice[] = [];
  for (const factory of Object.keys(VARIANTS)) {
    let backend: Backend;
    try {
      backend = await createBackend(factory, allThreads);
    } catch {
      continue; // not usable here (no BLAS library, an engine feature missing): not measured
    }
    const threads = (backend as Backend & BackendExtras).threads;
    const threaded = typeof threads === "number" && threads > 1;
    await disposeBackend(backend);
    choices.push({
      factory,
      label: factory,
      threads: threaded && allThreads > 1 ? [1, allThreads] : [1],
      gemmOnly: GEMM_ONLY.has(factory),
    });
  }
  return choices;
}
