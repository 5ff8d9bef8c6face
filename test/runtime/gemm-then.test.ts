import { describe, expect, it } from "vitest";
import { type Kernel as KernelIr, k } from "../../compiler/kernel/index.js";
import { printKernelJs } from "../../compiler/kernel/print-js.js";
import { printKernelsWasm } from "../../compiler/kernel/print-wasm.js";
import {
  ACCUMULATE,
  type HostBackend,
  type FloatArray,
  type Kernel,
  type KernelBody,
  type Precision,
  TRANS_A,
  TRANS_B,
} from "../../runtime/backend.js";
import { createCpuBackendNow } from "../../runtime/backends.js";
import { encodeBase64 } from "../../runtime/wasm/kernels.js";
import { cpuVariants, variantBackend } from "../helpers/backends.js";
import { testPool } from "../helpers/pools.js";
import { mulberry32 } from "../helpers/random.js";

/**
 * Backend.gemmThen, the GEMM with a fused epilogue, on every CPU variant: the same bits as
 * `gemm` then `run` of the same kernel on the same backend, for the four transpose forms, odd
 * sizes, and sizes large enough for the pooled variants to split both the product and the
 * kernel over threads.
 */

/** A dense layer's epilogue over an m x `columns` product: pre = c + bias[j], y = relu(pre). */
function biasRelu(columns: number): KernelIr {
  const pre = k.add(k.load(0, k.element), k.load(1, k.imod(k.element, k.int(columns))));
  return {
    name: "bias_relu",
    size: k.batch,
    buffers: ["c", "bias", "pre", "y"],
    lets: [
      { name: "vpre", value: pre },
      { name: "vy", value: k.select(k.le(k.local(0), k.c(0)), k.c(0), k.local(0)) },
    ],
    stores: [
      { buffer: 2, local: 0 },
      { buffer: 3, local: 1 },
    ],
  };
}

/** The kernel record a generated module would hold, its wasm prepared on `backend`. */
function preparedKernel(backend: HostBackend, ir: KernelIr): Kernel {
  const body = new Function("size", "n", ...ir.buffers, printKernelJs(ir)) as KernelBody;
  const kernel: Kernel = { name: ir.name, wasm: 0, cpu: body };
  const wasm = (precision: Precision) => encodeBase64(printKernelsWasm([ir], precision));
  backend.prepareKernels?.({ f32: wasm("f32"), f64: wasm("f64") }, [kernel]);
  return kernel;
}

function filled(backend: HostBackend, size: number, random: () => number): FloatArray {
  const buffer = backend.alloc(size);
  backend.write(
    buffer,
    Array.from({ length: size }, () => random() * 2 - 1),
  );
  return buffer;
}

const shapes: readonly { m: number; n: number; k: number; flags: number }[] = [
  { m: 1, n: 1, k: 1, flags: 0 },
  { m: 7, n: 13, k: 5, flags: TRANS_B },
  { m: 37, n: 300, k: 50, flags: TRANS_A },
  { m: 33, n: 10, k: 64, flags: TRANS_A | TRANS_B },
  // the blocked path in one part: on a pool, the driver runs inline, the kernel in one call
  { m: 20, n: 40, k: 200, flags: 0 },
  // T1's first layer at batch 128: the pooled variants split the GEMM and the kernel
  { m: 128, n: 512, k: 784, flags: TRANS_B },
];

describe.each(cpuVariants)("gemmThen on $name", (variant) => {
  it.each(["f32", "f64"] as const)("equals gemm then run, bit for bit (%s)", (precision) => {
    const backend = variantBackend(variant, precision);
    const random = mulberry32(8);
    for (const { m, n, k: depth, flags } of shapes) {
      const kernel = preparedKernel(backend, biasRelu(n));
      const a = filled(backend, m * depth, random);
      const b = filled(backend, depth * n, random);
      const bias = filled(backend, n, random);
      const run = (fused: boolean) => {
        const [c, pre, y] = [backend.alloc(m * n), backend.alloc(m * n), backend.alloc(m * n)];
        if (fused) {
          backend.gemmThen(a, b, c, m, n, depth, flags, kernel, m, c, bias, pre, y);
        } else {
          backend.gemm(a, b, c, m, n, depth, flags);
          backend.run(kernel, m * n, m, c, bias, pre, y);
        }
        return [c, pre, y].map((buffer) => Array.from(backend.view(buffer, m * n)));
      };
      const [fused, apart] = [run(true), run(false)];
      expect(fused).toEqual(apart);
      expect(fused[2]!.some((v) => v > 0) || m * n === 1).toBe(true);
    }
  });
});

/**
 * The pooled wasm backend runs the GEMM and the kernel in one dispatch (epilogue.ts): each
 * thread's columns of the product, then the kernel on the elements they wrote. Shapes that
 * split into 2-3 parts: column parts that cut rows at unaligned indices (n = 101), 5-row tiles
 * (m = 10), products computed transposed (n = 10: parts are ranges of whole rows of C, the
 * last partial), accumulation, and T1's first layer.
 */
const splitShapes: readonly { m: number; n: number; k: number; flags: number }[] = [
  { m: 64, n: 101, k: 512, flags: 0 },
  { m: 10, n: 300, k: 300, flags: TRANS_B },
  { m: 500, n: 10, k: 600, flags: TRANS_A },
  { m: 300, n: 10, k: 784, flags: TRANS_B },
  { m: 40, n: 77, k: 300, flags: ACCUMULATE | TRANS_A | TRANS_B },
  { m: 128, n: 512, k: 784, flags: TRANS_B },
];

describe.each([2, 3])("gemmThen on a wasm pool of %i threads", (threads) => {
  it.each(["f32", "f64"] as const)(
    "runs in one dispatch with the bits of gemm then run (%s)",
    (precision) => {
      const pool = testPool(threads);
      const backend = createCpuBackendNow("cpu", { precision, threads, pool });
      const random = mulberry32(threads);
      for (const { m, n, k: depth, flags } of splitShapes) {
        const kernel = preparedKernel(backend, biasRelu(n));
        const a = filled(backend, m * depth, random);
        const b = filled(backend, depth * n, random);
        const bias = filled(backend, n, random);
        const start = Array.from({ length: m * n }, () => random());
        const run = (fused: boolean) => {
          const [c, pre, y] = [backend.alloc(m * n), backend.alloc(m * n), backend.alloc(m * n)];
          backend.write(c, start);
          const before = pool.counters.parallel + pool.counters.inline;
          if (fused) {
            backend.gemmThen(a, b, c, m, n, depth, flags, kernel, m, c, bias, pre, y);
          } else {
            backend.gemm(a, b, c, m, n, depth, flags);
            backend.run(kernel, m * n, m, c, bias, pre, y);
          }
          const calls = pool.counters.parallel + pool.counters.inline - before;
          return { calls, values: [c, pre, y].map((x) => Array.from(backend.view(x, m * n))) };
        };
        const parallelBefore = pool.counters.parallel;
        const fused = run(true);
        expect(pool.counters.parallel - parallelBefore, `${m}x${n}x${depth} splits`).toBe(1);
        const apart = run(false);
        expect(fused.calls).toBe(1);
        expect(fused.values).toEqual(apart.values);
        expect(fused.values[2]!.some((v) => v > 0)).toBe(true);
      }
    },
  );

  it("runs a kernel without a wasm body as gemm then run", () => {
    const backend = createCpuBackendNow("cpu", { threads, pool: testPool(threads) });
    const ir = biasRelu(101);
    const body = new Function("size", "n", ...ir.buffers, printKernelJs(ir)) as KernelBody;
    const kernel: Kernel = { name: ir.name, cpu: body };
    const random = mulberry32(5);
    const [m, n, depth] = [64, 101, 512];
    const a = filled(backend, m * depth, random);
    const b = filled(backend, depth * n, random);
    const bias = filled(backend, n, random);
    const run = (fused: boolean) => {
      const [c, pre, y] = [backend.alloc(m * n), backend.alloc(m * n), backend.alloc(m * n)];
      if (fused) backend.gemmThen(a, b, c, m, n, depth, 0, kernel, m, c, bias, pre, y);
      else {
        backend.gemm(a, b, c, m, n, depth, 0);
        backend.run(kernel, m * n, m, c, bias, pre, y);
      }
      return [c, pre, y].map((x) => Array.from(backend.view(x, m * n)));
    };
    expect(run(true)).toEqual(run(false));
  });
});
