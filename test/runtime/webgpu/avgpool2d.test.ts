import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import type { AvgPoolGeometry } from "../../../runtime/backend.js";
import { encodeAvgpool2d, encodeAvgpool2dGrad } from "../../../runtime/webgpu/avgpool2d.js";
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

/** Floor-mode geometry of windows `size`, `stride` over the plane padded by `padding`. */
const pool = (
  batch: number,
  channels: number,
  height: number,
  width: number,
  size: number,
  stride: number,
  padding: number,
): AvgPoolGeometry => ({
  ...{ batch, channels, height, width, size, stride, padding },
  outH: Math.floor((height + 2 * padding - size) / stride) + 1,
  outW: Math.floor((width + 2 * padding - size) / stride) + 1,
});

describe.skipIf(ctx === null)(`WebGPU average pooling ${gpu.reason}`, () => {
  const c = ctx!;
  const cpu = backendFor("f32", "js");

  const check = async (g: AvgPoolGeometry, seed: number): Promise<string | null> => {
    c.reset();
    const xSize = g.batch * g.channels * g.height * g.width;
    const ySize = g.batch * g.channels * g.outH * g.outW;
    const r = dataRandom(seed);
    const x = Float32Array.from({ length: xSize }, () => 2 * r.uniform() - 1);
    const dy = Float32Array.from({ length: ySize }, () => 2 * r.uniform() - 1);
    const [gx, gy, gdy, gdx] = [c.buffer(x), c.alloc(ySize), c.buffer(dy), c.buffer(x)];
    encodeAvgpool2d(c, gx, gy, g);
    encodeAvgpool2dGrad(c, gdy, gdx, g);
    const [cy, cdx] = [new Float32Array(ySize), new Float32Array(xSize)];
    cpu.avgpool2d(x, cy, g);
    cpu.avgpool2dGrad(dy, cdx, g);
    const failures = [closeTo("y", await c.read(gy), cy), closeTo("dx", await c.read(gdx), cdx)];
    const text = failures.filter((f) => f !== null).join("; ");
    return text === "" ? null : `${JSON.stringify(g)}: ${text}`;
  };

  it(
    "matches the CPU backend: padding, overlapping, strided and clipped windows",
    SHADERS,
    async () => {
      const failures: string[] = [];
      const cases = [
        pool(2, 3, 8, 8, 2, 2, 0),
        pool(1, 2, 7, 9, 3, 2, 1),
        pool(2, 1, 6, 6, 3, 1, 1),
        pool(1, 1, 5, 5, 2, 3, 0),
        pool(1, 2, 1, 1, 4, 1, 2),
      ];
      for (const [i, g] of cases.entries()) {
        const failure = await check(g, 100 * i);
        if (failure !== null) failures.push(failure);
      }
      expect(failures).toEqual([]);
    },
  );

  it("matches the CPU backend on drawn geometries", SHADERS, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 1000 }),
        async (batch, channels, height, width, size, stride, padding, seed) => {
          if (2 * padding > size || size > height + 2 * padding || size > width + 2 * padding) {
            return;
          }
          const g = pool(batch, channels, height, width, size, stride, padding);
          expect(await check(g, seed)).toBeNull();
        },
      ),
      { seed: 20261130, numRuns: 40 },
    );
  });
});
