/**
 * The seeded random generator behind initialisation, shuffling and dropout: xoshiro128**
 * (Blackman and Vigna), seeded through splitmix32. Each purpose draws from its own stream of
 * the model's seed, so adding dropout does not change the initial weights or the batch order.
 */
export class Random {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spareNormal: number | null = null;

  constructor(seed: number, stream = 0) {
    let x = (Math.trunc(seed) ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0;
    const next = (): number => {
      // splitmix32
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /**
   * Writes the generator's state (xoshiro128**'s words s0..s3) to `into[at..at+3]`, so that
   * another implementation (the wasm dropout) can continue the stream.
   */
  saveState(into: Uint32Array, at = 0): void {
    into[at] = this.s0;
    into[at + 1] = this.s1;
    into[at + 2] = this.s2;
    into[at + 3] = this.s3;
  }

  /** Continues the stream from a state written by saveState (and advanced elsewhere). */
  loadState(from: Uint32Array, at = 0): void {
    this.s0 = from[at]!;
    this.s1 = from[at + 1]!;
    this.s2 = from[at + 2]!;
    this.s3 = from[at + 3]!;
  }

  /** Uniform in [0, 1), with 53 random bits. */
  uniform(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  }

  /** Uniform integer in [0, n), without modulo bias. */
  below(n: number): number {
    if (!(n >= 1 && n <= 0x100000000)) throw new RangeError(`below(${n}): n must be in 1..2^32`);
    const limit = 0x100000000 - remainder(0x100000000, n);
    for (;;) {
      const r = this.nextUint32();
      if (r < limit) return remainder(r, n);
    }
  }

  /** Standard normal, by the Box-Muller transform. */
  normal(): number {
    if (this.spareNormal !== null) {
      const spare = this.spareNormal;
      this.spareNormal = null;
      return spare;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const radius = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = radius * Math.sin(2 * Math.PI * v);
    return radius * Math.cos(2 * Math.PI * v);
  }

  /** Fisher-Yates shuffle of `indices` in place. */
  shuffle(indices: Uint32Array | number[]): void {
    for (let i = indices.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      const t = indices[i]!;
      indices[i] = indices[j]!;
      indices[j] = t;
    }
  }
}

/**
 * `a % b` for integers 0 <= a <= 2^32 and 1 <= b <= 2^32, exactly, without the floating-point
 * remainder V8 falls back to above 2^31 (about 10x slower, and a shuffle makes one per element):
 * a / b is at least 1/b >= 2^-32 from the next integer while its rounding error is below
 * 2^-52 of it, so the floor is the true quotient, and a - q b is exact below 2^53.
 */
function remainder(a: number, b: number): number {
  return a - Math.floor(a / b) * b;
}

/** x rotated left by k, as an int32 (the state words are int32s: only their bits matter). */
function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** The independent streams drawn from one seed. */
export const RandomStream = {
  init: 0,
  shuffle: 1,
  dropout: 2,
  split: 3,
} as const;

/** The generator's four state words (for a training checkpoint); see `randomFromWords`. */
export function randomWords(random: Random): number[] {
  const words = new Uint32Array(4);
  random.saveState(words);
  return [...words];
}

/**
 * A generator continuing from `randomWords`' output. RangeError unless `words` are four whole
 * numbers in [0, 2^32), not all zero (xoshiro never reaches the zero state).
 */
export function randomFromWords(words: readonly number[], stream: number): Random {
  const ok =
    words.length === 4 &&
    words.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32) &&
    words.some((w) => w !== 0);
  if (!ok)
    throw new RangeError(`a generator state is four 32-bit words, not [${words.join(", ")}]`);
  const random = new Random(0, stream);
  random.loadState(Uint32Array.from(words));
  return random;
}
