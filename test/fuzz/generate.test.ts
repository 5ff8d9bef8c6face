import { describe, expect, it } from "vitest";
import { check } from "../../compiler/pipeline.js";
import { generatedProgram, minimizeText } from "../../fuzz/minimize.js";
import { mutant } from "../../fuzz/mutate.js";
import { generatedSeed, inputText, seedFiles } from "../../fuzz/run.js";

/** The fuzzer's inputs: deterministic, mostly valid, and its minimiser. */

describe("fuzz inputs", () => {
  it("are the same text for the same seed and index (a run can be resumed)", () => {
    const seeds = seedFiles();
    for (let index = 0; index < 20; index++)
      expect(inputText(seeds, 3, index)).toBe(inputText(seeds, 3, index));
    expect(generatedProgram(generatedSeed(1, 0))).not.toBe(generatedProgram(generatedSeed(1, 1)));
    expect(mutant(seeds, 1, 7)).toBe(mutant(seeds, 1, 7));
  });

  it("are generated mostly valid, with every section and many ops", () => {
    const programs = Array.from({ length: 300 }, (_, k) => generatedProgram(generatedSeed(5, k)));
    const ok = programs.filter((text) => check(text, "g.nn").typed !== null);
    expect(ok.length).toBeGreaterThan(programs.length * 0.6);
    const all = ok.join("\n");
    for (const word of [
      "fn ",
      "block ",
      "repeat ",
      "conv2d(",
      "maxpool2d(",
      "conv1d(",
      "avgpool2d(",
      "global_avgpool",
      "batchnorm",
      "layernorm",
      "dropout(",
      "maxout(",
      "softmax",
      "cross_entropy",
      "binary_cross_entropy",
      "huber",
      "l2(weights)",
      "adam(",
      "sgd(",
      "rmsprop(",
      "adagrad(",
      "adadelta",
      "adamw(",
      "metrics ",
      "train {",
      "lr_schedule",
      "data {",
      "concat(",
      "i32[batch]",
      "embedding(",
      "mean(axis: 1)",
    ])
      expect(all, word).toContain(word);
  });

  it("are minimised by lines, then characters, to what still fails", async () => {
    const text = "model A {\n  input x: [batch, 2]\n  boom\n  forward { x }\n}\n";
    const small = await minimizeText(text, (t) => Promise.resolve(t.includes("boom")));
    expect(small).toBe("boom");
  });
});
