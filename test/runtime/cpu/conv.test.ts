import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { HostBackend, ConvGeometry, FloatArray } from "../../../runtime/backend.js";
import { cpuVariants } from "../../helpers/backends.js";
import {
  backendFor,
  convGeometry,
  dataRandom,
  dot,
  mismatch,
  configurations,
  randomBuffer,
  referenceConv,
  tolerance,
} from "./helpers.js";

/** A geometry from batch, channels, [h, w], filters, [kh, kw], stride and the padding as
 * [top, bottom, left, right]. */
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
    batch,
    channels,
    height,
    width,
    filters,
    kernelH,
    kernelW,
    stride,
    padTop,
    padBottom,
    padLeft,
    padRight,
  });

/** Geometries covering strides, kernel shapes, symmetric and one-sided padding, 1x1. */
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
];

const describeGeometry = (g: ConvGeometry): string =>
  `N${g.batch} C${g.channels} ${g.height}x${g.width} F${g.filters} k${g.kernelH}x${g.kernelW} ` +
  `s${g.stride} pad(${g.padTop},${g.padLeft}) out ${g.outH}x${g.outW}`;

const drawnGeometry = fc
  .record({
    batch: fc.integer({ min: 1, max: 3 }),
    channels: fc.integer({ min: 1, max: 4 }),
    height: fc.integer({ min: 1, max: 9 }),
    width: fc.integer({ min: 1, max: 9 }),
    filters: fc.integer({ min: 1, max: 5 }),
    kernelH: fc.integer({ min: 1, max: 4 }),
    kernelW: fc.integer({ min: 1, max: 4 }),
    stride: fc.integer({ min: 1, max: 3 }),
    padTop: fc.integer({ min: 0, max: 3 }),
    padBottom: fc.integer({ min: 0, max: 3 }),
    padLeft: fc.integer({ min: 0, max: 3 }),
    padRight: fc.integer({ min: 0, max: 3 }),
  })
  .map(convGeometry)
  .filter((g) => g.outH >= 1 && g.outW >= 1);

const sizes = (g: ConvGeometry): { x: number; w: number; y: number } => ({
  x: g.batch * g.channels * g.height * g.width,
  w: g.filters * g.channels * g.kernelH * g.kernelW,
  y: g.batch * g.filters * g.outH * g.outW,
});

/** The adjoint of the convolution in x, directly: dx[x-pixel] += dy * w for each tap. */
function referenceGradInput(dy: FloatArray, w: FloatArray, g: ConvGeometry): Float64Array {
  const dx = new Float64Array(sizes(g).x);
  forEachTap(g, (xi, wi, yi) => (dx[xi] = dx[xi]! + dy[yi]! * w[wi]!));
  return dx;
}

function referenceGradWeight(x: FloatArray, dy: FloatArray, g: ConvGeometry): Float64Array {
  const dw = new Float64Array(sizes(g).w);
  forEachTap(g, (xi, wi, yi) => (dw[wi] = dw[wi]! + dy[yi]! * x[xi]!));
  return dw;
}

/** Calls visit(x index, w index, y index) for every in-image tap of the convolution. */
function forEachTap(g: ConvGeometry, visit: (xi: number, wi: number, yi: number) => void): void {
  for (let b = 0; b < g.batch; b++) {
    for (let f = 0; f < g.filters; f++) {
      for (let oh = 0; oh < g.outH; oh++) {
        for (let ow = 0; ow < g.outW; ow++) {
          const yi = ((b * g.filters + f) * g.outH + oh) * g.outW + ow;
          for (let c = 0; c < g.channels; c++) {
            for (let ki = 0; ki < g.kernelH; ki++) {
              const ih = oh * g.stride - g.padTop + ki;
              if (ih < 0 || ih >= g.height) continue;
              for (let kj = 0; kj < g.kernelW; kj++) {
                const iw = ow * g.stride - g.padLeft + kj;
                if (iw < 0 || iw >= g.width) continue;
                const xi = ((b * g.channels + c) * g.height + ih) * g.width + iw;
                visit(xi, ((f * g.channels + c) * g.kernelH + ki) * g.kernelW + kj, yi);
              }
            }
          }
        }
      }
    }
  }
}

/** Per-element error scale: 1 + |want| (times the number of terms, applied to tol). */
const magnitude = (values: Float64Array): Float64Array => values.map((v) => Math.abs(v) + 1);

function checkAll(backend: HostBackend, g: ConvGeometry, seed: number, tol: number): string | null {
  const random = dataRandom(seed);
  const n = sizes(g);
  const x = randomBuffer(backend, n.x, random);
  const w = randomBuffer(backend, n.w, random);
  const dy = randomBuffer(backend, n.y, random);
  const y = backend.alloc(n.y);
  const dx = backend.alloc(n.x);
  const dw = backend.alloc(n.w);
  // Garbage in the outputs must be overwritten, not added to.
  y.fill(Number.NaN);
  dx.fill(Number.NaN);
  dw.fill(Number.NaN);
  backend.conv2d(x, w, y, g);
  backend.conv2dGradInput(dy, w, dx, g);
  backend.conv2dGradWeight(x, dy, dw, g);
  const scale = g.channels * g.kernelH * g.kernelW + g.batch * g.outH * g.outW;
  const yWant = referenceConv(x, w, g);
  const dxWant = referenceGradInput(dy, w, g);
  const dwWant = referenceGradWeight(x, dy, g);
  const failure =
    mismatch(y, yWant, tol * scale, magnitude(yWant)) ??
    mismatch(dx, dxWant, tol * scale, magnitude(dxWant)) ??
    mismatch(dw, dwWant, tol * scale, magnitude(dwWant));
  return failure === null ? null : `${describeGeometry(g)}: ${failure}`;
}

describe.each(configurations)("conv2d and its gradients (%s, %s)", (variant, precision) => {
  const backend = backendFor(precision, variant);
  const tol = tolerance(precision);

  it.each(cases.map((g) => [describeGeometry(g), g] as const))(
    "match the direct references: %s",
    (_name, g) => {
      expect(checkAll(backend, g, g.outH * 31 + g.filters, tol)).toBeNull();
    },
  );

  it("match the direct references on drawn geometries", () => {
    fc.assert(
      fc.property(drawnGeometry, fc.integer({ min: 0, max: 1e6 }), (g, seed) => {
        expect(checkAll(backend, g, seed, tol)).toBeNull();
      }),
      { seed: 99, numRuns: 120 },
    );
  });

  it("rejects buffers too small for the geometry", () => {
    const g = cases[0]!;
    const n = sizes(g);
    const x = backend.alloc(n.x);
    const w = backend.alloc(n.w - 1);
    const y = backend.alloc(n.y);
    expect(() => backend.conv2d(x, w, y, g)).toThrow(/conv2d: w holds/);
    expect(() => backend.conv2dGradWeight(x, y, w, g)).toThrow(/conv2dGradWeight: dw holds/);
  });
});

/** base + e * dir, as a new buffer of base's type. */
const shifted = (base: FloatArray, dir: FloatArray, e: number): FloatArray =>
  base.map((t, i) => t + e * dir[i]!);

describe.each(cpuVariants.map((v) => v.name))("conv2d gradients in f64 (%s)", (variant) => {
  const backend = backendFor("f64", variant);

  /**
   * Central differences along random directions: with L(x, w) = <dy, conv(x, w)>,
   * (L(x + e v) - L(x - e v)) / 2e must equal <dx, v>, and likewise in w with dw.
   */
  it.each(cases.map((g) => [describeGeometry(g), g] as const))(
    "agree with central finite differences along a random direction: %s",
    (_name, g) => {
      const random = dataRandom(g.width * 7 + g.kernelH);
      const n = sizes(g);
      const x = randomBuffer(backend, n.x, random);
      const w = randomBuffer(backend, n.w, random);
      const dy = randomBuffer(backend, n.y, random);
      const vx = randomBuffer(backend, n.x, random);
      const vw = randomBuffer(backend, n.w, random);
      const dx = backend.alloc(n.x);
      const dw = backend.alloc(n.w);
      backend.conv2dGradInput(dy, w, dx, g);
      backend.conv2dGradWeight(x, dy, dw, g);

      const eps = 1e-3;
      const loss = (xs: FloatArray, ws: FloatArray): number => {
        const y = backend.alloc(n.y);
        backend.conv2d(xs, ws, y, g);
        return dot(dy, y);
      };
      const fdX = (loss(shifted(x, vx, eps), w) - loss(shifted(x, vx, -eps), w)) / (2 * eps);
      const fdW = (loss(x, shifted(w, vw, eps)) - loss(x, shifted(w, vw, -eps))) / (2 * eps);
      expect(Math.abs(fdX - dot(dx, vx))).toBeLessThan(1e-8 * (1 + Math.abs(fdX)));
      expect(Math.abs(fdW - dot(dw, vw))).toBeLessThan(1e-8 * (1 + Math.abs(fdW)));
    },
  );

  it("are adjoint to the forward: <conv(x, w), dy> = <x, dx(dy, w)> = <w, dw(x, dy)>", () => {
    fc.assert(
      fc.property(drawnGeometry, fc.integer({ min: 0, max: 1e6 }), (g, seed) => {
        const random = dataRandom(seed);
        const n = sizes(g);
        const x = randomBuffer(backend, n.x, random);
        const w = randomBuffer(backend, n.w, random);
        const dy = randomBuffer(backend, n.y, random);
        const y = backend.alloc(n.y);
        const dx = backend.alloc(n.x);
        const dw = backend.alloc(n.w);
        backend.conv2d(x, w, y, g);
        backend.conv2dGradInput(dy, w, dx, g);
        backend.conv2dGradWeight(x, dy, dw, g);
        // Each side is the same sum of products dy * x * w, summed in another order.
        const forward = dot(y, dy);
        const scale = 1e-12 * (1 + n.x + n.w + n.y);
        expect(Math.abs(dot(x, dx) - forward)).toBeLessThan(scale);
        expect(Math.abs(dot(w, dw) - forward)).toBeLessThan(scale);
      }),
      { seed: 4, numRuns: 100 },
    );
  });
});
