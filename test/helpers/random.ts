/**
 * Small deterministic random sources for tests: a seeded uniform generator, and the dropout
 * masks the reference interpreter draws from it.
 */

import { mulberry32 } from "../../fuzz/mutate.js";

export { mulberry32 };

/** A 32-bit hash of a string (FNV-1a), to key random streams by value name. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** Uniforms in [0, 1) for a named value: the same name and seed always give the same numbers. */
export function seededUniforms(seed: number): (value: string, count: number) => Float64Array {
  return (value, count) => {
    const next = mulberry32(hashString(value) ^ seed);
    return Float64Array.from({ length: count }, () => next());
  };
}

/** A uniform draw in [lo, hi). */
export function uniform(next: () => number, lo: number, hi: number): number {
  return lo + (hi - lo) * next();
}
