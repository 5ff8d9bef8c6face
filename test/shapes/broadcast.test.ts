import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Dim } from "../../compiler/ir/types.js";
import { broadcastShapes } from "../../compiler/shapes/dims.js";

/** NumPy's rule, written independently: align right, equal or 1 stretches, else an error. */
function numpyBroadcast(a: readonly Dim[], b: readonly Dim[]): Dim[] | null {
  const out: Dim[] = [];
  for (let i = 1; i <= Math.max(a.length, b.length); i++) {
    const x = i <= a.length ? a[a.length - i]! : 1;
    const y = i <= b.length ? b[b.length - i]! : 1;
    if (x === y) out.unshift(x);
    else if (x === 1) out.unshift(y);
    else if (y === 1) out.unshift(x);
    else return null;
  }
  return out;
}

const dim = fc.oneof(fc.constantFrom<Dim>(1, 1, 2, 3, 4), fc.constantFrom<Dim>("batch", "n"));
const shape = fc.array(dim, { maxLength: 4 });
/** Pairs that often broadcast: the second derived from the first by dropping or setting axes to 1. */
const related = shape.chain((a) =>
  fc.tuple(
    fc.constant(a),
    fc
      .array(fc.boolean(), { minLength: a.length, maxLength: a.length })
      .chain((ones) =>
        fc.nat({ max: a.length }).map((drop) => a.map((d, i) => (ones[i] ? 1 : d)).slice(drop)),
      ),
  ),
);
const params = { seed: 20221, numRuns: 500 };

describe("NumPy broadcasting with symbolic dimensions", () => {
  it("agrees with NumPy's rule on random shapes", () => {
    fc.assert(
      fc.property(shape, shape, (a, b) => {
        expect(broadcastShapes(a, b)).toEqual(numpyBroadcast(a, b));
      }),
      params,
    );
  });

  it("is commutative", () => {
    fc.assert(
      fc.property(fc.oneof(fc.tuple(shape, shape), related), ([a, b]) => {
        expect(broadcastShapes(a, b)).toEqual(broadcastShapes(b, a));
      }),
      params,
    );
  });

  it("always broadcasts a shape with its reductions to 1 and its trailing axes", () => {
    fc.assert(
      fc.property(related, ([a, b]) => {
        expect(broadcastShapes(a, b)).toEqual(a);
      }),
      params,
    );
  });

  it("gives the larger rank, and every result dim comes from an operand", () => {
    fc.assert(
      fc.property(shape, shape, (a, b) => {
        const out = broadcastShapes(a, b);
        if (!out) return;
        expect(out.length).toBe(Math.max(a.length, b.length));
        out.forEach((d, i) => {
          const fromA = a[a.length - out.length + i] ?? 1;
          const fromB = b[b.length - out.length + i] ?? 1;
          expect([fromA, fromB]).toContain(d);
        });
      }),
      params,
    );
  });

  it("never matches a symbolic dimension with a number other than 1", () => {
    expect(broadcastShapes(["batch", 3], [4, 3])).toBeNull();
    expect(broadcastShapes(["batch", 3], [1, 3])).toEqual(["batch", 3]);
    expect(broadcastShapes(["batch", 256], ["batch", 128])).toBeNull();
    expect(broadcastShapes(["batch", 3], [3])).toEqual(["batch", 3]);
  });
});
