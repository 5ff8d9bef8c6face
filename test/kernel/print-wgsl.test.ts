import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ElementExpr, type Kernel, k, printKernelJs } from "../../compiler/kernel/index.js";
import { printKernelWgsl } from "../../compiler/kernel/print-wgsl.js";
import type { WebGpuBackend } from "../../runtime/webgpu/webgpu-backend.js";
import { farFromReference, testWebGpuBackend } from "../helpers/webgpu.js";
import { binaryOps, comparisons, special, unaryOps } from "./arbitraries.js";
import { runJs } from "./wasm-harness.js";

/**
 * The WGSL printer on the device (Mesa's llvmpipe without a GPU): every op of the kernel IR,
 * printed to WGSL and run by the webgpu backend, against the printed JavaScript on the same
 * f32 inputs, within |a - b| <= 1e-5 + 1e-3 |b| and NaN exactly where the JavaScript gives NaN.
 */

let backend: WebGpuBackend;
beforeAll(async () => {
  backend = await testWebGpuBackend();
});
afterAll(() => backend?.dispose());

const batch = 3;

/** Runs `kernels` (each over buffers a, b, out of `size` elements) on the GPU and in JS. */
async function compare(kernels: readonly Kernel[], a: readonly number[], b: readonly number[]) {
  const size = a.length;
  const [ga, gb] = [backend.alloc(size), backend.alloc(size)];
  backend.write(ga, a);
  backend.write(gb, b);
  const outs = kernels.map((kernel) => {
    const out = backend.alloc(size);
    const runtimeKernel = { name: kernel.name, wgsl: printKernelWgsl(kernel), cpu() {} };
    backend.run(runtimeKernel, size, batch, ga, gb, out);
    return out;
  });
  for (const [index, kernel] of kernels.entries()) {
    const gpu = await backend.read(outs[index]!);
    const js = runJs(kernel, "f32", [a, b, []], [size, size, size], batch, 0, size)[2]!;
    expect.soft(farFromReference(gpu, js), printKernelJs(kernel)).toEqual([]);
  }
}

const kernelOf = (value: ElementExpr, index: number): Kernel => ({
  name: `op${index}`,
  size: k.int(1),
  buffers: ["a", "b", "out"],
  lets: [{ name: "v", value }],
  stores: [{ buffer: 2, local: 0 }],
});

describe("kernel IR printed to WGSL", () => {
  it("computes every op on every pair of special values as the JavaScript does", async () => {
    const a = special.flatMap((x) => special.map(() => x));
    const b = special.flatMap(() => special);
    const x = k.load(0, k.element);
    const y = k.load(1, k.imod(k.iadd(k.element, k.int(a.length)), k.int(a.length)));
    const exprs: ElementExpr[] = [
      ...unaryOps.filter((op) => op !== "sin" && op !== "cos").map((op) => k[op](x)),
      ...binaryOps.map((op) => k[op](x, y)),
      ...comparisons.map((op) => k[op](x, y)),
      ...comparisons.map((op) => k.select(k[op](x, y), x, y)),
      k.select(x, y, k.c(5)),
    ];
    await compare(exprs.map(kernelOf), a, b);
  });

  it("computes the math functions over a sweep of ordinary values", async () => {
    const a = Array.from({ length: 4001 }, (_, i) => (i - 2000) / 100);
    const b = a.map((v) => v / 4 + 0.5);
    const x = k.load(0, k.element);
    const y = k.load(1, k.element);
    const exprs: ElementExpr[] = [
      ...unaryOps.map((op) => k[op](x)),
      k.pow(k.abs(x), y),
      k.pow(x, k.c(3)),
      k.log1p(k.mul(x, k.c(1e-4))),
      k.expm1(k.mul(x, k.c(1e-4))),
    ];
    await compare(exprs.map(kernelOf), a, b);
  });

  it("computes index maps, counts and lets as the JavaScript does", async () => {
    const size = 24;
    const a = Array.from({ length: size }, (_, i) => i * 1.5 - 7);
    const b = Array.from({ length: size }, (_, i) => (i % 5) - 2);
    const kernel: Kernel = {
      name: "indexing",
      size: k.int(size),
      buffers: ["a", "b", "out"],
      lets: [
        { name: "count", value: k.float(k.imul(k.batch, k.int(8))) },
        { name: "x", value: k.load(0, k.imod(k.idiv(k.element, k.int(3)), k.int(size))) },
        { name: "y", value: k.load(1, k.isub(k.iadd(k.element, k.batch), k.batch)) },
        { name: "v", value: k.add(k.mul(k.local(1), k.local(2)), k.div(k.local(0), k.c(7))) },
      ],
      stores: [{ buffer: 2, local: 3 }],
    };
    await compare([kernel], a, b);
  });
});
