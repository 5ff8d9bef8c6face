import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { k } from "../../../compiler/kernel/index.js";
import { printKernelsWasm } from "../../../compiler/kernel/print-wasm.js";
import type { Kernel } from "../../../runtime/backend.js";
import {
  decodeBase64,
  encodeBase64,
  instantiateKernels,
  kernelModule,
} from "../../../runtime/wasm/kernels.js";

const double = {
  name: "double",
  size: k.batch,
  buffers: ["x", "y"],
  lets: [{ name: "y0", value: k.mul(k.c(2), k.exp(k.load(0, k.element))) }],
  stores: [{ buffer: 1, local: 0 }],
};

describe("kernel modules at run time", () => {
  it("base64 round-trips any bytes, as btoa writes them", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70 }), (bytes) => {
        const text = encodeBase64(bytes);
        expect(text).toBe(btoa(String.fromCharCode(...bytes)));
        expect(decodeBase64(text)).toEqual(bytes);
      }),
      { seed: 7, numRuns: 200 },
    );
    expect(() => decodeBase64("ab*d")).toThrow(/not base64/);
  });

  it("links the same module to an unshared memory (with or without a maximum) and a shared one", () => {
    const bytes = printKernelsWasm([double], "f32");
    expect(kernelModule(bytes, false)).toBe(bytes);
    const shared = kernelModule(bytes, true);
    expect(WebAssembly.validate(shared)).toBe(true);
    const wasm = { f32: encodeBase64(bytes), f64: "" };
    const memories = [
      new WebAssembly.Memory({ initial: 1 }),
      new WebAssembly.Memory({ initial: 1, maximum: 3 }),
      new WebAssembly.Memory({ initial: 1, maximum: 3, shared: true }),
    ];
    for (const memory of memories) {
      const record: Kernel = { name: "double", wasm: 0, cpu: () => {} };
      const plain: Kernel = { name: "plain", cpu: () => {} };
      const fns = instantiateKernels(wasm, "f32", memory, [record, plain]);
      expect([...fns.keys()]).toEqual([record]);
      const x = new Float32Array(memory.buffer, 64, 3);
      const y = new Float32Array(memory.buffer, 128, 3);
      x.set([0, 1, -Infinity]);
      fns.get(record)!(0, 3, 3, 64, 128);
      expect(Array.from(y)).toEqual([2, Math.fround(2 * Math.E), 0]);
    }
  });

  it("says which kernel's function is missing", () => {
    const wasm = { f32: encodeBase64(printKernelsWasm([double], "f32")), f64: "" };
    const memory = new WebAssembly.Memory({ initial: 1 });
    const record: Kernel = { name: "other", wasm: 3, cpu: () => {} };
    expect(() => instantiateKernels(wasm, "f32", memory, [record])).toThrow(
      /no function 3 \(other\)/,
    );
  });
});
