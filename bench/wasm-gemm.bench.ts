/**
 * WebAssembly GEMM throughput (runtime/wasm/gemm.ts), one thread, f32: the four transpose
 * forms of each GEMM shape of one training step of an MNIST MLP (784-512-10, batch 128, the
 * shapes of bench/gemm.bench.ts) and of 1024^3, with relaxed_madd and with mul+add. Run with
 *   npx vitest bench --run bench/wasm-gemm.bench.ts
 * Besides vitest's table it prints GFLOP/s (2*m*n*k flops per call) from the wall time spent
 * inside the calls (mean and fastest call), and from the process's CPU time inside them (user +
 * system; unlike wall time, not inflated by other processes competing for the cores).
 */
import { afterAll, bench, describe } from "vitest";
import { TRANS_A, TRANS_B } from "../runtime/backend.js";
import { Random } from "../runtime/random.js";
import { WasmGemm, gemmScratchBytes } from "../runtime/wasm/gemm.js";
import { enableRelaxedSimd } from "../runtime/wasm/node-relaxed-simd.js";

interface Shape {
  readonly name: string;
  readonly m: number;
  readonly n: number;
  readonly k: number;
}

const batch = 128;
const shapes: readonly Shape[] = [
  { name: "fwd 128x512x784", m: batch, n: 512, k: 784 },
  { name: "dW1 512x784x128", m: 512, n: 784, k: batch },
  { name: "dx  128x784x512", m: batch, n: 784, k: 512 },
  { name: "fwd 128x10x512", m: batch, n: 10, k: 512 },
  { name: "dW2 10x512x128", m: 10, n: 512, k: batch },
  { name: "dh  128x512x10", m: batch, n: 512, k: 10 },
  { name: "1024^3", m: 1024, n: 1024, k: 1024 },
];
const forms = [
  { name: "A.B", flags: 0 },
  { name: "At.B", flags: TRANS_A },
  { name: "A.Bt", flags: TRANS_B },
  { name: "At.Bt", flags: TRANS_A | TRANS_B },
];

const relaxedAvailable = enableRelaxedSimd();
const memory = new WebAssembly.Memory({ initial: 1024, maximum: 1024, shared: true });
const MiB = 2 ** 20;
const [aAt, bAt, cAt, scratch] = [0, 8 * MiB, 16 * MiB, 24 * MiB];
{
  const random = new Random(1);
  const data = new Float32Array(memory.buffer, 0, (24 * MiB) / 4);
  for (let i = 0; i < data.length; i++) data[i] = random.uniform() - 0.5;
  if (gemmScratchBytes(1024, 1024, 1024, "f32") > 40 * MiB) throw new Error("scratch too big");
}
const variants = [
  ...(relaxedAvailable
    ? [{ name: "relaxed", gemm: new WasmGemm(memory, { precision: "f32", relaxed: true }) }]
    : []),
  { name: "mul+add", gemm: new WasmGemm(memory, { precision: "f32", relaxed: false }) },
];

/** Wall and CPU seconds inside the calls, the fastest call and the number of calls, per row. */
interface Timing {
  seconds: number;
  cpuSeconds: number;
  best: number;
  calls: number;
  readonly flops: number;
}
const timings = new Map<string, Timing>();
const timed = (key: string, flops: number, call: () => void): (() => void) => {
  const entry: Timing = { seconds: 0, cpuSeconds: 0, best: Infinity, calls: 0, flops };
  timings.set(key, entry);
  return () => {
    const cpu = process.cpuUsage();
    const start = performance.now();
    call();
    const seconds = (performance.now() - start) / 1000;
    const cpuUsed = process.cpuUsage(cpu);
    entry.cpuSeconds += (cpuUsed.user + cpuUsed.system) / 1e6;
    entry.seconds += seconds;
    entry.best = Math.min(entry.best, seconds);
    entry.calls++;
  };
};

for (const shape of shapes) {
  const { m, n, k } = shape;
  const flops = 2 * m * n * k;
  const options =
    m * n * k > 1e8 ? { time: 1000, warmupTime: 200 } : { time: 400, warmupTime: 100 };
  describe(shape.name, () => {
    for (const variant of variants) {
      for (const form of forms) {
        const key = `${shape.name.padEnd(16)} ${form.name.padEnd(6)} ${variant.name}`;
        bench(
          `${form.name} ${variant.name}`,
          timed(key, flops, () =>
            variant.gemm.gemm(aAt, bAt, cAt, m, n, k, form.flags, 1, 0, 0, 0, scratch),
          ),
          options,
        );
      }
    }
  });
}

afterAll(() => {
  const rows = [...timings].map(([key, t]) => {
    const mean = (t.flops * t.calls) / t.seconds / 1e9;
    const best = t.flops / t.best / 1e9;
    const cpu = (t.flops * t.calls) / t.cpuSeconds / 1e9;
    const figures = [mean, best, cpu].map((x) => x.toFixed(2).padStart(6)).join(" ");
    return `${key.padEnd(34)} ${figures}   ${t.calls}`;
  });
  const header = `${"wasm GFLOP/s, f32, one thread".padEnd(34)}   mean   best    cpu   calls`;
  process.stdout.write(`\n${header}\n${rows.join("\n")}\n`);
});
