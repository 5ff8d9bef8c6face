import { describe, expect, it } from "vitest";
import { type GemmProvider, TRANS_B } from "../../../runtime/backend.js";
import { createCpuBackendNow, describeBackend } from "../../../runtime/backends.js";
import { gemmOne } from "../../../runtime/cpu/gemm.js";
import { WasmBackend } from "../../../runtime/wasm/index.js";

/** A provider of C = A B^T for m >= 4 (with the JS kernel) that declines smaller ones and logs calls. */
function fakeProvider(log: string[]): GemmProvider {
  return {
    name: "fake",
    setThreads: (threads) => log.push(`threads ${threads}`),
    gemm(a, b, c, m, n, k, _flags, batch, strideA, strideB, strideC) {
      log.push(`gemm ${m}x${n}x${k} batch ${batch}`);
      if (m < 4) return false;
      for (let j = 0; j < batch; j++) {
        gemmOne(a, j * strideA, b, j * strideB, c, j * strideC, m, n, k, false, true, false);
      }
      return true;
    },
  };
}

describe("WasmBackend with a GemmProvider", () => {
  it("pins the provider's threads to its own, names it in the description, and tries it first", () => {
    const log: string[] = [];
    const backend = createCpuBackendNow("cpu", { gemm: fakeProvider(log) }) as WasmBackend;
    expect(log).toEqual([`threads ${backend.threads}`]);
    expect(describeBackend(backend)).toMatch(/^cpu: wasm-simd( relaxed)?, 1 thread, blas fake$/);
    const a = backend.alloc(8);
    const b = backend.alloc(8);
    const c = backend.alloc(16);
    a.set([1, 2, 3, 4, 5, 6, 7, 8]); // 4x2
    b.set([1, 0, 0, 1, 1, 1, 2, 0]); // 4x2, used transposed
    backend.gemm(a, b, c, 4, 4, 2, TRANS_B);
    expect(Array.from(c)).toEqual([1, 2, 3, 2, 3, 4, 7, 6, 5, 6, 11, 10, 7, 8, 15, 14]);
    // Declined (m < 4): the backend computes it itself.
    backend.gemm(a, b, c, 2, 4, 2, TRANS_B);
    expect(Array.from(c.subarray(0, 8))).toEqual([1, 2, 3, 2, 3, 4, 7, 6]);
    expect(log.slice(1)).toEqual(["gemm 4x4x2 batch 1", "gemm 2x4x2 batch 1"]);
  });

  it("checks the operands before the provider sees them", () => {
    const log: string[] = [];
    const backend = new WasmBackend({ gemm: fakeProvider(log) });
    expect(() =>
      backend.gemm(backend.alloc(3), backend.alloc(8), backend.alloc(16), 4, 4, 2, 0),
    ).toThrow(/gemm: a holds 3 elements, needs 8/);
    expect(log).toEqual(["threads 1"]);
  });

  it("is ignored by the js backend", () => {
    const log: string[] = [];
    const backend = createCpuBackendNow("js", { gemm: fakeProvider(log) });
    expect(describeBackend(backend)).toBe("js");
    const x = backend.alloc(16);
    backend.gemm(x, x, backend.alloc(16), 4, 4, 4, 0);
    expect(log).toEqual([]);
  });
});
