import { describe, expect, it } from "vitest";
import { ACCUMULATE, type FloatArray, type Precision } from "../../../runtime/backend.js";
import {
  type Blas,
  BlasLoadError,
  blasGemmProvider,
  loadBlas,
  selfTestBlas,
} from "../../../runtime/node/blas.js";
import { WasmBackend } from "../../../runtime/wasm/wasm-backend.js";
import { dataRandom, mismatch, referenceGemm } from "../cpu/helpers.js";

const blas = loadBlas("auto");
const missing = "(skipped: no BLAS library on this machine; install libopenblas0)";

/**
 * BLAS sums in the operands' precision in its own order: allow a k-term sum's rounding,
 * relative to sum |a||b| (+ |c|), the scale referenceGemm returns.
 */
const tolerance = (precision: Precision, k: number): number =>
  (precision === "f32" ? 6e-8 : 1.2e-16) * (k + 2) * 2;

const backends = {
  f32: new WasmBackend({ precision: "f32" }),
  f64: new WasmBackend({ precision: "f64" }),
};

/** `size` uniform values in [-1, 1), in a buffer of the wasm backend (a view on its memory). */
function operand(precision: Precision, size: number, seed: number): FloatArray {
  const view = backends[precision].alloc(size);
  const random = dataRandom(seed);
  for (let i = 0; i < size; i++) view[i] = 2 * random.uniform() - 1;
  return view;
}

const release = (precision: Precision, ...buffers: FloatArray[]): void => {
  for (const buffer of buffers) backends[precision].release(buffer);
};

describe.skipIf(blas === null)(`system BLAS ${blas ? `(${blas.name})` : missing}`, () => {
  const loaded = blas as Blas;
  const provider = blasGemmProvider(loaded, 0);

  describe.each(["f32", "f64"] as const)("%s", (precision) => {
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
      const extent = (stride: number, size: number): number => (batch - 1) * stride + size;
      const a = operand(precision, extent(strideA, m * k), seed);
      const b = operand(precision, extent(strideB, k * n), seed + 1000);
      const c = operand(precision, extent(strideC, m * n), seed + 2000);
      const want = referenceGemm(a, b, c, m, n, k, flags, batch, strideA, strideB, strideC);
      const taken = provider.gemm(a, b, c, m, n, k, flags, batch, strideA, strideB, strideC);
      if (!taken) return `m=${m} n=${n} k=${k} flags=${flags}: not taken`;
      const failure = mismatch(c, want.c, tolerance(precision, k), want.scale);
      release(precision, a, b, c);
      return failure === null ? null : `m=${m} n=${n} k=${k} flags=${flags}: ${failure}`;
    };

    it("matches a naive loop for odd sizes, all four transposes, with and without accumulate", () => {
      const sizes = [1, 2, 7, 17, 66];
      const failures: string[] = [];
      let seed = 1;
      for (let flags = 0; flags < 8; flags++) {
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

    it("runs batches with strides, including a stride of 0 that reuses one matrix", () => {
      const failures = [
        check(5, 7, 3, 0, 1, 4),
        check(5, 7, 3, 1, 2, 3, 0),
        check(6, 4, 9, 2, 3, 3, 54, 0),
        check(6, 4, 9, 3, 4, 2, 60, 40, 30),
        // C's stride 0 with ACCUMULATE sums every product into one C, in batch order.
        check(4, 5, 6, ACCUMULATE, 5, 3, 24, 30, 0),
        check(4, 5, 6, ACCUMULATE | 3, 6, 3, 24, 30, 0),
        // And without it, the last product is what is left.
        check(4, 5, 6, 0, 7, 3, 24, 30, 0),
      ].filter((f) => f !== null);
      expect(failures).toEqual([]);
    });

    it("treats k = 0 as an empty sum and m = 0 or n = 0 as nothing to do", () => {
      const c = operand(precision, 6, 9);
      const before = Array.from(c);
      const empty = operand(precision, 0, 1);
      expect(provider.gemm(empty, empty, c, 2, 3, 0, ACCUMULATE, 1, 0, 0, 6)).toBe(true);
      expect(Array.from(c)).toEqual(before);
      provider.gemm(empty, empty, c, 2, 3, 0, 0, 1, 0, 0, 6);
      expect(Array.from(c)).toEqual([0, 0, 0, 0, 0, 0]);
      const a = operand(precision, 4, 2);
      provider.gemm(a, a, c, 0, 3, 2, 0, 1, 0, 0, 0);
      expect(Array.from(c)).toEqual([0, 0, 0, 0, 0, 0]);
    });
  });

  it("leaves GEMMs below the size threshold, and C overlapping A or B, to the backend", () => {
    const small = blasGemmProvider(loaded);
    const a = new Float32Array(64 * 64);
    const b = new Float32Array(64 * 64);
    const c = new Float32Array(64 * 64);
    expect(small.gemm(a, b, c, 63, 64, 64, 0, 1, 0, 0, 0)).toBe(false);
    expect(small.gemm(a, b, c, 64, 64, 64, 0, 1, 0, 0, 0)).toBe(true);
    expect(provider.gemm(a, b, a.subarray(8), 8, 8, 8, 0, 1, 0, 0, 0)).toBe(false);
    expect(provider.gemm(a, b, new Float64Array(64), 8, 8, 8, 0, 1, 0, 0, 0)).toBe(false);
  });

  it("is named after the library and pins its threads (1 means 1)", () => {
    expect(["openblas", "blis", "mkl", "accelerate", "blas"]).toContain(loaded.name);
    expect(provider.name).toBe(loaded.name);
    expect(() => loaded.setThreads(1)).not.toThrow();
    expect(() => loaded.setThreads(0)).toThrow(RangeError);
    if (loaded.name === "openblas") expect(loaded.canSetThreads).toBe(true);
  });

  it("loads an explicit path to the same library as auto found", () => {
    expect(loadBlas(loaded.path, { threads: 1 })?.name).toBe(loaded.name);
  });
});

describe("loadBlas without a usable library", () => {
  it("off is none", () => {
    expect(loadBlas("off")).toBeNull();
  });

  it("auto falls back silently past absent, non-library and CBLAS-less files", () => {
    const candidates = ["/nonexistent/libnothing.so", "/etc/hostname", "libm.so.6"];
    expect(loadBlas("auto", { candidates })).toBeNull();
  });

  it("an explicit path that cannot load is a BlasLoadError naming it and why", () => {
    const error = catchError(() => loadBlas("/nonexistent.so"));
    expect(error).toBeInstanceOf(BlasLoadError);
    expect((error as Error).message).toMatch(
      /^cannot load BLAS library \/nonexistent\.so: .*No such file or directory/,
    );
    expect((error as Error).message).not.toContain("\n");
    expect(catchError(() => loadBlas("libm.so.6"))?.message).toMatch(
      /^cannot load BLAS library libm\.so\.6: .*cblas_sgemm/,
    );
  });

  it("the self-test rejects a library that gives wrong answers", () => {
    const transposeIgnored = (
      _transA: boolean,
      _transB: boolean,
      _m: number,
      _n: number,
      _k: number,
      a: FloatArray,
      b: FloatArray,
      accumulate: boolean,
      c: FloatArray,
    ): void => {
      for (let i = 0; i < 2; i++) {
        for (let j = 0; j < 2; j++) {
          const s = a[i * 2]! * b[j]! + a[i * 2 + 1]! * b[2 + j]!;
          c[i * 2 + j] = accumulate ? c[i * 2 + j]! + s : s;
        }
      }
    };
    expect(selfTestBlas({ sgemm: transposeIgnored, dgemm: transposeIgnored })).toMatch(
      /sgemm gives a wrong answer/,
    );
  });
});

function catchError(f: () => unknown): Error | null {
  try {
    f();
  } catch (error) {
    return error as Error;
  }
  return null;
}
