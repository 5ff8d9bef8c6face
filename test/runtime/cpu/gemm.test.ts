import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ACCUMULATE, TRANS_A, TRANS_B } from "../../../runtime/backend.js";
import {
  backendFor,
  dataRandom,
  mismatch,
  configurations,
  randomBuffer,
  referenceGemm,
  tolerance,
} from "./helpers.js";

const flagNames = (flags: number): string =>
  [
    flags & TRANS_A ? "A^T" : "A",
    flags & TRANS_B ? "B^T" : "B",
    flags & ACCUMULATE ? "+=" : "=",
  ].join(" ");

describe.each(configurations)("gemm (%s, %s)", (variant, precision) => {
  const backend = backendFor(precision, variant);
  const tol = tolerance(precision);

  /** Runs one (possibly batched) gemm on fresh random operands and checks it. */
  const check = (
    m: number,
    n: number,
    k: number,
    flags: number,
    seed: number,
    batch = 1,
    strideA = m * k,
    strideB = k * n,
    strideC = m * n,
  ): string | null => {
    const random = dataRandom(seed);
    const extent = (stride: number, size: number): number => (batch - 1) * stride + size;
    const a = randomBuffer(backend, extent(strideA, m * k), random);
    const b = randomBuffer(backend, extent(strideB, k * n), random);
    const c = randomBuffer(backend, extent(strideC, m * n), random);
    const want = referenceGemm(a, b, c, m, n, k, flags, batch, strideA, strideB, strideC);
    backend.gemm(a, b, c, m, n, k, flags, batch, strideA, strideB, strideC);
    const failure = mismatch(c, want.c, tol, want.scale);
    return failure === null ? null : `m=${m} n=${n} k=${k} ${flagNames(flags)}: ${failure}`;
  };

  it("matches the reference for odd sizes, all transposes, with and without accumulate", () => {
    const sizes = [1, 3, 5, 17, 33, 65];
    const failures: string[] = [];
    let seed = 1;
    for (const flags of [0, 1, 2, 3, 4, 5, 6, 7]) {
      for (const m of sizes) {
        for (const n of sizes) {
          for (const k of sizes) {
            const failure = check(m, n, k, flags, seed++);
            if (failure !== null) failures.push(failure);
          }
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it("matches the reference across block boundaries (rows, columns and depth split)", () => {
    const failures: string[] = [];
    for (const [m, n, k] of [
      [130, 515, 600],
      [64, 512, 256],
      [65, 513, 257],
      [200, 9, 1030],
      [7, 1100, 3],
    ] as const) {
      for (const flags of [0, TRANS_A, TRANS_B | ACCUMULATE, TRANS_A | TRANS_B]) {
        const failure = check(m, n, k, flags, m * n + k + flags);
        if (failure !== null) failures.push(failure);
      }
    }
    expect(failures).toEqual([]);
  });

  it("matches the reference on drawn sizes, flags, batches and strides", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 70 }),
        fc.integer({ min: 1, max: 70 }),
        fc.integer({ min: 1, max: 70 }),
        fc.integer({ min: 0, max: 7 }),
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom("packed", "padded", "broadcastA", "broadcastB", "sumIntoC"),
        fc.integer({ min: 0, max: 1000 }),
        (m, n, k, flags0, batch, layout, seed) => {
          let flags = flags0;
          let [strideA, strideB, strideC] = [m * k, k * n, m * n];
          if (layout === "padded") [strideA, strideB, strideC] = [m * k + 3, k * n + 1, m * n + 5];
          if (layout === "broadcastA") strideA = 0;
          if (layout === "broadcastB") strideB = 0;
          if (layout === "sumIntoC") {
            strideC = 0;
            flags |= ACCUMULATE;
          }
          const failure = check(m, n, k, flags, seed, batch, strideA, strideB, strideC);
          expect(failure === null ? null : `batch ${batch} ${layout}: ${failure}`).toBeNull();
        },
      ),
      { seed: 20240611, numRuns: 150 },
    );
  });

  it("overwrites C without ACCUMULATE, so NaN already there does not leak in", () => {
    const random = dataRandom(5);
    const a = randomBuffer(backend, 6 * 7, random);
    const b = randomBuffer(backend, 7 * 5, random);
    const c = backend.alloc(6 * 5);
    c.fill(Number.NaN);
    backend.gemm(a, b, c, 6, 5, 7, 0);
    expect(c.every((v) => Number.isFinite(v))).toBe(true);
  });

  it("treats k = 0 as an empty sum: zeros, or C unchanged with ACCUMULATE", () => {
    const a = backend.alloc(0);
    const b = backend.alloc(0);
    const c = backend.alloc(6);
    c.fill(3);
    backend.gemm(a, b, c, 2, 3, 0, ACCUMULATE);
    expect(Array.from(c)).toEqual([3, 3, 3, 3, 3, 3]);
    backend.gemm(a, b, c, 2, 3, 0, 0);
    expect(Array.from(c)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it("computes a small product exactly", () => {
    // [[1, 2, 3], [4, 5, 6]] . [[1, 0], [0, 1], [1, 1]] = [[4, 5], [10, 11]]
    const a = backend.alloc(6);
    const b = backend.alloc(6);
    const c = backend.alloc(4);
    backend.write(a, [1, 2, 3, 4, 5, 6]);
    backend.write(b, [1, 0, 0, 1, 1, 1]);
    backend.gemm(a, b, c, 2, 2, 3, 0);
    expect(Array.from(c)).toEqual([4, 5, 10, 11]);
    // A^T with A stored 3 x 2: [[1, 4], [2, 5], [3, 6]]^T is the same 2 x 3 matrix.
    backend.write(a, [1, 4, 2, 5, 3, 6]);
    backend.gemm(a, b, c, 2, 2, 3, TRANS_A | ACCUMULATE);
    expect(Array.from(c)).toEqual([8, 10, 20, 22]);
  });

  it("rejects buffers too small for the shapes", () => {
    const a = backend.alloc(5);
    const b = backend.alloc(6);
    const c = backend.alloc(4);
    expect(() => backend.gemm(a, b, c, 2, 2, 3, 0)).toThrow(/gemm: a holds 5 elements, needs 6/);
    expect(() => backend.gemm(b, b, c, 2, 2, 3, 0, 2, 0, 0, 4)).toThrow(/gemm: c holds 4/);
  });
});
