import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import type { PoolGeometry } from "../../../runtime/backend.js";
import { encodeMaxpool2d, encodeMaxpool2dGrad } from "../../../runtime/webgpu/pool2d.js";
import { TestContext, testGpu } from "../../helpers/webgpu.js";
import { backendFor, dataRandom } from "../cpu/helpers.js";
import { closeTo } from "./helpers.js";

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

/** Floor-mode geometry of a window `size`, `stride` over batch x channels x height x width. */
const pool = (
  batch: number,
  channels: number,
  height: number,
  width: number,
  size: number,
  stride: number,
): PoolGeometry => ({
  ...{ batch, channels, height, width, size, stride },
  outH: Math.floor((height - size) / stride) + 1,
  outW: Math.floor((width - size) / stride) + 1,
});

/**
 * Values with ties (a few levels, so first-maximum routing matters), and optionally NaN and
 * infinities sprinkled in.
 */
function values(size: number, seed: number, special: boolean): Float32Array {
  const r = dataRandom(seed);
  return Float32Array.from({ length: size }, () => {
    const u = r.uniform();
    if (special && u < 0.05) return Number.NaN;
    if (special && u < 0.1) return -Infinity;
    if (special && u < 0.12) return Infinity;
    return Math.floor(r.uniform() * 5) - 2;
  });
}

describe.skipIf(ctx === null)(`WebGPU max pooling ${gpu.reason}`, () => {
  const c = ctx!;
  const cpu = backendFor("f32", "js");

  const check = async (g: PoolGeometry, seed: number, special: boolean): Promise<string | null> => {
    c.reset();
    const xSize = g.batch * g.channels * g.height * g.width;
    const ySize = g.batch * g.channels * g.outH * g.outW;
    const x = values(xSize, seed, special);
    const dyValues = dataRandom(seed + 1);
    const dy = Float32Array.from({ length: ySize }, () => 2 * dyValues.uniform() - 1);
    const [gx, gdy, gy, gdx] = [c.buffer(x), c.buffer(dy), c.alloc(ySize), c.buffer(x)];
    encodeMaxpool2d(c, gx, gy, g);
    encodeMaxpool2dGrad(c, gx, gdy, gdx, g);
    const [cy, cdx] = [new Float32Array(ySize), new Float32Array(xSize)];
    cpu.maxpool2d(x, cy, g);
    cpu.maxpool2dGrad(x, dy, cdx, g);
    const failures = [closeTo("y", await c.read(gy), cy), closeTo("dx", await c.read(gdx), cdx)];
    const text = failures.filter((f) => f !== null).join("; ");
    return text === "" ? null : `${JSON.stringify(g)}: ${text}`;
  };

  it(
    "matches the CPU backend: ties to the first maximum, overlapping and clipped windows",
    SHADERS,
    async () => {
      const failures: string[] = [];
      const cases = [
        pool(2, 3, 8, 8, 2, 2),
        pool(1, 2, 7, 9, 3, 2),
        pool(2, 1, 6, 6, 3, 1),
        pool(1, 1, 5, 5, 2, 3),
        pool(3, 2, 4, 4, 4, 1),
        { ...pool(1, 2, 5, 5, 2, 2), outH: 3, outW: 3 },
      ];
      for (const [i, g] of cases.entries()) {
        for (const special of [false, true]) {
          const failure = await check(g, 100 * i + +special, special);
          if (failure !== null) failures.push(failure);
        }
      }
      expect(failures).toEqual([]);
    },
  );

  it("propagates NaN forward and routes a window's gradient to its first NaN", async () => {
    c.reset();
    const g = pool(1, 1, 2, 4, 2, 2);
    const x = c.buffer([1, Number.NaN, 5, 7, 9, Number.NaN, -Infinity, -Infinity]);
    const y = c.alloc(2);
    const dx = c.alloc(8);
    encodeMaxpool2d(c, x, y, g);
    encodeMaxpool2dGrad(c, x, c.buffer([10, 20]), dx, g);
    const got = Array.from(await c.read(y));
    expect(Number.isNaN(got[0])).toBe(true);
    expect(got[1]).toBe(7);
    expect(Array.from(await c.read(dx))).toEqual([0, 10, 0, 20, 0, 0, 0, 0]);
  });

  it("matches the CPU backend on drawn geometries", SHADERS, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 1000 }),
        async (batch, channels, height, width, size, stride, special, seed) => {
          if (size > height || size > width) return;
          const g = pool(batch, channels, height, width, size, stride);
          expect(await check(g, seed, special)).toBeNull();
        },
      ),
      { seed: 20261130, numRuns: 50 },
    );
  });
});
