import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ACCUMULATE, TRANS_A, TRANS_B } from "../../../runtime/backend.js";
import { type GemmPrecision, WasmGemm, gemmScratchBytes } from "../../../runtime/wasm/gemm.js";
import { relaxedSimdSupported } from "../../../runtime/wasm/relaxed-simd.js";
import { dataRandom, mismatch, referenceGemm } from "../cpu/helpers.js";

const flagNames = (flags: number): string =>
  [
    flags & TRANS_A ? "A^T" : "A",
    flags & TRANS_B ? "B^T" : "B",
    flags & ACCUMULATE ? "+=" : "=",
  ].join(" ");

/** Relative to the sum of |a*b| (and |C| when accumulating): f32 sums of up to ~1000 terms. */
const tolerances: Record<GemmPrecision, number> = { f32: 1e-5, f64: 1e-12 };

const variants = [
  { precision: "f32", relaxed: false },
  { precision: "f32", relaxed: true },
  { precision: "f64", relaxed: false },
  { precision: "f64", relaxed: true },
] as const;

/** A memory holding A, B, C and scratch, each at a 16-aligned byte offset after the previous. */
function harness(precision: GemmPrecision, relaxed: boolean, shared: boolean) {
  const memory = shared
    ? new WebAssembly.Memory({ initial: 256, maximum: 1024, shared: true })
    : new WebAssembly.Memory({ initial: 256 });
  const gemm = new WasmGemm(memory, { precision, relaxed });
  const E = precision === "f32" ? 4 : 8;
  const view = (offset: number, length: number) =>
    precision === "f32"
      ? new Float32Array(memory.buffer, offset, length)
      : new Float64Array(memory.buffer, offset, length);
  const align = (x: number) => Math.ceil(x / 64) * 64;
  return { memory, gemm, E, view, align };
}

describe.each(variants)("WasmGemm ($precision, relaxed $relaxed)", ({ precision, relaxed }) => {
  const h = harness(precision, relaxed, precision === "f32");
  const tol = tolerances[precision];

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
    const sizes = [extent(strideA, m * k), extent(strideB, k * n), extent(strideC, m * n)];
    const offsets: number[] = [];
    let end = 64;
    for (const size of sizes) {
      offsets.push(end);
      end = h.align(end + size * h.E);
    }
    const scratch = end;
    const need = scratch + gemmScratchBytes(m, n, k, precision);
    if (need > h.memory.buffer.byteLength) throw new Error("test memory too small");
    const [a, b, c] = sizes.map((size, i) => {
      const v = h.view(offsets[i]!, size);
      for (let e = 0; e < size; e++) v[e] = 2 * random.uniform() - 1;
      return v;
    }) as [Float32Array, Float32Array, Float32Array];
    const want = referenceGemm(a, b, c, m, n, k, flags, batch, strideA, strideB, strideC);
    h.gemm.gemm(
      offsets[0]!,
      offsets[1]!,
      offsets[2]!,
      m,
      n,
      k,
      flags,
      batch,
      strideA,
      strideB,
      strideC,
      scratch,
    );
    const failure = mismatch(c, want.c, tol, want.scale);
    return failure === null ? null : `m=${m} n=${n} k=${k} ${flagNames(flags)}: ${failure}`;
  };

  it("is compiled for the variant", () => {
    expect(h.gemm.config.relaxed).toBe(relaxed);
    if (relaxed) expect(relaxedSimdSupported()).toBe(true);
  });

  it("matches the reference on drawn sizes (1..70), flags, batches and strides", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 70 }),
        fc.integer({ min: 1, max: 70 }),
        fc.integer({ min: 1, max: 70 }),
        fc.integer({ min: 0, max: 7 }),
        fc.integer({ min: 1, max: 3 }),
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
      { seed: 20261130, numRuns: 150 },
    );
  });

  /**
   * Every transpose form of one product: each must match the naive reference, and all four
   * must agree bit for bit (packing absorbs the transposes; the summation order is the same).
   */
  const checkForms = (m: number, n: number, k: number, seed: number): string[] => {
    const random = dataRandom(seed);
    const a = Float64Array.from({ length: m * k }, () => 2 * random.uniform() - 1);
    const b = Float64Array.from({ length: k * n }, () => 2 * random.uniform() - 1);
    const aAt = 64;
    const bAt = h.align(aAt + m * k * h.E);
    const cAt = h.align(bAt + k * n * h.E);
    const scratch = h.align(cAt + m * n * h.E);
    const aView = h.view(aAt, m * k);
    const bView = h.view(bAt, k * n);
    aView.set(a);
    bView.set(b);
    const want = referenceGemm(aView, bView, h.view(cAt, m * n), m, n, k, 0, 1, 0, 0, 0);
    const failures: string[] = [];
    let first: number[] | undefined;
    for (const flags of [0, TRANS_A, TRANS_B, TRANS_A | TRANS_B]) {
      for (let i = 0; i < m; i++) {
        for (let p = 0; p < k; p++) aView[flags & TRANS_A ? p * m + i : i * k + p] = a[i * k + p]!;
      }
      for (let p = 0; p < k; p++) {
        for (let j = 0; j < n; j++) bView[flags & TRANS_B ? j * k + p : p * n + j] = b[p * n + j]!;
      }
      h.gemm.gemm(aAt, bAt, cAt, m, n, k, flags, 1, 0, 0, 0, scratch);
      const got = [...h.view(cAt, m * n)];
      const failure = mismatch(got, want.c, tol, want.scale);
      if (failure !== null) failures.push(`m=${m} n=${n} k=${k} ${flagNames(flags)}: ${failure}`);
      first ??= got;
      if (got.some((x, i) => x !== first![i])) {
        failures.push(`m=${m} n=${n} k=${k} ${flagNames(flags)} differs from A B`);
      }
    }
    return failures;
  };

  it("computes the T1 shapes in all four transpose forms, bit for bit alike", () => {
    const t1 = [
      [128, 512, 784],
      [512, 784, 128],
      [128, 784, 512],
      [128, 10, 512],
      [10, 512, 128],
      [128, 512, 10],
    ] as const;
    expect(t1.flatMap(([m, n, k]) => checkForms(m, n, k, m + n + k))).toEqual([]);
  });

  it("computes products of few rows (5-row tiles) in all four transpose forms, bit for bit alike", () => {
    // Rows of the product 10, 5, 15, 9 (5-row tiles), direct or transposed (n = 10, 9); with
    // edge tiles in every direction, several depth blocks (300 > KC) and column blocks (1030).
    const shapes = [
      [10, 37, 29],
      [23, 10, 40],
      [5, 5, 5],
      [15, 64, 300],
      [9, 1030, 20],
      [64, 9, 31],
    ] as const;
    expect(shapes.flatMap(([m, n, k]) => checkForms(m, n, k, m * n + k))).toEqual([]);
  });

  it("matches the reference across block boundaries (rows, columns, depth)", () => {
    // Two row blocks, two column blocks, two or more depth blocks (MC 128, NC 1024, KC 256/128).
    const failures: string[] = [];
    for (const [m, n, k] of [
      [130, 1030, 300],
      [200, 9, 530],
      [7, 1100, 3],
    ] as const) {
      for (const flags of [0, TRANS_A | TRANS_B, ACCUMULATE | TRANS_A, ACCUMULATE | TRANS_B]) {
        const failure = check(m, n, k, flags, m * n + k + flags);
        if (failure !== null) failures.push(failure);
      }
    }
    expect(failures).toEqual([]);
  });

  it("overwrites C without ACCUMULATE (NaN there does not leak in); k = 0 is an empty sum", () => {
    const [m, n, k] = [6, 5, 7];
    const [a, b, c] = [64, 1024, 2048];
    const scratch = 4096;
    h.view(a, m * k).fill(1);
    h.view(b, k * n).fill(2);
    h.view(c, m * n).fill(Number.NaN);
    h.gemm.gemm(a, b, c, m, n, k, 0, 1, 0, 0, 0, scratch);
    expect([...h.view(c, m * n)].every((v) => v === 14)).toBe(true);
    h.gemm.gemm(a, b, c, m, n, 0, ACCUMULATE, 1, 0, 0, 0, scratch);
    expect([...h.view(c, m * n)].every((v) => v === 14)).toBe(true);
    h.gemm.gemm(a, b, c, m, n, 0, 0, 1, 0, 0, 0, scratch);
    expect([...h.view(c, m * n)].every((v) => v === 0)).toBe(true);
  });

  it.each([
    { m: 37, n: 70, k: 45, flags: TRANS_B, cuts: [29, 61] },
    { m: 70, n: 10, k: 45, flags: 0, cuts: [3, 8] }, // the product computed transposed
    { m: 9, n: 70, k: 45, flags: TRANS_A, cuts: [16, 35] }, // B read in place, 5-row tiles
    { m: 10, n: 70, k: 45, flags: TRANS_B, cuts: [8, 40] }, // 5-row tiles, B packed
    { m: 70, n: 15, k: 45, flags: TRANS_A, cuts: [5, 9] }, // transposed, row ranges of 5, 4, 6
  ])("computes column ranges alone, bit for bit as the whole ($m x $n)", (t) => {
    const { m, n, k, flags } = t;
    const random = dataRandom(3);
    const [a, b, c1, c2] = [64, 32768, 65536, 98304];
    const scratch = 131072;
    for (const [offset, size] of [
      [a, m * k],
      [b, k * n],
    ] as const) {
      const v = h.view(offset, size);
      for (let i = 0; i < size; i++) v[i] = random.uniform() - 0.5;
    }
    h.gemm.gemm(a, b, c1, m, n, k, flags, 1, 0, 0, 0, scratch);
    const bounds = [0, ...t.cuts, n];
    for (let r = 0; r + 1 < bounds.length; r++) {
      h.gemm.gemmColumns(a, b, c2, m, n, k, flags, bounds[r]!, bounds[r + 1]!, scratch);
    }
    expect([...h.view(c2, m * n)]).toEqual([...h.view(c1, m * n)]);
  });
});

describe("gemmScratchBytes", () => {
  it("is bounded by the block sizes", () => {
    expect(gemmScratchBytes(4096, 4096, 4096, "f32")).toBeLessThan(1.3 * 2 ** 20);
    expect(gemmScratchBytes(4096, 4096, 4096, "f64")).toBeLessThan(2.5 * 2 ** 20);
    expect(gemmScratchBytes(1, 1, 1, "f32")).toBeLessThan(1024);
  });
});
