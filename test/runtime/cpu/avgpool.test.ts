import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AvgPoolGeometry } from "../../../runtime/backend.js";
import { backendFor, configurations, dataRandom, mismatch, randomBuffer } from "./helpers.js";

/** Floor-mode geometry of windows `size`, `stride` over the plane padded by `padding`. */
function avgPoolGeometry(
  batch: number,
  channels: number,
  height: number,
  width: number,
  size: number,
  stride: number,
  padding: number,
): AvgPoolGeometry {
  const outH = Math.floor((height + 2 * padding - size) / stride) + 1;
  const outW = Math.floor((width + 2 * padding - size) / stride) + 1;
  return { batch, channels, height, width, size, stride, padding, outH, outW };
}

/**
 * torch.nn.AvgPool2d's definition, term by term in float64: the mean of the window over the
 * zero-padded plane (padding counted), and its adjoint.
 */
function reference(x: ArrayLike<number>, dy: ArrayLike<number>, g: AvgPoolGeometry) {
  const y = new Float64Array(g.batch * g.channels * g.outH * g.outW);
  const dx = new Float64Array(g.batch * g.channels * g.height * g.width);
  for (let plane = 0; plane < g.batch * g.channels; plane++)
    for (let oh = 0; oh < g.outH; oh++)
      for (let ow = 0; ow < g.outW; ow++) {
        const yi = (plane * g.outH + oh) * g.outW + ow;
        for (let u = 0; u < g.size; u++)
          for (let v = 0; v < g.size; v++) {
            const [h, w] = [oh * g.stride - g.padding + u, ow * g.stride - g.padding + v];
            if (h < 0 || h >= g.height || w < 0 || w >= g.width) continue;
            const xi = (plane * g.height + h) * g.width + w;
            y[yi] = y[yi]! + x[xi]! / (g.size * g.size);
            dx[xi] = dx[xi]! + dy[yi]! / (g.size * g.size);
          }
      }
  return { y, dx };
}

const drawnGeometry = fc
  .record({
    batch: fc.integer({ min: 1, max: 3 }),
    channels: fc.integer({ min: 1, max: 3 }),
    height: fc.integer({ min: 1, max: 9 }),
    width: fc.integer({ min: 1, max: 9 }),
    size: fc.integer({ min: 1, max: 4 }),
    stride: fc.integer({ min: 1, max: 4 }),
    padding: fc.integer({ min: 0, max: 2 }),
  })
  .filter((p) => 2 * p.padding <= p.size)
  .filter((p) => p.size <= p.height + 2 * p.padding && p.size <= p.width + 2 * p.padding)
  .map((p) => avgPoolGeometry(p.batch, p.channels, p.height, p.width, p.size, p.stride, p.padding));

describe.each(configurations)("avgpool2d (%s, %s)", (variant, precision) => {
  const backend = backendFor(precision, variant);

  const check = (g: AvgPoolGeometry, seed: number): string | null => {
    const random = dataRandom(seed);
    const size = g.batch * g.channels * g.height * g.width;
    const outSize = g.batch * g.channels * g.outH * g.outW;
    const x = randomBuffer(backend, size, random);
    const dy = randomBuffer(backend, outSize, random);
    const [y, dx] = [backend.alloc(outSize), backend.alloc(size)];
    dx.fill(Number.NaN);
    backend.avgpool2d(x, y, g);
    backend.avgpool2dGrad(dy, dx, g);
    const want = reference(x, dy, g);
    const tol = precision === "f32" ? 1e-6 : 1e-12;
    return mismatch(y, want.y, tol) ?? mismatch(dx, want.dx, tol);
  };

  it.each([
    ["2x2 stride 2", avgPoolGeometry(2, 3, 8, 8, 2, 2, 0)],
    ["2x2 stride 2 padding 1, odd size (floor)", avgPoolGeometry(1, 2, 7, 9, 2, 2, 1)],
    ["3x3 stride 2 padding 1 (overlapping)", avgPoolGeometry(2, 2, 9, 7, 3, 2, 1)],
    ["2x2 stride 3 (gaps)", avgPoolGeometry(1, 1, 10, 8, 2, 3, 0)],
    ["4x4 stride 1 padding 2 on a 1x1 plane", avgPoolGeometry(1, 2, 1, 1, 4, 1, 2)],
  ])("matches the reference: %s", (_name, g) => {
    expect(check(g, g.height * 13 + g.size)).toBeNull();
  });

  it("matches the reference on drawn geometries", () => {
    fc.assert(
      fc.property(drawnGeometry, fc.integer({ min: 0, max: 1e6 }), (g, seed) => {
        expect(check(g, seed)).toBeNull();
      }),
      { seed: 11, numRuns: 150 },
    );
  });

  it("divides by size^2 at the borders (count_include_pad), as PyTorch", () => {
    // torch.nn.AvgPool2d(2, stride=2, padding=1)(torch.ones(1, 1, 2, 2)) is 0.25 everywhere
    const g = avgPoolGeometry(1, 1, 2, 2, 2, 2, 1);
    const x = backend.alloc(4);
    backend.write(x, [1, 1, 1, 1]);
    const y = backend.alloc(4);
    backend.avgpool2d(x, y, g);
    expect(Array.from(y)).toEqual([0.25, 0.25, 0.25, 0.25]);
  });

  it("rejects buffers smaller than the geometry and padding over half the window", () => {
    const g = avgPoolGeometry(1, 1, 4, 4, 2, 2, 0);
    expect(() => backend.avgpool2d(backend.alloc(15), backend.alloc(4), g)).toThrow(RangeError);
    expect(() => backend.avgpool2dGrad(backend.alloc(3), backend.alloc(16), g)).toThrow(
      /avgpool2dGrad: dy holds 3 elements, needs 4/,
    );
    const wide = { ...g, padding: 2 };
    expect(() => backend.avgpool2d(backend.alloc(16), backend.alloc(16), wide)).toThrow(
      /padding 2 must be in \[0, size \/ 2\]/,
    );
  });
});
