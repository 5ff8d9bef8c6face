import { describe, expect, it } from "vitest";
import { derivation } from "../../compiler/pipeline.js";
import { onlyModel } from "../helpers/compile.js";

/** `nnc grad` prints the loss settings as written and their derivatives as formulas. */
function derived(target: string, forward: string, loss: string): string {
  return derivation(
    onlyModel(`model M {
  input  x: [batch, 4]
  target y: ${target}
  forward { x -> ${forward} }
  loss      ${loss}
  optimizer adam
}
`),
  );
}

describe("derivatives of the loss settings, as math", () => {
  it("class weights and label smoothing: the weighed, smoothed targets over the weight of the batch", () => {
    const text = derived(
      "i32[batch]",
      "dense(3) -> softmax",
      "cross_entropy(weight: [1, 2, 0.5], label_smoothing: 0.1)",
    );
    expect(text).toContain(
      "loss = cross_entropy(softmax(dense_1), y, weight: [1, 2, 0.5], label_smoothing: 0.1)",
    );
    expect(text).toContain(
      "d loss / d dense_1 = (softmax(dense_1) * sum([1, 2, 0.5] * (0.9 * onehot(y) + 0.0333333)) - [1, 2, 0.5] * (0.9 * onehot(y) + 0.0333333)) / sum([1, 2, 0.5] * onehot(y))",
    );
  });

  it("pos_weight: BCEWithLogitsLoss's derivative from the logits", () => {
    const text = derived(
      "[batch, 2]",
      "dense(2) -> sigmoid",
      "binary_cross_entropy(pos_weight: [3, 0.5])",
    );
    expect(text).toContain(
      "loss = binary_cross_entropy(sigmoid(dense_1), y, pos_weight: [3, 0.5])",
    );
    expect(text).toContain(
      "d loss / d dense_1 = (1 - y - (1 + [2, -0.5] * y) * sigmoid(-dense_1)) / batch * 2",
    );
  });

  it("plain losses print as before", () => {
    const text = derived("i32[batch]", "dense(3) -> softmax", "cross_entropy");
    expect(text).toContain("loss = cross_entropy(softmax(dense_1), y)\n");
    expect(text).toContain("d loss / d dense_1 = (softmax(dense_1) - onehot(y)) / batch");
  });
});
