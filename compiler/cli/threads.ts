/**
 * The worker pool `--threads N` gives the cpu backend (Node only): all cores by default, none
 * for 1 thread or the js backend. The command disposes it after the model, so that the process
 * exits without waiting on workers.
 */
import { createSharedMemory } from "../../runtime/wasm/memory.js";
import { createNodeWorkerPool, nodeThreadCount } from "../../runtime/wasm/node-pool.js";
import type { WorkerPool } from "../../runtime/wasm/pool.js";
import type { RunArgs } from "./args.js";

/** The pool for `args`, or undefined when the model runs on the calling thread alone. */
export async function threadPool(args: RunArgs): Promise<WorkerPool | undefined> {
  if (args.backend === "js") return undefined;
  const threads = args.threads ?? nodeThreadCount();
  if (threads <= 1) return undefined;
  const memory = createSharedMemory();
  if (memory === null) return undefined;
  return createNodeWorkerPool({ memory, threads });
}

/** Runs `command` with the pool for `args` (as a model option), then disposes the pool. */
export async function withThreadPool<T>(
  args: RunArgs,
  command: (pool: { pool?: WorkerPool }) => Promise<T>,
): Promise<T> {
  const pool = await threadPool(args);
  try {
    return await command(pool === undefined ? {} : { pool });
  } finally {
    await pool?.dispose();
  }
}
