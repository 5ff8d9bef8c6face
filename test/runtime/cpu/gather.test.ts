import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { FloatArray } from "../../../runtime/backend.js";
import { backendFor, configurations, dataRandom, mismatch, tolerance } from "./helpers.js";

/**
 * gatherRows and scatterAddRows of every CPU backend against a naive reference in double:
 * ids drawn from few rows (so duplicates are the rule), plus ids outside the table (a zero
 * row, nothing added) and scatter sums in id order (the same bits on every run).
 */

interface Case {
  readonly count: number;
  readonly rows: number;
  readonly width: number;
  readonly seed: number;
  /** Whether some ids fall outside [0, rows) (NaN, negative, too large). */
  readonly outside: boolean;
}

const drawnCase: fc.Arbitrary<Case> = fc.record({
  count: fc.integer({ min: 0, max: 24 }),
  rows: fc.integer({ min: 1, max: 6 }),
  width: fc.integer({ min: 1, max: 5 }),
  seed: fc.integer({ min: 0, max: 10_000 }),
  outside: fc.boolean(),
});

function idsOf(c: Case): number[] {
  const random = dataRandom(c.seed);
  return Array.from({ length: c.count }, () => {
    const u = random.uniform();
    if (c.outside && u < 0.1) return [Number.NaN, -1, c.rows, c.rows + 7][Math.floor(u * 40)]!;
    return Math.floor(random.uniform() * c.rows);
  });
}

function naiveGather(table: FloatArray, ids: readonly number[], rows: number, width: number) {
  return ids.flatMap((id) =>
    Array.from({ length: width }, (_, j) =>
      Number.isInteger(id) && id >= 0 && id < rows ? table[id * width + j]! : 0,
    ),
  );
}

function naiveScatter(g: FloatArray, ids: readonly number[], rows: number, width: number) {
  const out = new Array<number>(rows * width).fill(0);
  ids.forEach((id, n) => {
    if (!(Number.isInteger(id) && id >= 0 && id < rows)) return;
    for (let j = 0; j < width; j++) out[id * width + j]! += g[n * width + j]!;
  });
  return out;
}

describe.each(configurations)("gatherRows and scatterAddRows (%s, %s)", (variant, precision) => {
  const backend = backendFor(precision, variant);
  const filled = (size: number, seed: number) => {
    const random = dataRandom(seed);
    const buffer = backend.alloc(Math.max(size, 1));
    for (let i = 0; i < size; i++) buffer[i] = 2 * random.uniform() - 1;
    return buffer;
  };

  it("match the naive reference, duplicates summed and outside ids ignored", () => {
    fc.assert(
      fc.property(drawnCase, (c) => {
        const { count, rows, width } = c;
        const ids = idsOf(c);
        const idBuffer = backend.alloc(Math.max(count, 1));
        idBuffer.set(ids);
        const table = filled(rows * width, c.seed + 1);
        const g = filled(count * width, c.seed + 2);
        const out = filled(count * width, c.seed + 3); // stale values must be overwritten
        const dTable = filled(rows * width, c.seed + 4);
        backend.gatherRows(table, idBuffer, out, count, rows, width);
        backend.scatterAddRows(idBuffer, g, dTable, count, rows, width);
        expect(
          mismatch(out.subarray(0, count * width), naiveGather(table, ids, rows, width), 0),
        ).toBeNull();
        const want = naiveScatter(g, ids, rows, width);
        expect(
          mismatch(dTable.subarray(0, rows * width), want, 8 * tolerance(precision)),
        ).toBeNull();
        // the same ids, the same order of additions: the same bits
        const again = backend.alloc(rows * width);
        backend.scatterAddRows(idBuffer, g, again, count, rows, width);
        expect(Array.from(again.subarray(0, rows * width))).toEqual(
          Array.from(dTable.subarray(0, rows * width)),
        );
      }),
      { seed: 20261130, numRuns: 80 },
    );
  });

  it("rejects buffers too small for the call", () => {
    const sized = (size: number) => backend.alloc(size).subarray(0, size);
    const ids = sized(4);
    expect(() => backend.gatherRows(sized(5), ids, sized(8), 4, 3, 2)).toThrow(/table holds 5/);
    expect(() => backend.scatterAddRows(ids, sized(7), sized(6), 4, 3, 2)).toThrow(/g holds 7/);
  });
});
