import { afterAll, describe, expect, it } from "vitest";
import { k } from "../../../compiler/kernel/index.js";
import { printKernelsWasm } from "../../../compiler/kernel/print-wasm.js";
import { ACCUMULATE, type Kernel, TRANS_A, TRANS_B } from "../../../runtime/backend.js";
import { Random } from "../../../runtime/random.js";
import { encodeBase64 } from "../../../runtime/wasm/kernels.js";
import { createSharedMemory } from "../../../runtime/wasm/memory.js";
import { createNodeWorkerPool } from "../../../runtime/wasm/node-pool.js";
import { extraMath } from "../../../runtime/wasm/pool-protocol.js";
import { WasmBackend } from "../../../runtime/wasm/wasm-backend.js";

const pool = await createNodeWorkerPool({ memory: createSharedMemory()!, threads: 2 });
afterAll(() => pool.dispose());
const threaded = new WasmBackend({ pool });
const single = new WasmBackend({ threads: 1 });

function filled(backend: WasmBackend, size: number, seed: number): Float32Array {
  const buffer = backend.alloc(size) as Float32Array;
  const random = new Random(seed);
  for (let i = 0; i < size; i++) buffer[i] = random.uniform() * 2 - 1;
  return buffer;
}

describe("the wasm backend on 2 threads", () => {
  it("splits GEMMs over columns with the bits of 1 thread, in every transpose form", () => {
    const shapes = [
      [128, 512, 784],
      [128, 10, 512],
      [784, 512, 128],
      [512, 784, 128],
    ] as const;
    for (const [m, n, kk] of shapes) {
      for (const flags of [0, TRANS_A, TRANS_B, TRANS_A | TRANS_B, ACCUMULATE]) {
        const before = pool.counters.parallel;
        const results = [threaded, single].map((backend) => {
          const a = filled(backend, m * kk, 1);
          const b = filled(backend, kk * n, 2);
          const c = filled(backend, m * n, 3);
          backend.gemm(a, b, c, m, n, kk, flags);
          return Array.from(c);
        });
        expect(pool.counters.parallel).toBeGreaterThan(before);
        expect(results[0]).toEqual(results[1]);
      }
    }
  });

  it("splits large fused kernels over elements with the bits of 1 thread, erf included", () => {
    const gelu = {
      name: "gelu",
      size: k.batch,
      buffers: ["x", "y"],
      lets: [{ name: "y0", value: k.mul(k.load(0, k.element), k.erf(k.load(0, k.element))) }],
      stores: [{ buffer: 1, local: 0 }],
    };
    const wasm = { f32: encodeBase64(printKernelsWasm([gelu], "f32")), f64: "" };
    const size = 300_001;
    const results = [threaded, single].map((backend) => {
      const kernel: Kernel = { name: "gelu", wasm: 0, cpu: () => {} };
      backend.prepareKernels(wasm, [kernel]);
      const x = filled(backend, size, 4);
      for (let i = 0; i < size; i += 7) x[i] = x[i]! * 8;
      const y = backend.alloc(size);
      const before = pool.counters.parallel;
      backend.run(kernel, size, size, x, y);
      return { y: Array.from(y), parallel: pool.counters.parallel - before };
    });
    expect(results[0]!.parallel).toBe(1);
    expect(results[0]!.y).toEqual(results[1]!.y);
  });

  it("gives workers the runtime's erf, bit for bit", () => {
    const source = extraMath["erf"]!.toString();
    const copy = new Function(`return (${source});`)() as (x: number) => number;
    for (let x = -7; x <= 7; x += 0.0137) expect(copy(x)).toBe(extraMath["erf"]!(x));
  });

  it("says it runs on its pool's threads", () => {
    expect(threaded.threads).toBe(2);
    expect(threaded.description).toMatch(/, 2 threads$/);
    expect(() => new WasmBackend({ pool, threads: 3 })).toThrow(/differ from the pool's 2/);
  });
});
