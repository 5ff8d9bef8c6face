import { describe, expect, it } from "vitest";
import { formatSummary, summarize } from "../../compiler/summary/index.js";
import { onlyModel } from "../helpers/compile.js";

const mlp = `
model MnistMLP {
  input  x: [batch, 784]
  forward { x -> dense(512) -> relu -> dense(10) -> softmax }
}`;

const deepTanh = `
model Deep {
  input x: [batch, 784]
  forward { x -> repeat 4 { dense(500) -> tanh } -> dense(10) }
}`;

const regression = `
model Regressor {
  input  x: [batch, 5]
  target y: [batch, 1]
  forward {
    x -> dense(10) -> relu
      -> dense(10) -> relu
      -> dense(10) -> relu
      -> dense(1)
  }
  loss mse
  optimizer sgd(lr: 0.01, momentum: 0.9)
}`;

describe("summary of the course's models", () => {
  it("784 -> 512 (relu) -> 10 (softmax) has 401,920 + 5,130 = 407,050 parameters", () => {
    const summary = summarize(onlyModel(mlp));
    expect(summary.lines.map((l) => [l.label, l.params])).toEqual([
      ["x", 0],
      ["dense_1", 401_920],
      ["relu", 0],
      ["dense_2", 5_130],
      ["softmax", 0],
    ]);
    expect([summary.total, summary.trainable, summary.nonTrainable]).toEqual([407_050, 407_050, 0]);
    const text = formatSummary(summary, "mnist.nn");
    expect(text).toContain("dense_1 (dense)");
    expect(text).toContain("[batch, 512]");
    expect(text).toContain("Total params: 407,050");
    expect(text).toContain("Trainable params: 407,050");
    expect(text).toContain("Non-trainable params: 0");
  });

  it("784 -> 500 x 4 (tanh) -> 10 has 1,149,010 parameters, repeat naming dense_1..dense_5", () => {
    const summary = summarize(onlyModel(deepTanh));
    expect(summary.total).toBe(1_149_010);
    expect(summary.lines.filter((l) => l.kind === "dense").map((l) => l.label)).toEqual([
      "dense_1",
      "dense_2",
      "dense_3",
      "dense_4",
      "dense_5",
    ]);
    expect(formatSummary(summary, "deep.nn")).toContain("Total params: 1,149,010");
  });

  it("5 -> 10 -> 10 -> 10 -> 1 has 291 parameters", () => {
    const summary = summarize(onlyModel(regression));
    expect(summary.total).toBe(291);
    expect(summary.lines.filter((l) => l.params > 0).map((l) => l.params)).toEqual([
      60, 110, 110, 11,
    ]);
  });

  it("counts batch norm's running statistics as non-trainable", () => {
    const model = onlyModel(`
model Bn {
  input x: [batch, 20]
  forward { x -> dense(64) -> batchnorm -> relu -> dense(2) }
}`);
    const summary = summarize(model);
    expect(summary.lines.find((l) => l.label === "batchnorm_1")?.params).toBe(4 * 64);
    expect(summary.trainable).toBe(20 * 64 + 64 + 2 * 64 + 64 * 2 + 2);
    expect(summary.nonTrainable).toBe(2 * 64);
    expect(summary.total).toBe(summary.trainable + summary.nonTrainable);
    // PyTorch's state_dict also counts the batches (an integer, not a parameter).
    expect(model.params.filter((p) => !p.trainable).map((p) => `${p.name}:${p.dtype}`)).toEqual([
      "batchnorm_1.running_mean:f32",
      "batchnorm_1.running_var:f32",
      "batchnorm_1.num_batches_tracked:i64",
    ]);
  });

  it("shows symbolic dimensions, conv shapes and named layers", () => {
    const model = onlyModel(`
model Conv {
  input x: [n, 1, 28, 28]
  forward {
    x -> conv2d(8, kernel: 3) as conv -> relu -> maxpool2d(2)
      -> conv2d(16, kernel: 3, padding: same) -> relu
      -> flatten -> dense(10) -> softmax
  }
}`);
    const summary = summarize(model);
    const shapes = Object.fromEntries(summary.lines.map((l) => [l.label, l.outputShape]));
    expect(shapes["conv"]).toBe("[n, 8, 26, 26]");
    expect(shapes["maxpool2d_1"]).toBe("[n, 8, 13, 13]");
    expect(shapes["conv2d_1"]).toBe("[n, 16, 13, 13]");
    expect(shapes["flatten_1"]).toBe("[n, 2704]");
    expect(summary.lines.find((l) => l.label === "conv")?.params).toBe(8 * 1 * 9 + 8);
    expect(summary.lines.find((l) => l.label === "dense_1")?.params).toBe(2704 * 10 + 10);
  });
});
