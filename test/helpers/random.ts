/**
 * Small deterministic random sources for tests: a seeded uniform generator, and the dropout
 * masks the reference interpreter draws from it.
 */

/** mulberry32: a tiny, well-mixed 32-bit generator; uniforms in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
