import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { FloatArray } from "../../../runtime/backend.js";
import {
  backendFor,
  dataRandom,
  mismatch,
  configurations,
  randomBuffer,
  tolerance,
} from "./helpers.js";

type Reference = (x: FloatArray, outer: number, mid: number, inner: number) => Float64Array;

/** Applies `row` to each column (o, ., i) of x viewed as [outer, mid, inner]. */
function perColumn(
  x: FloatArray,
  outer: number,
  mid: number,
  inner: number,
  reduced: boolean,
  row: (values: number[]) => number[],
): Float64Array {
  const y = new Float64Array(reduced ? outer * inner : outer * mid * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const values: number[] = [];
      for (let j = 0; j < mid; j++) values.push(x[(o * mid + j) * inner + i]!);
      const out = row(values);
      if (reduced) y[o * inner + i] = out[0]!;
      else for (let j = 0; j < mid; j++) y[(o * mid + j) * inner + i] = out[j]!;
    }
  }
  return y;
}

const referenceSum: Reference = (x, outer, mid, inner) =>
  perColumn(x, outer, mid, inner, true, (v) => [v.reduce((s, t) => s + t, 0)]);
const referenceMax: Reference = (x, outer, mid, inner) =>
  perColumn(x, outer, mid, inner, true, (v) => [Math.max(...v)]);
const referenceSoftmax: Reference = (x, outer, mid, inner) =>
  perColumn(x, outer, mid, inner, false, (v) => {
    const m = Math.max(...v);
    const e = v.map((t) => Math.exp(t - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((t) => t / s);
  });
const referenceLogSoftmax: Reference = (x, outer, mid, inner) =>
  perColumn(x, outer, mid, inner, false, (v) => {
    const m = Math.max(...v);
    const lse = m + Math.log(v.reduce((a, t) => a + Math.exp(t - m), 0));
    return v.map((t) => t - lse);
  });

const dims = fc.tuple(
  fc.integer({ min: 1, max: 6 }),
  fc.integer({ min: 1, max: 40 }),
  fc.integer({ min: 1, max: 9 }),
);

describe.each(configurations)("reductions and softmax (%s, %s)", (variant, precision) => {
  const backend = backendFor(precision, variant);
  const tol = tolerance(precision);
  const ops = [
    ["sum", referenceSum, true, backend.sum.bind(backend)],
    ["max", referenceMax, true, backend.max.bind(backend)],
    ["softmax", referenceSoftmax, false, backend.softmax.bind(backend)],
    ["logSoftmax", referenceLogSoftmax, false, backend.logSoftmax.bind(backend)],
  ] as const;

  for (const [name, reference, reduced, op] of ops) {
    it(`${name} matches the reference on drawn [outer, mid, inner]`, () => {
      fc.assert(
        fc.property(dims, fc.integer({ min: 0, max: 1e6 }), ([outer, mid, inner], seed) => {
          const x = randomBuffer(backend, outer * mid * inner, dataRandom(seed));
          for (let i = 0; i < x.length; i++) x[i] = x[i]! * 8;
          const y = backend.alloc(reduced ? outer * inner : outer * mid * inner);
          y.fill(Number.NaN);
          op(x, y, outer, mid, inner);
          const want = reference(x, outer, mid, inner);
          // Sums are scaled by their magnitude, the rest by max(1, |want|).
          const scale = name === "sum" ? referenceSumAbs(x, outer, mid, inner) : undefined;
          expect(mismatch(y, want, tol, scale)).toBeNull();
        }),
        { seed: 7, numRuns: 120 },
      );
    });
  }

  it("max and the softmaxes propagate NaN; max is exact", () => {
    const x = backend.alloc(6);
    backend.write(x, [1, Number.NaN, 3, -2, 5, 4]);
    const y = backend.alloc(6);
    backend.max(x, y, 1, 3, 2); // columns (1, 3, 5) and (NaN, -2, 4)
    expect(Array.from(y.subarray(0, 2))).toEqual([5, Number.NaN]);
    backend.max(x, y, 2, 3, 1);
    expect(Array.from(y.subarray(0, 2))).toEqual([Number.NaN, 5]);
    backend.softmax(x, y, 2, 3, 1);
    expect(Array.from(y.subarray(0, 3)).every(Number.isNaN)).toBe(true);
    expect(y[3]! + y[4]! + y[5]!).toBeCloseTo(1, 6);
  });

  it("softmax and logSoftmax are stable for large logits", () => {
    const x = backend.alloc(4);
    backend.write(x, [1000, 1001, -1000, 1002]);
    const y = backend.alloc(4);
    backend.softmax(x, y, 1, 4, 1);
    const want = referenceSoftmax(x, 1, 4, 1);
    expect(mismatch(y, want, tol)).toBeNull();
    backend.logSoftmax(x, y, 1, 4, 1);
    expect(mismatch(y, referenceLogSoftmax(x, 1, 4, 1), tol)).toBeNull();
    expect(y[2]).toBeCloseTo(-2002 - Math.log(1 + Math.exp(-1) + Math.exp(-2)), 3);
  });

  it("softmax and logSoftmax may run in place", () => {
    const random = dataRandom(3);
    for (const [outer, mid, inner] of [
      [3, 10, 1],
      [2, 5, 4],
    ] as const) {
      for (const [op, reference] of [
        [backend.softmax.bind(backend), referenceSoftmax],
        [backend.logSoftmax.bind(backend), referenceLogSoftmax],
      ] as const) {
        const x = randomBuffer(backend, outer * mid * inner, random);
        const want = reference(x, outer, mid, inner);
        op(x, x, outer, mid, inner);
        expect(mismatch(x, want, tol)).toBeNull();
      }
    }
  });

  it("sum of an empty middle axis is 0 and max is -Infinity", () => {
    const x = backend.alloc(0);
    const y = backend.alloc(3);
    backend.sum(x, y, 1, 0, 3);
    expect(Array.from(y)).toEqual([0, 0, 0]);
    backend.max(x, y, 3, 0, 1);
    expect(Array.from(y)).toEqual([-Infinity, -Infinity, -Infinity]);
  });

  it("rejects buffers too small for the view", () => {
    const x = backend.alloc(10);
    const y = backend.alloc(2);
    expect(() => backend.sum(x, y, 2, 3, 2)).toThrow(/sum: x holds 10 elements, needs 12/);
    expect(() => backend.softmax(x, y, 2, 5, 1)).toThrow(/softmax: y holds 2 elements/);
  });
});

function referenceSumAbs(x: FloatArray, outer: number, mid: number, inner: number): Float64Array {
  const scale = referenceSum(Float64Array.from(x, Math.abs), outer, mid, inner);
  return scale.map((s) => Math.max(s, 1e-30));
}
