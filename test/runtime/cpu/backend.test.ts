import { describe, expect, it } from "vitest";
import type { FloatArray, Kernel } from "../../../runtime/backend.js";
import { createCpuBackend } from "../../../runtime/cpu/index.js";
import { backendFor, configurations } from "./helpers.js";

describe("createCpuBackend", () => {
  it("defaults to f32 buffers and gives f64 buffers on request", () => {
    const f32 = createCpuBackend();
    expect(f32.name).toBe("cpu");
    expect(f32.precision).toBe("f32");
    expect(f32.alloc(3)).toBeInstanceOf(Float32Array);
    const f64 = createCpuBackend({ precision: "f64" });
    expect(f64.precision).toBe("f64");
    expect(f64.alloc(3)).toBeInstanceOf(Float64Array);
  });
});

describe.each(configurations)("buffers and run (%s, %s)", (variant, precision) => {
  const backend = backendFor(precision, variant);

  it("allocates zero-filled buffers", () => {
    expect(Array.from(backend.alloc(4))).toEqual([0, 0, 0, 0]);
    expect(backend.alloc(0).length).toBe(0);
  });

  it("writes at an offset and reads a prefix that aliases the buffer", () => {
    const buffer = backend.alloc(5);
    backend.write(buffer, [1.5, 2.5], 2);
    backend.write(buffer, new Float64Array([-1]));
    expect(Array.from(backend.view(buffer))).toEqual([-1, 0, 1.5, 2.5, 0]);
    const prefix = backend.view(buffer, 3);
    expect(Array.from(prefix)).toEqual([-1, 0, 1.5]);
    buffer[0] = 9;
    expect(prefix[0]).toBe(9);
    expect(() => backend.view(buffer, 6)).toThrow(RangeError);
    expect(() => backend.write(buffer, [1, 2], 4)).toThrow(RangeError);
  });

  it("rounds written values to the precision", () => {
    const buffer = backend.alloc(1);
    backend.write(buffer, [0.1]);
    expect(buffer[0]).toBe(precision === "f32" ? Math.fround(0.1) : 0.1);
  });

  it("copies ranges between buffers and within one buffer", () => {
    const src = backend.alloc(6);
    backend.write(src, [1, 2, 3, 4, 5, 6]);
    const dst = backend.alloc(6);
    backend.copy(src, dst, 3, 2, 1);
    expect(Array.from(dst)).toEqual([0, 3, 4, 5, 0, 0]);
    backend.copy(src, dst, 6);
    expect(Array.from(dst)).toEqual([1, 2, 3, 4, 5, 6]);
    // Overlapping ranges of one buffer behave like memmove.
    backend.copy(src, src, 4, 0, 2);
    expect(Array.from(src)).toEqual([1, 2, 1, 2, 3, 4]);
    expect(() => backend.copy(src, dst, 3, 4)).toThrow(/copy: src holds 6 elements, needs 7/);
  });

  it("fills a prefix", () => {
    const buffer = backend.alloc(4);
    backend.fill(buffer, 2.5, 3);
    expect(Array.from(buffer)).toEqual([2.5, 2.5, 2.5, 0]);
    expect(() => backend.fill(buffer, 1, 5)).toThrow(RangeError);
  });

  it("runs a kernel with size, n and the buffers in order", () => {
    const seen: unknown[][] = [];
    const kernel: Kernel = {
      name: "record",
      cpu: (...args) => {
        seen.push(args);
      },
    };
    const buffers: FloatArray[] = Array.from({ length: 12 }, () => backend.alloc(1));
    const at = (i: number): FloatArray => buffers[i]!;
    const [a, b] = [at(0), at(1)];
    backend.run(
      kernel,
      17,
      4,
      a,
      b,
      at(2),
      at(3),
      at(4),
      at(5),
      at(6),
      at(7),
      at(8),
      at(9),
      at(10),
      at(11),
    );
    backend.run(kernel, 2, 1, a, b);
    expect(seen).toHaveLength(2);
    const [first, second] = seen as [unknown[], unknown[]];
    expect(first).toHaveLength(14);
    expect(first[0]).toBe(17);
    expect(first[1]).toBe(4);
    for (let i = 0; i < 12; i++) expect(first[2 + i]).toBe(buffers[i]);
    expect(second.slice(0, 4)).toEqual([2, 1, a, b]);
    expect(second[2]).toBe(a);
    expect(second[3]).toBe(b);
    expect(second.slice(4).every((v) => v === undefined)).toBe(true);
  });

  it("runs a fused elementwise kernel", () => {
    const axpy: Kernel = {
      name: "axpy",
      cpu: (size, _n, x, y, out) => {
        for (let i = 0; i < size; i++) out![i] = 2 * x![i]! + y![i]!;
      },
    };
    const x = backend.alloc(3);
    const y = backend.alloc(3);
    const out = backend.alloc(3);
    backend.write(x, [1, 2, 3]);
    backend.write(y, [10, 20, 30]);
    backend.run(axpy, 3, 1, x, y, out);
    expect(Array.from(out)).toEqual([12, 24, 36]);
  });
});
