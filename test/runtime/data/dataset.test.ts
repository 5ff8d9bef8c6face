import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BatchIterator, epochOrder, gatherRows } from "../../../runtime/data/batches.js";
import {
  type Dataset,
  applyNormalizer,
  fitNormalizer,
  normalizerFromTensors,
  normalizerTensors,
  splitTest,
  splitValidation,
} from "../../../runtime/data/dataset.js";
import type { Tensor } from "../../../runtime/data/tensor.js";
import { Random, RandomStream } from "../../../runtime/random.js";
import { dataErrorOf } from "./helpers.js";

/** `rows` rows; x row r is [r, 100 + r], y row r is r. */
function indexed(rows: number): Dataset {
  return {
    x: {
      data: Float32Array.from({ length: 2 * rows }, (_, k) =>
        k % 2 === 0 ? k / 2 : 100 + (k - 1) / 2,
      ),
      shape: [rows, 2],
    },
    y: { data: Float32Array.from({ length: rows }, (_, r) => r), shape: [rows] },
  };
}

describe("splitTest", () => {
  it("holds out ceil(test * rows) shuffled rows, scikit-learn's sizes", () => {
    for (const [rows, test, held] of [
      [10, 0.2, 2],
      [10, 0.25, 3],
      [100, 0.2, 20],
      [7, 0.5, 4],
      [3, 0.01, 1],
    ] as const) {
      const { train, test: part } = splitTest(indexed(rows), { test, seed: 2022 });
      expect(part.y.shape).toEqual([held]);
      expect(train.y.shape).toEqual([rows - held]);
      expect(train.x.shape).toEqual([rows - held, 2]);
    }
  });

  it("shuffles with the split stream of the seed: test rows first, then the training rows", () => {
    const { train, test } = splitTest(indexed(10), { test: 0.3, seed: 5 });
    const order = Array.from({ length: 10 }, (_, i) => i);
    new Random(5, RandomStream.split).shuffle(order);
    expect(Array.from(test.y.data)).toEqual(order.slice(0, 3));
    expect(Array.from(train.y.data)).toEqual(order.slice(3));
    // x rows travel with their y rows.
    expect(Array.from(train.x.data.subarray(0, 2))).toEqual([order[3], 100 + order[3]!]);
  });

  it("partitions the rows for any size, fraction and seed, deterministically", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 200 }),
        fc.double({ min: 0.01, max: 0.5, noNaN: true }),
        fc.nat(),
        (rows, test, seed) => {
          const a = splitTest(indexed(rows), { test, seed });
          const b = splitTest(indexed(rows), { test, seed });
          expect(Array.from(a.test.y.data)).toEqual(Array.from(b.test.y.data));
          const all = [...a.train.y.data, ...a.test.y.data].sort((p, q) => p - q);
          expect(all).toEqual(Array.from({ length: rows }, (_, i) => i));
        },
      ),
      { seed: 1, numRuns: 200 },
    );
  });

  it("refuses a split that leaves a part empty", () => {
    expect(dataErrorOf(() => splitTest(indexed(1), { test: 0.2, seed: 0 }))).toEqual({
      code: "E502",
      message: "the data has 1 row: too few to hold out 20% as a test set and train on the rest",
    });
  });
});

describe("splitValidation", () => {
  it("takes the last rows before shuffling, Keras's arithmetic", () => {
    for (const [rows, fraction, held] of [
      [10, 0.1, 1],
      [10, 0.2, 2],
      [10, 0.3, 3],
      [100, 0.15, 15],
      [7, 0.5, 4],
    ] as const) {
      const { train, validation } = splitValidation(indexed(rows), fraction);
      expect(validation?.y.shape).toEqual([held]);
      expect(Array.from(validation?.y.data ?? [])).toEqual(
        Array.from({ length: held }, (_, i) => rows - held + i),
      );
      expect(Array.from(train.y.data)).toEqual(Array.from({ length: rows - held }, (_, i) => i));
    }
    expect(splitValidation(indexed(5), 0).validation).toBeNull();
  });

  it("refuses a split that leaves a part empty", () => {
    expect(dataErrorOf(() => splitValidation(indexed(1), 0.1))).toEqual({
      code: "E502",
      message:
        "the training data has 1 row: too few to hold out 10% for validation (validation_split) and train on the rest",
    });
  });
});

describe("normalizers", () => {
  const x: Tensor = {
    data: Float32Array.from([1, 5, 7, 2, 5, -1, 3, 5, 0, 4, 5, 2]),
    shape: [4, 3],
  };

  it("standard: population mean and std per feature, 1 for a constant feature", () => {
    const n = fitNormalizer(x, "standard");
    if (n.kind !== "standard") throw new Error("kind");
    expect(Array.from(n.shift)).toEqual([2.5, 5, 2].map(Math.fround));
    expect(n.scale[0]).toBe(Math.fround(Math.sqrt(1.25)));
    expect(n.scale[1]).toBe(1);
    expect(n.scale[2]).toBe(Math.fround(Math.sqrt((25 + 9 + 4 + 0) / 4)));
    const out = applyNormalizer(x, n);
    expect(out.shape).toEqual([4, 3]);
    expect(out.data[0]).toBe(Math.fround((1 - Math.fround(2.5)) / Math.fround(Math.sqrt(1.25))));
    const moments = [0, 1, 2].map((f) => {
      const col = [0, 1, 2, 3].map((r) => out.data[r * 3 + f]!);
      const mean = col.reduce((a, b) => a + b) / 4;
      const std = Math.sqrt(col.reduce((a, v) => a + (v - mean) ** 2, 0) / 4);
      return [Number(mean.toFixed(6)), Number(std.toFixed(6))];
    });
    // The constant feature becomes all zeros (std 0); the others mean 0, std 1.
    expect(moments).toEqual([
      [0, 1],
      [0, 0],
      [0, 1],
    ]);
    expect(x.data[0]).toBe(1); // not in place by default
  });

  it("minmax: to 0..1 per feature, a constant feature to 0", () => {
    const n = fitNormalizer(x, "minmax");
    const out = applyNormalizer(x, n);
    expect(Array.from(out.data)).toEqual(
      [0, 0, 1, 1 / 3, 0, 0, 2 / 3, 0, 1 / 8, 1, 0, 3 / 8].map(Math.fround),
    );
    expect(normalizerTensors(n).map((t) => [t.name, t.shape])).toEqual([
      ["normalize.min", [3]],
      ["normalize.range", [3]],
    ]);
  });

  it("none changes nothing; statistics are over every axis but the last", () => {
    expect(applyNormalizer(x, fitNormalizer(x, "none"))).toBe(x);
    const images: Tensor = {
      data: Float32Array.from({ length: 12 }, (_, i) => i),
      shape: [2, 2, 3],
    };
    const n = fitNormalizer(images, "standard");
    if (n.kind === "none") throw new Error("kind");
    expect(Array.from(n.shift)).toEqual([4.5, 5.5, 6.5]);
  });

  it("applies in place on request, and refuses data of another width", () => {
    const copy: Tensor = { data: x.data.slice(), shape: x.shape };
    const n = fitNormalizer(copy, "minmax");
    expect(applyNormalizer(copy, n, true)).toBe(copy);
    expect(copy.data[2]).toBe(1);
    expect(
      dataErrorOf(() => applyNormalizer({ data: new Float32Array(4), shape: [2, 2] }, n)),
    ).toEqual({
      code: "E502",
      message: "the normalization statistics are for 3 features but the data has 2",
    });
  });

  it("round-trips through checkpoint tensors", () => {
    const n = fitNormalizer(x, "standard");
    const saved = new Map(normalizerTensors(n, "x_norm").map((t) => [t.name, t]));
    expect([...saved.keys()]).toEqual(["x_norm.mean", "x_norm.std"]);
    const back = normalizerFromTensors(saved, "x_norm");
    expect(Array.from(applyNormalizer(x, back).data)).toEqual(
      Array.from(applyNormalizer(x, n).data),
    );
    expect(normalizerFromTensors(new Map()).kind).toBe("none");
  });
});

const options = (shuffle: boolean, dropLast: boolean, batchSize = 4) => ({
  batchSize,
  shuffle,
  dropLast,
  rng: new Random(3, RandomStream.shuffle),
});

describe("batches", () => {
  it("cuts the order into batches, keeping or dropping a smaller last one", () => {
    expect(epochOrder(10, options(false, false))).toEqual({
      order: Uint32Array.from({ length: 10 }, (_, i) => i),
      batches: [
        [0, 4],
        [4, 4],
        [8, 2],
      ],
    });
    expect(epochOrder(10, options(false, true)).batches).toEqual([
      [0, 4],
      [4, 4],
    ]);
    expect(epochOrder(8, options(false, false)).batches).toEqual([
      [0, 4],
      [4, 4],
    ]);
    expect(epochOrder(3, options(false, false)).batches).toEqual([[0, 3]]);
  });

  it("shuffles every epoch afresh with the shuffle stream", () => {
    const batches = new BatchIterator(10, options(true, false));
    const expected = new Random(3, RandomStream.shuffle);
    const epochs: number[][] = [];
    for (let e = 0; e < 3; e++) {
      const order = Array.from({ length: 10 }, (_, i) => i);
      expected.shuffle(order);
      epochs.push(Array.from(batches.nextEpoch()));
      expect(epochs[e]).toEqual(order);
      expect([...epochs[e]!].sort((a, b) => a - b)).toEqual(
        Array.from({ length: 10 }, (_, i) => i),
      );
    }
    expect(epochs[0]).not.toEqual(epochs[1]);
    expect(batches.batchCount).toBe(3);
    expect([batches.batchStart(2), batches.batchLength(2)]).toEqual([8, 2]);
  });

  it("refuses drop_last with fewer rows than a batch", () => {
    expect(dataErrorOf(() => new BatchIterator(3, options(true, true)))).toEqual({
      code: "E502",
      message: "drop_last leaves no batch: the training data has 3 rows, fewer than batch_size 4",
    });
  });

  it("gathers rows into a preallocated array", () => {
    const data = indexed(6);
    const order = Uint32Array.from([5, 2, 0, 3, 1, 4]);
    const into = new Float32Array(8).fill(-1);
    gatherRows(data.x, order, 1, 3, into);
    expect(Array.from(into)).toEqual([2, 102, 0, 100, 3, 103, -1, -1]);
    const ids = new Float32Array(2);
    gatherRows(data.y, order, 4, 2, ids);
    expect(Array.from(ids)).toEqual([1, 4]);
    expect(() => gatherRows(data.x, order, 0, 5, into)).toThrow(RangeError);
  });
});
