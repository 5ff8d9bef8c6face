/**
 * Softmax and log-softmax along the middle axis of [outer, mid, inner] (see reduce.ts for the
 * layout). Both subtract the maximum m first, so exp never overflows:
 *   softmax(x)_j    = exp(x_j - m) / sum_l exp(x_l - m)
 *   logSoftmax(x)_j = x_j - m - log(sum_l exp(x_l - m))
 * Each element is read before its own position of y is written, so y may be x (in place).
 * When inner > 1 the passes run j outside and i inside (contiguous), keeping the per-column
 * maximum and sum in two Float64Array scratches of at least `inner` elements.
 */
import type { FloatArray } from "../backend.js";

/** y = softmax of x along the middle axis. */
export function softmaxMiddle(
  x: FloatArray,
  y: FloatArray,
  outer: number,
  mid: number,
  inner: number,
  maxs: Float64Array,
  sums: Float64Array,
): void {
  if (inner === 1) {
    for (let o = 0; o < outer; o++) {
      const base = o * mid;
      const end = base + mid;
      let m = -Infinity;
      for (let t = base; t < end; t++) {
        const v = x[t]!;
        if (v > m || v !== v) m = v;
      }
      let s = 0;
      for (let t = base; t < end; t++) {
        const e = Math.exp(x[t]! - m);
        y[t] = e;
        s += e;
      }
      const scale = 1 / s;
      for (let t = base; t < end; t++) y[t] = y[t]! * scale;
    }
    return;
  }
  const row = mid * inner;
  for (let o = 0; o < outer; o++) {
    const base = o * row;
    const end = base + row;
    columnMax(x, base, end, inner, maxs);
    sums.fill(0, 0, inner);
    for (let t = base; t < end; t += inner) {
      for (let i = 0; i < inner; i++) {
        const e = Math.exp(x[t + i]! - maxs[i]!);
        y[t + i] = e;
        sums[i] = sums[i]! + e;
      }
    }
    for (let i = 0; i < inner; i++) sums[i] = 1 / sums[i]!;
    for (let t = base; t < end; t += inner) {
      for (let i = 0; i < inner; i++) y[t + i] = y[t + i]! * sums[i]!;
    }
  }
}

/** y = log-softmax of x along the middle axis. */
export function logSoftmaxMiddle(
  x: FloatArray,
  y: FloatArray,
  outer: number,
  mid: number,
  inner: number,
  maxs: Float64Array,
  sums: Float64Array,
): void {
  if (inner === 1) {
    for (let o = 0; o < outer; o++) {
      const base = o * mid;
      const end = base + mid;
      let m = -Infinity;
      for (let t = base; t < end; t++) {
        const v = x[t]!;
        if (v > m || v !== v) m = v;
      }
      let s = 0;
      for (let t = base; t < end; t++) s += Math.exp(x[t]! - m);
      const shift = m + Math.log(s);
      for (let t = base; t < end; t++) y[t] = x[t]! - shift;
    }
    return;
  }
  const row = mid * inner;
  for (let o = 0; o < outer; o++) {
    const base = o * row;
    const end = base + row;
    columnMax(x, base, end, inner, maxs);
    sums.fill(0, 0, inner);
    for (let t = base; t < end; t += inner) {
      for (let i = 0; i < inner; i++) sums[i] = sums[i]! + Math.exp(x[t + i]! - maxs[i]!);
    }
    // sums[i] becomes the shift m_i + log(s_i) subtracted from column i.
    for (let i = 0; i < inner; i++) sums[i] = maxs[i]! + Math.log(sums[i]!);
    for (let t = base; t < end; t += inner) {
      for (let i = 0; i < inner; i++) y[t + i] = x[t + i]! - sums[i]!;
    }
  }
}

/** maxs[i] = max over the rows t = base, base + inner, .. < end of x[t + i], NaN-propagating. */
function columnMax(
  x: FloatArray,
  base: number,
  end: number,
  inner: number,
  maxs: Float64Array,
): void {
  maxs.fill(-Infinity, 0, inner);
  for (let t = base; t < end; t += inner) {
    for (let i = 0; i < inner; i++) {
      const v = x[t + i]!;
      if (v > maxs[i]! || v !== v) maxs[i] = v;
    }
  }
}
