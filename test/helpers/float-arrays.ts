/**
 * Filling and comparing the float arrays of kernel tests (wasm against the JS functions).
 */
import type { FloatArray } from "../../runtime/backend.js";

/** Values with ties, signed zeros, infinities and NaN. */
const SPECIAL_VALUES = [-2, -1, -0, 0, 0.5, 1, 1, 2, 3, -Infinity, Infinity, NaN];

/**
 * Fills `array` from a seeded xorshift32 stream: a draw u in [0, 1) below `specials` picks a
 * special value, any other is u scaled to [-halfRange, halfRange).
 */
export function fillFrom(seed: number, array: FloatArray, specials = 0, halfRange = 4): void {
  let state = seed >>> 0 || 1;
  for (let i = 0; i < array.length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    const u = (state >>> 0) / 2 ** 32;
    array[i] =
      u < specials
        ? SPECIAL_VALUES[Math.floor((u / specials) * SPECIAL_VALUES.length)]!
        : u * 2 * halfRange - halfRange;
  }
}

/** The first index where a and b differ in value (NaN equal to NaN, -0 distinct from 0), or -1. */
export function sameBits(a: FloatArray, b: FloatArray): number {
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}
