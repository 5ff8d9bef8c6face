import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { ACCUMULATE, TRANS_A, TRANS_B } from "../../../runtime/backend.js";
import { encodeGemm, gemmShader, gemmTiling } from "../../../runtime/webgpu/gemm.js";
import { gemmWorkgroupBytes } from "../../../runtime/webgpu/gemm-shader.js";
import { TestContext, testGpu } from "../../helpers/webgpu.js";
import { dataRandom, mismatch, referenceGemm } from "../cpu/helpers.js";

/**
 * Mesa compiles each new pipeline on the CPU (a cold shader cache in CI: seconds per test):
 * room for that, not a speed bound.
 */
const SHADERS = { timeout: 120_000 };

const gpu = await testGpu();
const ctx = gpu.device === null ? null : new TestContext(gpu.device);
afterAll(() => {
  ctx?.destroy();
  gpu.device?.destroy();
});

/** f32 rounding of sums of up to ~100 products (fma or not), relative to sum |a||b| + |c|. */
const tol = 2e-6 * 8;

const flagNames = (flags: number): string =>
  [
    flags & TRANS_A ? "A^T" : "A",
    flags & TRANS_B ? "B^T" : "B",
    flags & ACCUMULATE ? "+=" : "=",
  ].join(" ");

/** Random values in [-1, 1), rounded to f32. */
function randomValues(size: number, seed: number): Float32Array {
  const random = dataRandom(seed);
  return Float32Array.from({ length: size }, () => 2 * random.uniform() - 1);
}

describe.skipIf(ctx === null)(`WebGPU gemm ${gpu.reason}`, () => {
  const c = ctx!;

  /** Runs one (possibly batched) gemm on random operands; null when it matches. */
  const check = async (
    m: number,
    n: number,
    k: number,
    flags: number,
    seed: number,
    batch = 1,
    strideA = m * k,
    strideB = k * n,
    strideC = m * n,
  ): Promise<string | null> => {
    c.reset();
    const extent = (stride: number, size: number): number => (batch - 1) * stride + size;
    const a = randomValues(extent(strideA, m * k), seed);
    const b = randomValues(extent(strideB, k * n), seed + 1e6);
    const cv = randomValues(extent(strideC, m * n), seed + 2e6);
    const want = referenceGemm(a, b, cv, m, n, k, flags, batch, strideA, strideB, strideC);
    const cBuffer = c.buffer(cv);
    encodeGemm(
      c,
      c.buffer(a),
      c.buffer(b),
      cBuffer,
      m,
      n,
      k,
      flags,
      batch,
      strideA,
      strideB,
      strideC,
    );
    const got = await c.read(cBuffer);
    const failure = mismatch(got, want.c, tol, want.scale);
    return failure === null ? null : `m=${m} n=${n} k=${k} ${flagNames(flags)}: ${failure}`;
  };

  it("chooses its tiles from the device's limits", () => {
    const t = gemmTiling(c.limits);
    expect(t.tx * t.ty).toBeLessThanOrEqual(c.limits.maxComputeInvocationsPerWorkgroup);
    expect(gemmWorkgroupBytes(t)).toBeLessThanOrEqual(c.limits.maxComputeWorkgroupStorageSize);
    const small = { ...limitsOf(c.limits), maxComputeInvocationsPerWorkgroup: 32 };
    const tiny = gemmTiling(small as GPUSupportedLimits);
    // Narrow along a dimension the matrix does not fill, no deeper than k.
    const threads = Math.min(256, c.limits.maxComputeInvocationsPerWorkgroup);
    expect(gemmTiling(c.limits, 8, 784, 9)).toMatchObject({ tx: threads / 2, ty: 2 });
    expect(gemmTiling(c.limits, 128, 10, 3)).toMatchObject({ tx: 4, ty: 16, rm: 8, rn: 4, bk: 4 });
    expect(gemmTiling(c.limits, 8, 784, 9)).toMatchObject({ rm: 4, rn: 8 });
    expect(tiny.tx * tiny.ty).toBeLessThanOrEqual(32);
    expect(
      gemmShader({ transA: false, transB: false, vec: true, vecA: true, vecB: true }, tiny),
    ).toContain(`@workgroup_size(${tiny.tx}, ${tiny.ty})`);
  });

  it(
    "matches the reference for odd and aligned sizes, every transpose, with and without accumulate",
    SHADERS,
    async () => {
      const failures: string[] = [];
      let seed = 1;
      for (const flags of [0, 1, 2, 3, 4, 5, 6, 7]) {
        for (const [m, n, k] of [
          [1, 1, 1],
          [3, 5, 7],
          [4, 8, 12],
          [33, 65, 17],
          [64, 64, 16],
          [37, 20, 40],
          [8, 3, 20],
          // 64 rows or columns or more: 8 an invocation, edge tiles in both directions
          [70, 36, 21],
          [130, 12, 5],
          [100, 70, 9],
        ] as const) {
          const failure = await check(m, n, k, flags, seed++);
          if (failure !== null) failures.push(failure);
        }
      }
      expect(failures).toEqual([]);
    },
  );

  it("treats k = 0 as an empty sum: zeros, or C unchanged with ACCUMULATE", async () => {
    c.reset();
    const cBuffer = c.buffer([3, 3, 3, 3, 3, 3, 3, 3]);
    const empty = c.alloc(0);
    encodeGemm(c, empty, empty, cBuffer, 2, 4, 0, ACCUMULATE);
    expect(Array.from(await c.read(cBuffer))).toEqual([3, 3, 3, 3, 3, 3, 3, 3]);
    encodeGemm(c, empty, empty, cBuffer, 2, 3, 0, 0);
    expect(Array.from(await c.read(cBuffer))).toEqual([0, 0, 0, 0, 0, 0, 3, 3]);
  });

  it("overwrites C without ACCUMULATE, so NaN there does not leak in, and propagates NaN operands", async () => {
    c.reset();
    const cBuffer = c.buffer(new Float32Array(6).fill(Number.NaN));
    encodeGemm(c, c.buffer(randomValues(6, 3)), c.buffer(randomValues(9, 4)), cBuffer, 2, 3, 3, 0);
    expect((await c.read(cBuffer)).every((v) => Number.isFinite(v))).toBe(true);
    const a = randomValues(6, 5);
    a[1] = Number.NaN;
    encodeGemm(c, c.buffer(a), c.buffer(randomValues(9, 6)), cBuffer, 2, 3, 3, 0);
    const got = Array.from(await c.read(cBuffer), (v) => Number.isNaN(v));
    expect(got).toEqual([true, true, true, false, false, false]);
  });

  it("matches the reference on drawn sizes, flags, batches and strides", SHADERS, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 7 }),
        fc.integer({ min: 1, max: 3 }),
        fc.constantFrom(
          "packed",
          "padded",
          "aligned",
          "broadcastA",
          "broadcastB",
          "sumIntoC",
          "lastIntoC",
        ),
        fc.integer({ min: 0, max: 1000 }),
        async (m0, n0, k0, flags0, batch, layout, seed) => {
          let [m, n, k, flags] = [m0, n0, k0, flags0];
          if (layout === "aligned")
            [m, n, k] = [4 * Math.ceil(m / 4), 4 * Math.ceil(n / 4), 4 * Math.ceil(k / 4)];
          let [strideA, strideB, strideC] = [m * k, k * n, m * n];
          if (layout === "padded") [strideA, strideB, strideC] = [m * k + 3, k * n + 1, m * n + 5];
          if (layout === "broadcastA") strideA = 0;
          if (layout === "broadcastB") strideB = 0;
          if (layout === "sumIntoC") {
            strideC = 0;
            flags |= ACCUMULATE;
          }
          if (layout === "lastIntoC") {
            strideC = 0;
            flags &= ~ACCUMULATE;
          }
          const failure = await check(m, n, k, flags, seed, batch, strideA, strideB, strideC);
          expect(failure === null ? null : `batch ${batch} ${layout}: ${failure}`).toBeNull();
        },
      ),
      { seed: 20261130, numRuns: 40 },
    );
  });
});

/** A plain copy of the limits (GPUSupportedLimits' fields are getters). */
function limitsOf(limits: GPUSupportedLimits): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of [
    "maxComputeInvocationsPerWorkgroup",
    "maxComputeWorkgroupSizeX",
    "maxComputeWorkgroupSizeY",
    "maxComputeWorkgroupStorageSize",
    "maxComputeWorkgroupsPerDimension",
  ] as const) {
    out[key] = limits[key];
  }
  return out;
}
