import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Dim } from "../../compiler/ir/types.js";
import {
  batchMonomial,
  dimsEqual,
  divideDim,
  evaluateDim,
  formatDim,
  formatShape,
  productDim,
  quotientDim,
  shapesEqual,
  sumDim,
} from "../../compiler/shapes/dims.js";
import { resolveDim } from "../helpers/interpret.js";

const sizes: Readonly<Record<string, number>> = { batch: 5, h: 7, n: 3, w: 11 };
const sizeOf = (name: string) => sizes[name]!;

describe("dimension constructors", () => {
  it("fold constants to numbers", () => {
    expect(productDim([2, 3, 4])).toBe(24);
    expect(productDim([])).toBe(1);
    expect(sumDim([2, 3])).toBe(5);
    expect(quotientDim(7, 2)).toBe(3);
    expect(sumDim([quotientDim(13 + 2 - 3, 2), 1])).toBe(7);
  });

  it("drop *1 and +0, and give a lone name back as the name", () => {
    expect(productDim(["batch", 1])).toBe("batch");
    expect(sumDim(["h", 0])).toBe("h");
    expect(sumDim(["h", 2, -2])).toBe("h");
    expect(quotientDim("h", 1)).toBe("h");
    expect(productDim(["n", 0])).toBe(0);
  });

  it("sort and merge, so two ways of writing a size are equal", () => {
    expect(dimsEqual(productDim(["batch", 784]), productDim([784, "batch"]))).toBe(true);
    expect(dimsEqual(productDim([16, "h", "w"]), productDim(["w", 4, "h", 4]))).toBe(true);
    expect(dimsEqual(sumDim(["n", 2]), sumDim([1, "n", 1]))).toBe(true);
    expect(dimsEqual(sumDim(["n", "n"]), productDim([2, "n"]))).toBe(true);
    expect(dimsEqual(productDim([sumDim(["n", 2]), 3]), sumDim([productDim([3, "n"]), 6]))).toBe(
      true,
    );
    expect(dimsEqual(productDim([productDim(["batch", 28]), 28]), productDim(["batch", 784]))).toBe(
      true,
    );
    expect(dimsEqual(productDim(["batch", 784]), productDim(["batch", 783]))).toBe(false);
    expect(dimsEqual(sumDim(["n", 2]), "n")).toBe(false);
    expect(shapesEqual(["batch", productDim(["h", 2])], ["batch", productDim([2, "h"])])).toBe(
      true,
    );
  });

  it("simplify floor quotients by the identities of integer division", () => {
    // floor((h + 2 - 3) / 2) + 1 = floor((h + 1) / 2)
    const strided = sumDim([quotientDim(sumDim(["h", 2 - 3]), 2), 1]);
    expect(formatDim(strided)).toBe("(h+1)/2");
    // floor((2h + 4) / 2) = h + 2
    expect(dimsEqual(quotientDim(sumDim([productDim([2, "h"]), 4]), 2), sumDim(["h", 2]))).toBe(
      true,
    );
    // floor((4h + 2) / 8) = floor((2h + 1) / 4) = floor(h / 2)
    expect(formatDim(quotientDim(sumDim([productDim([4, "h"]), 2]), 8))).toBe("h/2");
    // floor((3h + 1) / 2) = h + floor((h + 1) / 2)
    expect(formatDim(quotientDim(sumDim([productDim([3, "h"]), 1]), 2))).toBe("h+(h+1)/2");
  });

  it("divide exactly or not at all", () => {
    expect(divideDim(productDim(["batch", 784]), "batch")).toBe(784);
    expect(divideDim(productDim(["batch", 784]), 28)).toEqual(productDim(["batch", 28]));
    expect(divideDim(productDim(["batch", 6]), productDim(["batch", 2]))).toBe(3);
    expect(divideDim(productDim(["batch", sumDim(["n", 2])]), "batch")).toEqual(sumDim(["n", 2]));
    expect(divideDim(productDim([3, "n"]), "batch")).toBeNull();
    expect(divideDim(productDim(["batch", 7]), 2)).toBeNull();
    expect(divideDim("batch", 0)).toBeNull();
    const sum = sumDim(["n", 2]);
    expect(divideDim(productDim([sum, "batch"]), sum)).toBe("batch");
  });
});

describe("printing", () => {
  it("prints numbers and names as themselves", () => {
    expect(formatShape(["batch", 784])).toBe("[batch, 784]");
    expect(formatShape([])).toBe("[]");
  });

  it("prints products factor first and sums constant last", () => {
    expect(formatDim(productDim(["batch", 784]))).toBe("784*batch");
    expect(formatDim(productDim(["w", "h", 16]))).toBe("16*h*w");
    expect(formatDim(sumDim(["n", 2]))).toBe("n+2");
    expect(formatDim(sumDim(["h", -2]))).toBe("h-2");
    expect(formatDim(sumDim([productDim(["n", "n"]), "n", 3]))).toBe("n*n+n+3");
    expect(formatDim(productDim([sumDim(["n", 2]), 3]))).toBe("3*n+6");
  });

  it("parenthesises what would read otherwise", () => {
    const half = quotientDim(sumDim(["h", 1]), 2);
    expect(formatDim(half)).toBe("(h+1)/2");
    expect(formatDim(quotientDim("h", 2))).toBe("h/2");
    expect(formatDim(productDim([3, half]))).toBe("3*((h+1)/2)");
    expect(formatDim(productDim(["batch", half]))).toBe("batch*((h+1)/2)");
    expect(formatDim(sumDim([half, 4]))).toBe("(h+1)/2+4");
  });

  const atom = fc.constantFrom<Dim>(1, 2, 3, 7, "batch", "h", "n", "w");
  const dim: fc.Arbitrary<Dim> = fc.letrec<{ dim: Dim }>((tie) => ({
    dim: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      atom,
      fc.array(tie("dim"), { minLength: 1, maxLength: 3 }).map(sumDim),
      fc.array(tie("dim"), { minLength: 1, maxLength: 3 }).map(productDim),
      fc.tuple(tie("dim"), fc.integer({ min: 1, max: 4 })).map(([d, k]) => quotientDim(d, k)),
    ),
  })).dim;

  it("prints text that evaluates to the dimension's size, and equal dimensions alike", () => {
    fc.assert(
      fc.property(dim, (d) => {
        expect(resolveDim(formatDim(d), sizes)).toBe(evaluateDim(d, sizeOf));
      }),
    );
  });

  it("keeps sizes through normalisation", () => {
    const parts = fc.array(dim, { minLength: 1, maxLength: 3 });
    fc.assert(
      fc.property(parts, fc.integer({ min: 1, max: 5 }), (ds, k) => {
        const values = ds.map((d) => evaluateDim(d, sizeOf));
        expect(evaluateDim(sumDim(ds), sizeOf)).toBe(values.reduce((a, b) => a + b, 0));
        expect(evaluateDim(productDim(ds), sizeOf)).toBe(values.reduce((a, b) => a * b, 1));
        expect(evaluateDim(quotientDim(sumDim(ds), k), sizeOf)).toBe(
          Math.floor(values.reduce((a, b) => a + b, 0) / k),
        );
        // Normal forms: rebuilding in another order gives the same structure.
        expect(dimsEqual(sumDim([...ds].reverse()), sumDim(ds))).toBe(true);
        expect(productDim([...ds].reverse())).toEqual(productDim(ds));
      }),
    );
  });
});

describe("batchMonomial", () => {
  it("reads factor * batch^power from the structure", () => {
    expect(batchMonomial(784, "batch")).toEqual({ factor: 784, power: 0 });
    expect(batchMonomial("batch", "batch")).toEqual({ factor: 1, power: 1 });
    expect(batchMonomial(productDim([784, "batch"]), "batch")).toEqual({ factor: 784, power: 1 });
    expect(batchMonomial(productDim(["batch", "batch", 3]), "batch")).toEqual({
      factor: 3,
      power: 2,
    });
  });

  it("is null for other names, sums and quotients", () => {
    expect(batchMonomial("n", "batch")).toBeNull();
    expect(batchMonomial(productDim(["batch", "n"]), "batch")).toBeNull();
    expect(batchMonomial(sumDim(["batch", 1]), "batch")).toBeNull();
    expect(batchMonomial(quotientDim("batch", 2), "batch")).toBeNull();
  });
});
