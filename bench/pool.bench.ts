/**
 * The worker pool's costs: the round trip of an empty parallelFor (the caller hands each worker
 * a command through shared memory and waits for all), with the worker still spinning and after
 * it went to sleep, and a memory-bound kernel (out = a + b on f32x4, 3 x 16 MiB) at 1 and 2
 * threads. Run with
 *   npx vitest bench --run bench/pool.bench.ts
 * Besides vitest's table it prints microseconds per call (min, median, mean) and GB/s at the
 * median (bytes read and written). On a loaded machine the means are dominated by scheduling:
 * read the minimum and the median.
 */
import { afterAll, bench, describe } from "vitest";
import { createNodeWorkerPool } from "../runtime/wasm/node-pool.js";
import { type WorkerPool } from "../runtime/wasm/pool.js";
import { sharedMemory, toyModuleBytes } from "../test/helpers/pool-toy.js";

const module = new WebAssembly.Module(toyModuleBytes(true));
const VECTORS = 1 << 20;
const ARRAY_BYTES = VECTORS * 16;
const [A, B, OUT] = [64, 64 + ARRAY_BYTES, 64 + 2 * ARRAY_BYTES];
const memoryPages = Math.ceil((OUT + ARRAY_BYTES) / 65536);

const pools = new Map<number, { pool: WorkerPool; id: number }>();
for (const threads of [1, 2]) {
  const memory = sharedMemory(memoryPages);
  const pool = await createNodeWorkerPool({ memory, threads });
  const id = pool.register(module);
  pool.parallelFor(id, "fill", [A], 4 * VECTORS, 1 << 16);
  pool.parallelFor(id, "fill", [B], 4 * VECTORS, 1 << 16);
  pools.set(threads, { pool, id });
}

/** Seconds of each call, and the bytes one call reads and writes, per row. */
const timings = new Map<string, { samples: number[]; bytes: number }>();
const timed = (key: string, bytes: number, call: () => void): (() => void) => {
  const entry = { samples: [] as number[], bytes };
  timings.set(key, entry);
  return () => {
    const start = performance.now();
    call();
    entry.samples.push((performance.now() - start) / 1000);
  };
};

/** Busy-waits `ms` on the calling thread (longer than a worker's spin, so that it sleeps). */
const idle = (ms: number): void => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};

describe("empty parallelFor (round trip)", () => {
  const one = pools.get(1)!;
  const two = pools.get(2)!;
  bench(
    "1 thread (inline)",
    timed("empty, 1 thread (inline)", 0, () => one.pool.parallelFor(one.id, "empty", [], 2, 1)),
    { time: 1000, warmupTime: 200 },
  );
  bench(
    "2 threads, worker spinning",
    timed("empty, 2 threads, worker spinning", 0, () =>
      two.pool.parallelFor(two.id, "empty", [], 2, 1),
    ),
    { time: 1000, warmupTime: 200 },
  );
  const asleep = timed("empty, 2 threads, worker asleep", 0, () =>
    two.pool.parallelFor(two.id, "empty", [], 2, 1),
  );
  bench(
    "2 threads, worker asleep",
    () => {
      idle(2);
      asleep();
    },
    { time: 1000, warmupTime: 200 },
  );
});

describe("out = a + b, f32x4, 3 x 16 MiB", () => {
  for (const threads of [1, 2]) {
    const { pool, id } = pools.get(threads)!;
    bench(
      `${threads} thread${threads > 1 ? "s" : ""}`,
      timed(`a + b, ${threads} thread(s)`, 3 * ARRAY_BYTES, () =>
        pool.parallelFor(id, "add4", [A, B, OUT], VECTORS, 1 << 12, 4),
      ),
      { time: 1500, warmupTime: 300 },
    );
  }
});

afterAll(async () => {
  const us = (seconds: number): string => (seconds * 1e6).toFixed(2).padStart(10);
  const rows = [...timings].map(([key, t]) => {
    const sorted = [...t.samples].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
    const gbs = t.bytes > 0 ? (t.bytes / median / 1e9).toFixed(2) : "";
    return `${key.padEnd(36)}${us(sorted[0]!)}${us(median)}${us(mean)} ${gbs.padStart(7)}   ${sorted.length}`;
  });
  const header = `${"worker pool, us/call".padEnd(36)}       min    median      mean    GB/s   calls`;
  process.stdout.write(`\n${header}\n${rows.join("\n")}\n`);
  await Promise.all([...pools.values()].map(({ pool }) => pool.dispose()));
});
