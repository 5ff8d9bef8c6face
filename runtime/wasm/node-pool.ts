/**
 * Node only: the worker pool on worker_threads. Workers run the pool's inlined source
 * (`new Worker(source, { eval: true })`), so nothing is resolved on disk. Each is unref'd once it
 * has started (its first message), so that a pool left undisposed does not keep the process
 * alive, while one being created does.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { enableRelaxedSimd } from "./node-relaxed-simd.js";
import { type PoolMemory, type WorkerHost, WorkerPool } from "./pool.js";

export const nodeWorkerHost: WorkerHost = {
  prelude: `const { parentPort } = require("node:worker_threads");
const listen = (handler) => parentPort.on("message", handler);
const post = (message) => parentPort.postMessage(message);
const exit = () => parentPort.close();`,
  spawn(source, events) {
    const worker = new Worker(source, { eval: true });
    worker.on("message", events.message);
    worker.on("error", events.error);
    worker.on("exit", events.exit);
    worker.once("message", () => worker.unref());
    return worker;
  },
};

/** All cores: the threads a pool uses by default. */
export function nodeThreadCount(): number {
  return availableParallelism();
}

export interface NodeWorkerPoolOptions {
  readonly memory: PoolMemory;
  /** Threads including the caller; all cores by default; 1 starts no worker. */
  readonly threads?: number;
  readonly spinMicroseconds?: number;
  readonly timeoutMs?: number;
}

/**
 * A pool whose workers have all started. It turns on relaxed SIMD first (a process-wide V8
 * flag), so that the modules compiled for it, and the backend's own, may use `relaxed_madd`.
 */
export async function createNodeWorkerPool(options: NodeWorkerPoolOptions): Promise<WorkerPool> {
  enableRelaxedSimd();
  const pool = new WorkerPool({
    ...options,
    threads: options.threads ?? nodeThreadCount(),
    host: nodeWorkerHost,
  });
  try {
    await pool.ready;
  } catch (error) {
    await pool.dispose();
    throw error;
  }
  return pool;
}
