/**
 * The options of WasmBackend (createWasmBackend), and their checks.
 *
 * Assumes: nothing of the engine but what `relaxedSimdSupported` probes.
 * Guarantees: `checkWasmBackendOptions` throws a RangeError for options the backend cannot
 * honour (unknown precision, threads not a positive integer or not the pool's, relaxed SIMD the
 * engine rejects), before anything is allocated.
 *
 * Browser-safe: no `node:` imports.
 */
import type { GemmProvider, Precision } from "../backend.js";
import type { ArenaOptions } from "./memory.js";
import type { WorkerPool } from "./pool.js";
import { relaxedSimdSupported } from "./relaxed-simd.js";

/** Options of createWasmBackend. */
export interface WasmBackendOptions {
  /** Element type of every buffer: Float32Array ("f32", the default) or Float64Array. */
  readonly precision?: Precision;
  /**
   * Threads asked for (a positive integer). The backend runs on its pool's threads (1 without
   * a pool); with a pool, this must be the pool's count when given.
   */
  readonly threads?: number;
  /**
   * The worker pool to run on (its memory becomes the backend's; a shared memory made by
   * `createSharedMemory`). The caller keeps ownership: it disposes the pool after the backend,
   * unless `ownsPool`.
   */
  readonly pool?: WorkerPool;
  /** The backend's `dispose` disposes `pool` too (createBackend's pools). */
  readonly ownsPool?: boolean;
  /** How the memory is created (shared or reserved up front); see WasmArena. */
  readonly memory?: ArenaOptions;
  /**
   * Use relaxed SIMD (`f32x4.relaxed_madd`); by default, whenever the engine accepts it. In
   * Node 20 it must be enabled first (`enableRelaxedSimd()`, runtime/wasm/node-relaxed-simd.ts).
   */
  readonly relaxed?: boolean;
  /** A GEMM tried first (system BLAS in Node); it pins its threads to the backend's. */
  readonly gemm?: GemmProvider;
}

/** The settings WasmBackend takes from checked options. */
export interface WasmBackendSettings {
  readonly precision: Precision;
  /** Threads asked for (1 by default). */
  readonly requestedThreads: number;
  /** Whether its wasm code uses relaxed SIMD. */
  readonly relaxed: boolean;
}

/** The options' settings, or a RangeError for options the backend cannot honour. */
export function checkWasmBackendOptions(options: WasmBackendOptions): WasmBackendSettings {
  const precision = options.precision ?? "f32";
  if (precision !== "f32" && precision !== "f64") {
    throw new RangeError(`unknown precision ${String(precision)}`);
  }
  const threads = options.threads ?? 1;
  if (!(Number.isInteger(threads) && threads >= 1)) {
    throw new RangeError(`threads must be a positive integer, not ${String(threads)}`);
  }
  const pool = options.pool;
  if (pool !== undefined && options.threads !== undefined && threads !== pool.threads) {
    throw new RangeError(`threads ${threads} differ from the pool's ${pool.threads}`);
  }
  const relaxed = options.relaxed ?? relaxedSimdSupported();
  if (relaxed && !relaxedSimdSupported()) {
    throw new RangeError("this engine does not accept relaxed SIMD (f32x4.relaxed_madd)");
  }
  return { precision, requestedThreads: threads, relaxed };
}
