import { describe, expect, it } from "vitest";
import { backendFor, configurations } from "./helpers.js";

describe.each(configurations)("dropoutMask (%s, %s)", (variant, precision) => {
  const keepValue = (rate: number): number => {
    const v = 1 / (1 - rate);
    return precision === "f32" ? Math.fround(v) : v;
  };

  it("draws the same masks from the same seed, and new masks on each call", () => {
    const one = backendFor(precision, variant);
    const two = backendFor(precision, variant);
    one.seedDropout(42);
    two.seedDropout(42);
    const a1 = one.alloc(1000);
    const a2 = one.alloc(1000);
    const b1 = two.alloc(1000);
    const b2 = two.alloc(1000);
    one.dropoutMask(a1, 1000, 0.3);
    one.dropoutMask(a2, 1000, 0.3);
    two.dropoutMask(b1, 1000, 0.3);
    two.dropoutMask(b2, 1000, 0.3);
    expect(Array.from(b1)).toEqual(Array.from(a1));
    expect(Array.from(b2)).toEqual(Array.from(a2));
    expect(Array.from(a2)).not.toEqual(Array.from(a1));
    // Reseeding restarts the stream.
    one.seedDropout(42);
    one.dropoutMask(a2, 1000, 0.3);
    expect(Array.from(a2)).toEqual(Array.from(a1));
    // Another seed gives another mask.
    two.seedDropout(43);
    two.dropoutMask(b1, 1000, 0.3);
    expect(Array.from(b1)).not.toEqual(Array.from(a1));
  });

  it("continues its stream from dropoutState on another backend (a resumed run's masks)", () => {
    const one = backendFor(precision, variant);
    const two = backendFor(precision, variant);
    one.seedDropout(5);
    const a = one.alloc(500);
    const b = two.alloc(500);
    one.dropoutMask(a, 500, 0.4);
    const state = one.dropoutState();
    expect(state.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32)).toBe(true);
    two.restoreDropoutState(state);
    one.dropoutMask(a, 500, 0.4);
    two.dropoutMask(b, 500, 0.4);
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(() => two.restoreDropoutState([1, 2])).toThrow(RangeError);
    expect(() => two.restoreDropoutState([0, 0, 0, 0])).toThrow(RangeError);
  });

  it.each([0.1, 0.25, 0.5, 0.8])(
    "drops a fraction close to rate %s, every value exactly 0 or 1 / (1 - rate)",
    (rate) => {
      const backend = backendFor(precision, variant);
      backend.seedDropout(7);
      const size = 100_000;
      const mask = backend.alloc(size);
      backend.dropoutMask(mask, size, rate);
      let zeros = 0;
      const keep = keepValue(rate);
      let others = 0;
      for (const v of mask) {
        if (v === 0) zeros++;
        else if (v !== keep) others++;
      }
      expect(others).toBe(0);
      // Five standard deviations of a binomial count.
      const sd = Math.sqrt(size * rate * (1 - rate));
      expect(Math.abs(zeros - size * rate)).toBeLessThan(5 * sd);
    },
  );

  it("gives all ones for rate 0 and all zeros for rate 1, touching only `size` elements", () => {
    const backend = backendFor(precision, variant);
    const mask = backend.alloc(10);
    mask.fill(5);
    backend.dropoutMask(mask, 8, 0);
    expect(Array.from(mask)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 5, 5]);
    backend.dropoutMask(mask, 8, 1);
    expect(Array.from(mask)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 5, 5]);
  });

  it("draws the same pattern in both precisions", () => {
    const other = backendFor(precision === "f32" ? "f64" : "f32", variant);
    const backend = backendFor(precision, variant);
    backend.seedDropout(3);
    other.seedDropout(3);
    const a = backend.alloc(500);
    const b = other.alloc(500);
    backend.dropoutMask(a, 500, 0.4);
    other.dropoutMask(b, 500, 0.4);
    expect(Array.from(a, (v) => v === 0)).toEqual(Array.from(b, (v) => v === 0));
  });

  it("rejects a rate outside [0, 1] and a mask too small", () => {
    const backend = backendFor(precision, variant);
    const mask = backend.alloc(4);
    expect(() => backend.dropoutMask(mask, 4, -0.1)).toThrow(RangeError);
    expect(() => backend.dropoutMask(mask, 4, 1.5)).toThrow(RangeError);
    expect(() => backend.dropoutMask(mask, 4, Number.NaN)).toThrow(RangeError);
    expect(() => backend.dropoutMask(mask, 5, 0.5)).toThrow(/mask holds 4 elements, needs 5/);
  });
});
