/**
 * Worker pools the tests' backends run on: one per backend (each adopts its pool's memory),
 * started synchronously (register waits for the workers) and disposed after each test file
 * (test/setup.ts), so that threads do not pile up across a run.
 */
import { createSharedMemory } from "../../runtime/wasm/memory.js";
import { nodeWorkerHost } from "../../runtime/wasm/node-pool.js";
import { WorkerPool } from "../../runtime/wasm/pool.js";

const pools: WorkerPool[] = [];

/** A new pool of `threads` threads over a new shared memory, disposed after the file. */
export function testPool(threads: number): WorkerPool {
  const memory = createSharedMemory();
  if (memory === null) throw new Error("this engine cannot share memory");
  const pool = new WorkerPool({ memory, threads, host: nodeWorkerHost });
  pools.push(pool);
  return pool;
}

/** Disposes every pool made so far. */
export async function disposeTestPools(): Promise<void> {
  await Promise.all(pools.splice(0).map((pool) => pool.dispose()));
}
