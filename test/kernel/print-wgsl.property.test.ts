import fc from "fast-check";
import { afterAll, beforeAll, describe, it } from "vitest";
import { type ElementExpr, type Kernel, k, printKernelJs } from "../../compiler/kernel/index.js";
import { printKernelWgsl } from "../../compiler/kernel/print-wgsl.js";
import type { WebGpuBackend } from "../../runtime/webgpu/webgpu-backend.js";
import { closeToReference, testWebGpuBackend } from "../helpers/webgpu.js";
import {
  binaryOps,
  comparisons,
  index,
  number,
  unaryOps,
  withLocalsBefore,
} from "./arbitraries.js";
import { boundKernel } from "./f32-bound.js";
import { runJs } from "./wasm-harness.js";

/**
 * The WGSL printer on random kernels, run on the device (Mesa's llvmpipe without a GPU) against
 * the printed JavaScript on the same f32 inputs: broadcast index maps, lets, selects with loads
 * in their branches, NaN, infinities, -0 and subnormals. An element passes when it is within the
 * issue's tolerance (|a - b| <= 1e-5 + 1e-3 |b|, NaN where the JavaScript gives NaN) or within
 * the f32 error bound derived for it (f32-bound.ts, doubled: the GPU's exp and log are not the
 * wasm polynomials the bound was measured on), which admits cancellation the tolerance does
 * not. sin and cos are left out: WGSL promises their accuracy only on [-pi, pi] (the op sweep of
 * print-wgsl.test.ts covers them). No update in place: invocations run concurrently, and the
 * compiler never fuses a kernel that reads what another element stores.
 */

let backend: WebGpuBackend;
beforeAll(async () => {
  backend = await testWebGpuBackend();
});
afterAll(() => backend?.dispose());

const seed = 20261130;
const batch = 3;
const inputs = 3;
const unary = unaryOps.filter((op) => op !== "sin" && op !== "cos");

const load = (length: number) =>
  fc
    .tuple(fc.integer({ min: 0, max: inputs - 1 }), fc.boolean(), index)
    .map(([b, own, at]) => k.load(b, own ? k.element : k.imod(at, k.int(length))));

const element = (length: number) =>
  fc.letrec<{ element: ElementExpr }>((tie) => ({
    element: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      number.map(k.c),
      load(length),
      fc.nat({ max: 7 }).map(k.local),
      index.map(k.float),
      fc.tuple(fc.constantFrom(...unary), tie("element")).map(([op, x]) => k[op](x)),
      fc
        .tuple(fc.constantFrom(...binaryOps), tie("element"), tie("element"))
        .map(([op, a, b]) => k[op](a, b)),
      fc
        .tuple(fc.constantFrom(...comparisons), tie("element"), tie("element"))
        .map(([op, a, b]) => k[op](a, b)),
      fc
        .tuple(tie("element"), tie("element"), tie("element"))
        .map(([c, a, b]) => k.select(c, a, b)),
    ),
  })).element;

const testCase = fc.integer({ min: 1, max: 11 }).chain((size) =>
  fc.record({
    size: fc.constant(size),
    values: fc.array(element(size), { minLength: 1, maxLength: 5 }),
    data: fc.array(fc.array(number, { minLength: size, maxLength: size }), {
      minLength: inputs,
      maxLength: inputs,
    }),
  }),
);

describe("kernel IR printed to WGSL, on random kernels", () => {
  it("computes what the printed JavaScript computes, within f32's tolerance", async () => {
    await fc.assert(
      fc.asyncProperty(testCase, async ({ size, values, data }) => {
        const lets = values.map((value, i) => ({
          name: `v${i}`,
          value: withLocalsBefore(value, i),
        }));
        const kernel: Kernel = {
          name: "random",
          size: k.int(size),
          buffers: ["x0", "x1", "x2", "y"],
          lets,
          stores: [{ buffer: inputs, local: lets.length - 1 }],
        };
        const all = [...data, []];
        const lengths = all.map(() => size);
        const js = runJs(kernel, "f32", all, lengths, batch, 0, size)[inputs]!;
        const bounds = boundKernel(kernel, all, lengths, batch, 0, size);
        const buffers = data.map((d) => {
          const buffer = backend.alloc(size);
          backend.write(buffer, d);
          return buffer;
        });
        const out = backend.alloc(size);
        const runtimeKernel = { name: "random", wgsl: printKernelWgsl(kernel), cpu() {} };
        backend.run(runtimeKernel, size, batch, ...buffers, out);
        const gpu = await backend.read(out);
        for (const buffer of [...buffers, out]) backend.free(buffer);
        for (let i = 0; i < size; i++) {
          const { v, e } = bounds.get(inputs, i);
          const w = gpu[i]!;
          const ok =
            closeToReference(w, js[i]!) ||
            e === Infinity ||
            (Number.isFinite(v) && Math.abs(w - v) <= 2 * e);
          if (!ok) {
            throw new Error(
              `element ${i}: gpu ${w}, js ${js[i]}, bound ${e}\n${printKernelJs(kernel)}`,
            );
          }
        }
      }),
      { seed, numRuns: 200 },
    );
  });
});
