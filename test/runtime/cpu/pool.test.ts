import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { PoolGeometry } from "../../../runtime/backend.js";
import {
  backendFor,
  dataRandom,
  mismatch,
  configurations,
  randomBuffer,
  referencePool,
} from "./helpers.js";

function poolGeometry(
  batch: number,
  channels: number,
  height: number,
  width: number,
  size: number,
  stride: number,
): PoolGeometry {
  const outH = Math.floor((height - size) / stride) + 1;
  const outW = Math.floor((width - size) / stride) + 1;
  return { batch, channels, height, width, size, stride, outH, outW };
}

const drawnGeometry = fc
  .tuple(
    fc.integer({ min: 1, max: 3 }),
    fc.integer({ min: 1, max: 3 }),
    fc.integer({ min: 1, max: 11 }),
    fc.integer({ min: 1, max: 11 }),
    fc.integer({ min: 1, max: 4 }),
    fc.integer({ min: 1, max: 4 }),
  )
  .filter(([, , h, w, size]) => size <= h && size <= w)
  .map((t) => poolGeometry(...t));

describe.each(configurations)("maxpool2d (%s, %s)", (variant, precision) => {
  const backend = backendFor(precision, variant);

  /**
   * Checks forward and gradient against the reference on x; values drawn from a few levels
   * make ties common, so routing to the first maximum is exercised.
   */
  const check = (g: PoolGeometry, seed: number, levels: number): string | null => {
    const random = dataRandom(seed);
    const size = g.batch * g.channels * g.height * g.width;
    const x = backend.alloc(size);
    for (let i = 0; i < size; i++) x[i] = levels > 0 ? random.below(levels) : random.uniform();
    const outSize = g.batch * g.channels * g.outH * g.outW;
    const dy = randomBuffer(backend, outSize, random);
    const y = backend.alloc(outSize);
    const dx = backend.alloc(size);
    dx.fill(Number.NaN);
    backend.maxpool2d(x, y, g);
    backend.maxpool2dGrad(x, dy, dx, g);
    const want = referencePool(x, g);
    const dxWant = new Float64Array(size);
    for (let t = 0; t < outSize; t++) {
      const at = want.argmax[t]!;
      dxWant[at] = dxWant[at]! + dy[t]!;
    }
    // The maximum is exact; overlapping windows add their gradients in the buffer's precision.
    const tol = precision === "f32" ? 1e-6 : 0;
    return mismatch(y, want.y, 0) ?? mismatch(dx, dxWant, tol);
  };

  it.each([
    ["2x2 stride 2", poolGeometry(2, 3, 8, 8, 2, 2)],
    ["2x2 stride 2, odd size (floor)", poolGeometry(1, 2, 7, 9, 2, 2)],
    ["3x3 stride 2 (overlapping)", poolGeometry(2, 2, 9, 7, 3, 2)],
    ["2x2 stride 3 (gaps)", poolGeometry(1, 1, 10, 8, 2, 3)],
    ["3x3 stride 1", poolGeometry(1, 2, 5, 6, 3, 1)],
  ])("matches the reference with frequent ties: %s", (_name, g) => {
    expect(check(g, g.height * 13 + g.size, 3)).toBeNull();
  });

  it("matches the reference on drawn geometries", () => {
    fc.assert(
      fc.property(
        drawnGeometry,
        fc.integer({ min: 0, max: 1e6 }),
        fc.constantFrom(0, 2, 4),
        (g, seed, levels) => {
          expect(check(g, seed, levels)).toBeNull();
        },
      ),
      { seed: 11, numRuns: 150 },
    );
  });

  it("routes a tie to the first maximum in row-major window order", () => {
    const g = poolGeometry(1, 1, 2, 4, 2, 2);
    const x = backend.alloc(8);
    // Window 0 is [[1, 5], [5, 2]] (first 5 at index 1); window 1 is [[7, 7], [7, 7]].
    backend.write(x, [1, 5, 7, 7, 5, 2, 7, 7]);
    const dy = backend.alloc(2);
    backend.write(dy, [10, 20]);
    const y = backend.alloc(2);
    const dx = backend.alloc(8);
    backend.maxpool2d(x, y, g);
    backend.maxpool2dGrad(x, dy, dx, g);
    expect(Array.from(y)).toEqual([5, 7]);
    expect(Array.from(dx)).toEqual([0, 10, 20, 0, 0, 0, 0, 0]);
  });

  it("routes a window of -Infinity to its first element and propagates NaN", () => {
    const g = poolGeometry(1, 1, 2, 4, 2, 2);
    const x = backend.alloc(8);
    backend.write(x, [-Infinity, -Infinity, 1, Number.NaN, -Infinity, -Infinity, Number.NaN, 9]);
    const dy = backend.alloc(2);
    backend.write(dy, [1, 2]);
    const y = backend.alloc(2);
    const dx = backend.alloc(8);
    backend.maxpool2d(x, y, g);
    backend.maxpool2dGrad(x, dy, dx, g);
    expect(Array.from(y)).toEqual([-Infinity, Number.NaN]);
    expect(Array.from(dx)).toEqual([1, 0, 0, 2, 0, 0, 0, 0]);
  });
});
