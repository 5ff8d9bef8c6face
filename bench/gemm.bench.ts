/**
 * GEMM throughput on the shapes of one training step of an MNIST MLP (784-512-10, batch 128),
 * the CPU backend against a naive triple loop. Run with
 *   npx vitest bench --run bench/gemm.bench.ts
 * Besides vitest's table (operations per second) it prints GFLOP/s (2*m*n*k flops per call)
 * from the time spent inside the calls.
 */
import { afterAll, bench, describe } from "vitest";
import { ACCUMULATE, type FloatArray, TRANS_A, TRANS_B } from "../runtime/backend.js";
import { createCpuBackend } from "../runtime/cpu/index.js";
import { Random } from "../runtime/random.js";

interface Shape {
  readonly name: string;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly flags: number;
}

const batch = 128;
const shapes: readonly Shape[] = [
  { name: "fwd  x.W1^T  [128x784].[512x784]^T", m: batch, n: 512, k: 784, flags: TRANS_B },
  { name: "dW1  g^T.x   [128x512]^T.[128x784]", m: 512, n: 784, k: batch, flags: TRANS_A },
  { name: "dx   g.W1    [128x512].[512x784]", m: batch, n: 784, k: 512, flags: 0 },
  { name: "fwd  h.W2^T  [128x512].[10x512]^T", m: batch, n: 10, k: 512, flags: TRANS_B },
  { name: "dW2  g^T.h   [128x10]^T.[128x512]", m: 10, n: 512, k: batch, flags: TRANS_A },
  { name: "dh   g.W2    [128x10].[10x512]", m: batch, n: 512, k: 10, flags: 0 },
];

/** The textbook loop: one dot product per element of C, transposes by index arithmetic. */
function naiveGemm(
  a: FloatArray,
  b: FloatArray,
  c: FloatArray,
  m: number,
  n: number,
  k: number,
  flags: number,
): void {
  const transA = (flags & TRANS_A) !== 0;
  const transB = (flags & TRANS_B) !== 0;
  const accumulate = (flags & ACCUMULATE) !== 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        s += a[transA ? p * m + i : i * k + p]! * b[transB ? j * k + p : p * n + j]!;
      }
      c[i * n + j] = accumulate ? c[i * n + j]! + s : s;
    }
  }
}

const backend = createCpuBackend({ precision: "f32" });
const random = new Random(1);
const filled = (size: number): FloatArray => {
  const buffer = backend.alloc(size);
  for (let i = 0; i < size; i++) buffer[i] = random.uniform() - 0.5;
  return buffer;
};

/** Seconds spent inside the calls, the fastest call and the number of calls, per report row. */
const timings = new Map<string, { seconds: number; best: number; calls: number; flops: number }>();
const timed = (key: string, flops: number, call: () => void): (() => void) => {
  const entry = { seconds: 0, best: Infinity, calls: 0, flops };
  timings.set(key, entry);
  return () => {
    const start = performance.now();
    call();
    const seconds = (performance.now() - start) / 1000;
    entry.seconds += seconds;
    entry.best = Math.min(entry.best, seconds);
    entry.calls++;
  };
};

for (const shape of shapes) {
  const { m, n, k, flags } = shape;
  const a = filled(m * k);
  const b = filled(k * n);
  const c = backend.alloc(m * n);
  const flops = 2 * m * n * k;
  describe(shape.name, () => {
    bench(
      "cpu backend",
      timed(`${shape.name} | cpu`, flops, () => backend.gemm(a, b, c, m, n, k, flags)),
      { time: 1500, warmupTime: 300 },
    );
    bench(
      "naive triple loop",
      timed(`${shape.name} | naive`, flops, () => naiveGemm(a, b, c, m, n, k, flags)),
      { time: 1500, iterations: 3, warmupIterations: 1 },
    );
  });
}

afterAll(() => {
  const rows = [...timings].map(([key, t]) => {
    const mean = (t.flops * t.calls) / t.seconds / 1e9;
    const best = t.flops / t.best / 1e9;
    const figures = `${mean.toFixed(2).padStart(6)} ${best.toFixed(2).padStart(6)}`;
    return `${key.padEnd(46)} ${figures}   ${t.calls}`;
  });
  const header = `${"GFLOP/s, f32, one thread".padEnd(46)}   mean   best   calls`;
  process.stdout.write(`\n${header}\n${rows.join("\n")}\n`);
});
