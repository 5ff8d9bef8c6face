import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { encodeGatherRows, encodeScatterAddRows } from "../../../runtime/webgpu/gather.js";
import { TestContext, testGpu } from "../../helpers/webgpu.js";
import { backendFor, dataRandom } from "../cpu/helpers.js";

/**
 * The WebGPU row gather and scatter-add against the CPU backend in f32: the gather copies, and
 * the scatter adds in the CPU's order (ids n = 0, 1, ...), so both must give the CPU's bits
 * exactly, duplicates included, with ids outside the table reading zero and adding nothing.
 */

/** Mesa compiles each new pipeline on the CPU: room for that, not a speed bound. */
const SHADERS = { timeout: 120_000 };

const gpu = await testGpu();
const ctx = gpu.device === null ? null : new TestContext(gpu.device);
afterAll(() => {
  ctx?.destroy();
  gpu.device?.destroy();
});

describe.skipIf(ctx === null)(`WebGPU gatherRows and scatterAddRows ${gpu.reason}`, () => {
  const c = ctx!;
  const cpu = backendFor("f32", "js");

  const check = async (count: number, rows: number, width: number, seed: number) => {
    c.reset();
    const random = dataRandom(seed);
    const ids = Float32Array.from({ length: count }, () => {
      const u = random.uniform();
      if (u < 0.08) return [Number.NaN, -1, rows, 2.5 + rows][Math.floor(u * 50)]!;
      return Math.floor(random.uniform() * rows);
    });
    const table = Float32Array.from({ length: rows * width }, () => 2 * random.uniform() - 1);
    const g = Float32Array.from({ length: count * width }, () => 2 * random.uniform() - 1);
    const [gIds, gTable, gG] = [c.buffer(ids), c.buffer(table), c.buffer(g)];
    const [gOut, gDTable] = [c.buffer(g.map(() => 7)), c.buffer(table.map(() => 7))];
    encodeGatherRows(c, gTable, gIds, gOut, count, rows, width);
    encodeScatterAddRows(c, gIds, gG, gDTable, count, rows, width);
    const [out, dTable] = [new Float32Array(count * width), new Float32Array(rows * width)];
    cpu.gatherRows(table, ids, out, count, rows, width);
    cpu.scatterAddRows(ids, g, dTable, count, rows, width);
    expect(Array.from(await c.read(gOut))).toEqual(Array.from(out));
    expect(Array.from(await c.read(gDTable))).toEqual(Array.from(dTable));
  };

  it(
    "gives the CPU's bits: many duplicate ids, a wide table, ids outside it",
    SHADERS,
    async () => {
      await check(64, 3, 5, 1);
      await check(200, 40, 16, 2);
      await check(1, 1, 1, 3);
    },
  );

  it("gives the CPU's bits on drawn sizes", SHADERS, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 1000 }),
        async (count, rows, width, seed) => check(count, rows, width, seed),
      ),
      { seed: 20261130, numRuns: 30 },
    );
  });
});
