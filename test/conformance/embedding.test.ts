import { describe, it } from "vitest";
import { backendVariants } from "../helpers/backends.js";
import { type ConformanceCase, checkConformance } from "./harness.js";

// Generated code against the IR for embedding's gather and scatter-add: the token ids are drawn
// as class ids over the output's width, so the vocabulary is that width and a batch repeats
// ids many times (summed rows of the weight's gradient).

describe.each(backendVariants)("conformance: embedding ($name)", (variant) => {
  const check = (c: ConformanceCase) => checkConformance(c, variant);

  it("embedding -> flatten -> dense, and embedding -> mean over the sequence -> dense", () =>
    check({
      source: `
model M {
  input  ids: i32[batch, 4]
  target y: i32[batch]
  forward {
    a = ids -> embedding(5, 3) -> flatten -> dense(5)
    b = ids -> embedding(5, 2) -> mean(axis: 1) -> dense(5)
    a + b -> softmax
  }
  loss      cross_entropy
  optimizer adam(lr: 0.05)
}`,
    }));

  it("embeddings of the ids as declared and reshaped", () =>
    check({
      source: `
model M {
  input  ids: i32[batch, 2, 3]
  target y: [batch, 4]
  forward {
    e = ids -> embedding(4, 2) as table
    f = reshape(ids, [batch, 6]) -> embedding(4, 3)
    concat(e -> flatten, f -> flatten, 1) -> dense(4)
  }
  loss      mse
  optimizer sgd(lr: 0.1, momentum: 0.9)
}`,
      data: { ids: "ids" },
    }));
});
