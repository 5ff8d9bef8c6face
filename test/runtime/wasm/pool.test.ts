import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNodeWorkerPool } from "../../../runtime/wasm/node-pool.js";
import { WorkerPool, WorkerPoolError, importPlan, splitRange } from "../../../runtime/wasm/pool.js";
import { ModuleBuilder } from "../../../runtime/wasm/writer.js";
import { sharedMemory, toyModuleBytes } from "../../helpers/pool-toy.js";

const sharedModule = new WebAssembly.Module(toyModuleBytes(true));
const N = 10_007;
const A = 64;
const B = A + 4 * N;
const OUT = B + 4 * N;

/** fill a, fill b (shifted), out = a + b, exp(out) over the pool; the memory's bytes of out. */
function compute(pool: WorkerPool, memory: WebAssembly.Memory, grain: number): Uint8Array {
  const id = pool.register(sharedModule);
  new Uint8Array(memory.buffer).fill(0);
  pool.parallelFor(id, "fill", [A], N, grain);
  pool.parallelFor(id, "fill", [B], N, grain);
  new Float32Array(memory.buffer, B, N).reverse();
  pool.parallelFor(id, "add", [A, B, OUT], N, grain, 4);
  new Float32Array(memory.buffer, OUT, N).forEach((v, i, x) => (x[i] = v / N));
  pool.parallelFor(id, "exp", [OUT], N, grain);
  return new Uint8Array(memory.buffer, OUT, 4 * N).slice();
}

/** The first byte where a and b differ, or -1 (vitest's deep equality is slow on 40 KB). */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  return a.findIndex((byte, i) => byte !== b[i]);
}

describe("splitRange", () => {
  it("covers [0, total) with contiguous, aligned, balanced parts, one per grain at most", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 16 }),
        fc.constantFrom(1, 4, 8, 16),
        (total, grain, threads, align) => {
          const bounds = splitRange(total, grain, threads, align);
          const parts = bounds.length - 1;
          expect(bounds[0]).toBe(0);
          expect(bounds[parts]).toBe(total);
          expect(parts).toBe(Math.max(1, Math.min(threads, Math.floor(total / grain))));
          const sizes = bounds.slice(1).map((b, p) => b - bounds[p]!);
          for (const b of bounds.slice(0, -1)) expect(b % align).toBe(0);
          for (const size of sizes) expect(size).toBeGreaterThanOrEqual(0);
          const full = sizes.slice(0, -1);
          if (full.length > 1)
            expect(Math.max(...full) - Math.min(...full)).toBeLessThanOrEqual(align);
          expect(splitRange(total, grain, threads, align)).toEqual(bounds);
        },
      ),
      { seed: 8, numRuns: 300 },
    );
  });

  it("gives the caller the first part and each worker the next", () => {
    expect(splitRange(10, 1, 3)).toEqual([0, 3, 6, 10]);
    expect(splitRange(100, 8, 2, 8)).toEqual([0, 48, 100]);
    expect(splitRange(15, 8, 4)).toEqual([0, 15]);
    expect(splitRange(0, 8, 4)).toEqual([0, 0]);
  });
});

describe("WorkerPool, one thread", () => {
  it("runs inline on a non-shared memory, without workers", () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 64 });
    const pool = new WorkerPool({ memory, threads: 1 });
    const id = pool.register(new WebAssembly.Module(toyModuleBytes(false)));
    pool.parallelFor(id, "fill", [0], 100, 1);
    expect(new Float32Array(memory.buffer, 0, 3)).toEqual(new Float32Array([1, 1.5, 2]));
    expect(pool.counters).toEqual({ inline: 1, parallel: 0 });
  });

  it("needs a shared memory and a host for more threads", () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 64 });
    expect(() => new WorkerPool({ memory, threads: 2 })).toThrow(/shared memory/);
    expect(() => new WorkerPool({ memory: sharedMemory(1), threads: 2 })).toThrow(/WorkerHost/);
  });

  it("rejects imports it cannot give every thread", () => {
    const m = new ModuleBuilder();
    m.importFunction("env", "log", { params: ["f64"], results: [] });
    expect(() => importPlan(new WebAssembly.Module(m.bytes()))).toThrow(/env\.log/);
    const ok = new ModuleBuilder();
    ok.importMemory("env", "memory", { initial: 1, maximum: 2, shared: true });
    ok.importFunction("math", "tanh", { params: ["f64"], results: ["f64"] });
    expect(importPlan(new WebAssembly.Module(ok.bytes()))).toEqual([
      { kind: "memory", module: "env", name: "memory" },
      { kind: "math", module: "math", name: "tanh" },
    ]);
  });
});

describe("WorkerPool on worker_threads", () => {
  const memories = [1, 2, 3].map(() => sharedMemory(4));
  let pools: WorkerPool[] = [];
  beforeAll(async () => {
    pools = await Promise.all(
      memories.map((memory, t) => createNodeWorkerPool({ memory, threads: t + 1 })),
    );
  });
  afterAll(async () => {
    await Promise.all(pools.map((pool) => pool.dispose()));
  });

  it("gives 1, 2 and 3 threads the bits of 1 thread, run to run", () => {
    const reference = compute(pools[0]!, memories[0]!, 1);
    for (const t of [1, 2, 3]) {
      for (const grain of [1, 1000]) {
        expect(firstDifference(compute(pools[t - 1]!, memories[t - 1]!, grain), reference)).toBe(
          -1,
        );
      }
    }
    expect(pools[2]!.counters.parallel).toBeGreaterThan(0);
    const out = new Float32Array(reference.buffer);
    expect(out[0]).toBeCloseTo(Math.exp((1 + 0.5 * (N - 1) + 1) / N), 5);
  });

  it("links a module's function imports to a registered module's exports on each thread", () => {
    // callee.scale(at) doubles the f32 at `at`; caller.run(begin, end, base) calls it per
    // element through the import "callee"."scale", on every thread's own instance.
    const callee = new ModuleBuilder();
    callee.importMemory("env", "memory", { initial: 1, maximum: 65536, shared: true });
    callee.function(
      "scale",
      { params: ["i32"], results: [] },
      (code, [at]) => {
        code.get(at!).get(at!).mem("f32.load").f32(2).op("f32.mul").mem("f32.store");
      },
      { export: true },
    );
    const caller = new ModuleBuilder();
    caller.importMemory("env", "memory", { initial: 1, maximum: 65536, shared: true });
    const scale = caller.importFunction("callee", "scale", { params: ["i32"], results: [] });
    caller.function(
      "run",
      { params: ["i32", "i32", "i32"], results: [] },
      (code, [begin, end, base]) => {
        const exit = code.block();
        const top = code.loop();
        code.get(begin!).get(end!).op("i32.ge_s").brIf(exit);
        code.get(begin!).i32(2).op("i32.shl").get(base!).op("i32.add").call(scale);
        code.get(begin!).i32(1).op("i32.add").set(begin!).br(top);
        code.end().end();
      },
      { export: true },
    );
    const callerModule = new WebAssembly.Module(caller.bytes());
    expect(() => importPlan(callerModule)).toThrow(/callee\.scale/);
    const pool = pools[2]!;
    const calleeId = pool.register(new WebAssembly.Module(callee.bytes()));
    expect(importPlan(callerModule, { callee: calleeId })).toEqual([
      { kind: "memory", module: "env", name: "memory" },
      { kind: "export", module: "callee", name: "scale", moduleId: calleeId },
    ]);
    const id = pool.register(callerModule, { callee: calleeId });
    const values = new Float32Array(memories[2]!.buffer, A, 3000);
    values.fill(1.5);
    const before = pool.counters.parallel;
    pool.parallelFor(id, "run", [A], 3000, 100);
    expect(pool.counters.parallel).toBe(before + 1);
    expect(values.every((v) => v === 3)).toBe(true);
  });

  it("runs small work on the calling thread", () => {
    const pool = pools[2]!;
    const id = pool.register(sharedModule);
    const before = { ...pool.counters };
    pool.parallelFor(id, "fill", [A], 1999, 1000);
    expect(pool.counters).toEqual({ inline: before.inline + 1, parallel: before.parallel });
    pool.parallelFor(id, "fill", [A], 2000, 1000);
    expect(pool.counters.parallel).toBe(before.parallel + 1);
  });

  it("throws a worker's trap on the caller and stays usable", () => {
    const pool = pools[2]!;
    const id = pool.register(sharedModule);
    expect(() => pool.parallelFor(id, "trap_at", [N - 1], N, 1)).toThrow(/worker 1: .*unreachable/);
    expect(() => pool.parallelFor(id, "trap_at", [0], N, 1)).toThrow(
      /calling thread: .*unreachable/,
    );
    expect(() => pool.parallelFor(id, "add", [A, B, 1 << 30], N, 1)).toThrow(WorkerPoolError);
    const reference = compute(pools[0]!, memories[0]!, 1);
    expect(firstDifference(compute(pool, memories[2]!, 1), reference)).toBe(-1);
  });

  it("sees the memory grow", () => {
    const pool = pools[1]!;
    const memory = memories[1]!;
    const id = pool.register(sharedModule);
    const at = memory.buffer.byteLength;
    memory.grow(1);
    pool.parallelFor(id, "fill", [at], 1000, 1);
    expect(new Float32Array(memory.buffer, at, 1000)[999]).toBe(0.5 * 999 + 1);
  });

  it("makes thousands of calls without hanging", () => {
    const pool = pools[1]!;
    const id = pool.register(sharedModule);
    const args = new Int32Array([A, B, OUT]);
    const before = pool.counters.parallel;
    for (let call = 0; call < 3000; call++) pool.parallelFor(id, "add", args, 64, 1);
    pool.parallelFor(id, "empty", [], 2, 1);
    expect(pool.counters.parallel - before).toBe(3001);
  });
});

describe("WorkerPool failures", () => {
  it("times out on a hung worker, then refuses calls; dispose terminates it", async () => {
    const pool = await createNodeWorkerPool({
      memory: sharedMemory(1),
      threads: 2,
      timeoutMs: 200,
    });
    const id = pool.register(sharedModule);
    expect(() => pool.parallelFor(id, "hang_at", [9], 10, 1)).toThrow(
      /did not finish within 200 ms/,
    );
    expect(() => pool.parallelFor(id, "empty", [], 10, 1)).toThrow(/broken/);
    await pool.dispose();
    expect(() => pool.parallelFor(id, "empty", [], 10, 1)).toThrow(/disposed/);
  });

  it("reports an instantiation that fails in workers", async () => {
    const memory = sharedMemory(1);
    const pool = await createNodeWorkerPool({ memory, threads: 2 });
    try {
      const small = new ModuleBuilder();
      small.importMemory("env", "memory", { initial: 1, maximum: 2, shared: true });
      small.function("f", { params: ["i32", "i32"], results: [] }, () => undefined, {
        export: true,
      });
      // the memory's maximum exceeds the module's: every thread refuses it
      expect(() => pool.register(new WebAssembly.Module(small.bytes()))).toThrow();
    } finally {
      await pool.dispose();
    }
  });
});
