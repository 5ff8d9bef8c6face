import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import type { ConvGeometry } from "../../../runtime/backend.js";
import {
  conv2dScratchSize,
  encodeConv2d,
  encodeConv2dGradInput,
  encodeConv2dGradWeight,
} from "../../../runtime/webgpu/conv2d.js";
import { TestContext, testGpu } from "../../helpers/webgpu.js";
import { backendFor, convGeometry, dataRandom } from "../cpu/helpers.js";
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

/** A geometry from batch, channels, [h, w], filters, [kh, kw], stride, [top, bottom, left, right]. */
const geometry = (
  batch: number,
  channels: number,
  [height, width]: readonly [number, number],
  filters: number,
  [kernelH, kernelW]: readonly [number, number],
  stride: number,
  [padTop, padBottom, padLeft, padRight]: readonly [number, number, number, number],
): ConvGeometry =>
  convGeometry({
    ...{ batch, channels, height, width, filters, kernelH, kernelW, stride },
    ...{ padTop, padBottom, padLeft, padRight },
  });

/** Strides, kernel shapes, symmetric and one-sided padding, pointwise, an empty batch. */
const cases: readonly ConvGeometry[] = [
  geometry(2, 3, [7, 6], 4, [3, 3], 1, [1, 1, 1, 1]),
  geometry(1, 2, [9, 8], 3, [3, 2], 2, [0, 0, 0, 0]),
  geometry(2, 1, [8, 8], 2, [4, 4], 2, [1, 2, 1, 2]),
  geometry(1, 2, [6, 5], 5, [2, 2], 1, [0, 1, 0, 1]),
  geometry(3, 4, [5, 5], 6, [1, 1], 1, [0, 0, 0, 0]),
  geometry(1, 3, [5, 7], 2, [1, 1], 2, [1, 1, 0, 0]),
  geometry(2, 2, [4, 4], 3, [5, 5], 3, [2, 2, 2, 2]),
  geometry(1, 1, [3, 3], 1, [3, 3], 1, [2, 0, 0, 2]),
  geometry(4, 8, [12, 12], 16, [3, 3], 1, [1, 1, 1, 1]),
  geometry(0, 2, [4, 4], 3, [3, 3], 1, [1, 1, 1, 1]),
];

const describeGeometry = (g: ConvGeometry): string =>
  `N${g.batch} C${g.channels} ${g.height}x${g.width} F${g.filters} k${g.kernelH}x${g.kernelW} ` +
  `s${g.stride} pad(${g.padTop},${g.padLeft}) out ${g.outH}x${g.outW}`;

const random = (size: number, seed: number): Float32Array => {
  const r = dataRandom(seed);
  return Float32Array.from({ length: size }, () => 2 * r.uniform() - 1);
};

const padding = fc.integer({ min: 0, max: 2 });

describe.skipIf(ctx === null)(`WebGPU conv2d ${gpu.reason}`, () => {
  const c = ctx!;
  const cpu = backendFor("f32", "js");

  /**
   * The three functions on the GPU against the CPU backend, with a scratch of `images` column
   * matrices (the recommended size by default). Null when all match.
   */
  const check = async (g: ConvGeometry, seed: number, images?: number): Promise<string | null> => {
    c.reset();
    const xSize = g.batch * g.channels * g.height * g.width;
    const wSize = g.filters * g.channels * g.kernelH * g.kernelW;
    const ySize = g.batch * g.filters * g.outH * g.outW;
    const [x, w, dy] = [random(xSize, seed), random(wSize, seed + 1), random(ySize, seed + 2)];
    const scratchSize = conv2dScratchSize(images === undefined ? g : { ...g, batch: images });
    const scratch = scratchSize > 0 ? c.alloc(scratchSize) : null;
    const [gx, gw, gdy] = [c.buffer(x), c.buffer(w), c.buffer(dy)];
    // Outputs start as garbage: every function overwrites.
    const [gy, gdx, gdw] = [
      c.buffer(random(ySize, 9)),
      c.buffer(random(xSize, 8)),
      c.buffer(random(wSize, 7)),
    ];
    encodeConv2d(c, gx, gw, gy, g, scratch);
    encodeConv2dGradInput(c, gdy, gw, gdx, g, scratch);
    encodeConv2dGradWeight(c, gx, gdy, gdw, g, scratch);
    const [cx, cw, cdy] = [Float32Array.from(x), Float32Array.from(w), Float32Array.from(dy)];
    const [cy, cdx, cdw] = [
      new Float32Array(ySize),
      new Float32Array(xSize),
      new Float32Array(wSize),
    ];
    cpu.conv2d(cx, cw, cy, g);
    cpu.conv2dGradInput(cdy, cw, cdx, g);
    cpu.conv2dGradWeight(cx, cdy, cdw, g);
    const failures = [
      closeTo("y", await c.read(gy), cy),
      closeTo("dx", await c.read(gdx), cdx),
      closeTo("dw", await c.read(gdw), cdw),
    ].filter((f) => f !== null);
    return failures.length === 0 ? null : `${describeGeometry(g)}: ${failures.join("; ")}`;
  };

  it("matches the CPU backend on fixed geometries", SHADERS, async () => {
    const failures: string[] = [];
    for (const [i, g] of cases.entries()) {
      const failure = await check(g, 10 * i);
      if (failure !== null) failures.push(failure);
    }
    expect(failures).toEqual([]);
  });

  it("matches it with the batch split into chunks by a smaller scratch", SHADERS, async () => {
    expect(await check(cases[0]!, 1, 1)).toBeNull();
    expect(await check(cases[8]!, 2, 3)).toBeNull();
  });

  it("asks for column matrices (16-byte aligned) and F x K products per image, none when pointwise", () => {
    expect(conv2dScratchSize(cases[4]!)).toBe(3 * (6 * 4)); // N3, F6 x K4, pointwise
    // N2, K = 3*3*3 = 27, Q = 7*6: 1134 column elements, rounded up to 1136; F4 x K27.
    expect(conv2dScratchSize(cases[0]!)).toBe(2 * (1136 + 4 * 27));
    // N1, K = 2*3*2 = 12, Q = 4*4; F3 x K12.
    expect(conv2dScratchSize(cases[1]!)).toBe(12 * 16 + 3 * 12);
  });

  it("rejects a scratch too small for one image", () => {
    c.reset();
    const g = cases[0]!;
    const small = c.alloc(10);
    const any = c.alloc(1000);
    expect(() => encodeConv2d(c, any, any, any, g, small)).toThrow(/conv2d: scratch holds 10/);
  });

  it("matches the CPU backend on drawn geometries", SHADERS, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          batch: fc.integer({ min: 1, max: 3 }),
          channels: fc.integer({ min: 1, max: 3 }),
          height: fc.integer({ min: 1, max: 8 }),
          width: fc.integer({ min: 1, max: 8 }),
          filters: fc.integer({ min: 1, max: 5 }),
          kernelH: fc.integer({ min: 1, max: 4 }),
          kernelW: fc.integer({ min: 1, max: 4 }),
          stride: fc.integer({ min: 1, max: 3 }),
          pad: fc.tuple(padding, padding, padding, padding),
          images: fc.integer({ min: 1, max: 3 }),
          seed: fc.integer({ min: 0, max: 1000 }),
        }),
        async (r) => {
          const [padTop, padBottom, padLeft, padRight] = r.pad;
          if (r.height + padTop + padBottom < r.kernelH) return;
          if (r.width + padLeft + padRight < r.kernelW) return;
          const g = convGeometry({ ...r, padTop, padBottom, padLeft, padRight });
          expect(await check(g, r.seed, r.images)).toBeNull();
        },
      ),
      { seed: 20261130, numRuns: 25 },
    );
  });
});
