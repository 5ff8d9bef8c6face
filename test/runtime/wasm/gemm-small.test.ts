import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ACCUMULATE, TRANS_A, TRANS_B } from "../../../runtime/backend.js";
import { WasmGemm, depthBlock, gemmScratchBytes } from "../../../runtime/wasm/gemm.js";
import { defaultKernelConfig } from "../../../runtime/wasm/gemm-kernels.js";
import {
  SMALL_GEMM_WORK,
  WasmSmallGemm,
  smallGemmScratchBytes,
} from "../../../runtime/wasm/gemm-small.js";
import { dataRandom } from "../cpu/helpers.js";

const variants = [
  { precision: "f32", relaxed: false },
  { precision: "f32", relaxed: true },
  { precision: "f64", relaxed: false },
  { precision: "f64", relaxed: true },
] as const;

const PAGE = 65536;

/** A product drawn within the small path's work, its flags, batch, strides and placement. */
const drawnCase = fc
  .record({
    m: fc.integer({ min: 1, max: 70 }),
    n: fc.integer({ min: 1, max: 40 }),
    k: fc.integer({ min: 1, max: 700 }),
    flags: fc.integer({ min: 0, max: 7 }),
    batch: fc.integer({ min: 1, max: 3 }),
    shareA: fc.boolean(),
    bAtEnd: fc.boolean(),
    seed: fc.integer({ min: 0, max: 1e6 }),
  })
  .filter(({ m, n, k }) => m * n * k <= SMALL_GEMM_WORK);

describe.each(variants)(
  "WasmSmallGemm ($precision, relaxed $relaxed)",
  ({ precision, relaxed }) => {
    const shared = precision === "f32";
    const memory = shared
      ? new WebAssembly.Memory({ initial: 64, maximum: 64, shared: true })
      : new WebAssembly.Memory({ initial: 64 });
    const config = defaultKernelConfig(precision, relaxed);
    const small = new WasmSmallGemm(memory, config);
    const blocked = new WasmGemm(memory, { precision, relaxed });
    const E = precision === "f32" ? 4 : 8;
    const view = (offset: number, length: number) =>
      precision === "f32"
        ? new Float32Array(memory.buffer, offset, length)
        : new Float64Array(memory.buffer, offset, length);
    const align = (x: number) => Math.ceil(x / 64) * 64;

    it("gives the blocked path's bits on drawn products (forms, accumulate, batches, depth blocks, B at the memory's end)", () => {
      fc.assert(
        fc.property(drawnCase, ({ m, n, k, flags, batch, shareA, bAtEnd, seed }) => {
          const random = dataRandom(seed);
          const strideA = shareA ? 0 : m * k;
          const strideB = k * n;
          const strideC = m * n;
          const sizeA = (batch - 1) * strideA + m * k;
          const sizeB = (batch - 1) * strideB + k * n;
          const sizeC = (batch - 1) * strideC + m * n;
          const a = 64;
          const c = align(a + sizeA * E);
          const expected = align(c + sizeC * E);
          const scratch = align(expected + sizeC * E);
          const pack = align(scratch + gemmScratchBytes(m, n, k, precision));
          const free = align(pack + smallGemmScratchBytes(n, k, E));
          // B last in the memory: its rows cannot be over-read, so they are packed.
          const b = bAtEnd ? 64 * PAGE - sizeB * E : free;
          expect(b >= free).toBe(true);
          const fill = (offset: number, size: number) => {
            const v = view(offset, size);
            for (let i = 0; i < size; i++) v[i] = 2 * random.uniform() - 1;
            return v;
          };
          fill(a, sizeA);
          fill(b, sizeB);
          const cView = fill(c, sizeC);
          const start = Float64Array.from(cView);
          // Without ACCUMULATE, C is overwritten unread: NaN there must not leak in.
          if ((flags & ACCUMULATE) === 0) cView.fill(NaN);
          const want = view(expected, sizeC);
          want.set((flags & ACCUMULATE) === 0 ? cView : start);
          blocked.gemm(a, b, expected, m, n, k, flags, batch, strideA, strideB, strideC, scratch);
          const kc = depthBlock(k, precision);
          small.gemm(a, b, c, m, n, k, flags, batch, strideA, strideB, strideC, kc, pack);
          for (let i = 0; i < sizeC; i++) {
            if (!Object.is(cView[i], want[i])) {
              throw new Error(
                `m=${m} n=${n} k=${k} flags=${flags} batch=${batch}: C[${i}] = ${cView[i]}, blocked ${want[i]}`,
              );
            }
          }
        }),
        { seed: 21, numRuns: 150 },
      );
    });

    it("takes products up to SMALL_GEMM_WORK multiply-adds, k > 0", () => {
      expect(small.takes(256, 10, 10)).toBe(true);
      expect(small.takes(10, 10, 256)).toBe(true);
      expect(small.takes(128, 512, 784)).toBe(false);
      expect(small.takes(4, 4, 0)).toBe(false);
    });

    it("covers the T3 shapes in every transpose form", () => {
      for (const [m, n, k] of [
        [256, 10, 10],
        [1, 10, 256],
        [256, 1, 10],
      ] as const) {
        for (const flags of [0, TRANS_A, TRANS_B, TRANS_A | TRANS_B]) {
          const a = 64;
          const b = align(a + m * k * E);
          const c = align(b + k * n * E);
          const want = align(c + m * n * E);
          const scratch = align(want + m * n * E);
          const pack = align(scratch + gemmScratchBytes(m, n, k, precision));
          const random = dataRandom(m + n + k + flags);
          for (const [offset, size] of [
            [a, m * k],
            [b, k * n],
          ] as const) {
            const v = view(offset, size);
            for (let i = 0; i < size; i++) v[i] = 2 * random.uniform() - 1;
          }
          blocked.gemm(a, b, want, m, n, k, flags, 1, 0, 0, 0, scratch);
          small.gemm(a, b, c, m, n, k, flags, 1, 0, 0, 0, depthBlock(k, precision), pack);
          expect([...view(c, m * n)]).toEqual([...view(want, m * n)]);
        }
      }
    });
  },
);
