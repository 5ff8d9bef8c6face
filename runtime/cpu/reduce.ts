/**
 * Reductions over the middle axis of x viewed as [outer, mid, inner] (row-major, so element
 * (o, j, i) is at (o*mid + j)*inner + i), into y viewed as [outer, inner].
 *
 * When inner > 1 the loops run j outside and i inside, so that every pass over x is contiguous;
 * the running values live in a Float64Array scratch of at least `inner` elements, so an f32
 * sum is accumulated in double and rounded once. y may alias x: every x element of a row o is
 * read before y's row o is written, and y's row o ends before x's row o+1 starts.
 */
import type { FloatArray } from "../backend.js";

/** y[o, i] = sum over j of x[o, j, i]. An empty middle axis sums to 0. */
export function sumMiddle(
  x: FloatArray,
  y: FloatArray,
  outer: number,
  mid: number,
  inner: number,
  acc: Float64Array,
): void {
  if (inner === 1) {
    for (let o = 0; o < outer; o++) {
      const base = o * mid;
      let s = 0;
      for (let j = 0; j < mid; j++) s += x[base + j]!;
      y[o] = s;
    }
    return;
  }
  for (let o = 0; o < outer; o++) {
    acc.fill(0, 0, inner);
    let base = o * mid * inner;
    for (let j = 0; j < mid; j++) {
      for (let i = 0; i < inner; i++) acc[i] = acc[i]! + x[base + i]!;
      base += inner;
    }
    const out = o * inner;
    for (let i = 0; i < inner; i++) y[out + i] = acc[i]!;
  }
}

/**
 * y[o, i] = max over j of x[o, j, i]. NaN propagates (a NaN anywhere in the window makes the
 * result NaN), as torch.amax does. An empty middle axis gives -Infinity.
 */
export function maxMiddle(
  x: FloatArray,
  y: FloatArray,
  outer: number,
  mid: number,
  inner: number,
  acc: Float64Array,
): void {
  if (inner === 1) {
    for (let o = 0; o < outer; o++) {
      const base = o * mid;
      let best = -Infinity;
      for (let j = 0; j < mid; j++) {
        const v = x[base + j]!;
        // Once best is NaN no comparison is true, so it stays NaN.
        if (v > best || v !== v) best = v;
      }
      y[o] = best;
    }
    return;
  }
  for (let o = 0; o < outer; o++) {
    acc.fill(-Infinity, 0, inner);
    let base = o * mid * inner;
    for (let j = 0; j < mid; j++) {
      for (let i = 0; i < inner; i++) {
        const v = x[base + i]!;
        if (v > acc[i]! || v !== v) acc[i] = v;
      }
      base += inner;
    }
    const out = o * inner;
    for (let i = 0; i < inner; i++) y[out + i] = acc[i]!;
  }
}
