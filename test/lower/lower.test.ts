import { describe, expect, it } from "vitest";
import type { TypedModel } from "../../compiler/ir/types.js";
import { codesOf, onlyModel } from "../helpers/compile.js";

const paramShapes = (m: TypedModel) => Object.fromEntries(m.params.map((p) => [p.name, p.shape]));
const ops = (m: TypedModel) => m.eqns.map((e) => e.op);

describe("layer naming and parameters", () => {
  it("names unnamed layers KIND_K per kind in source order, PyTorch layouts", () => {
    const m = onlyModel(`
model M {
  input x: [batch, 784]
  forward { x -> dense(512) -> relu -> dropout(0.2) -> dense(10) -> softmax }
}`);
    expect(paramShapes(m)).toEqual({
      "dense_1.weight": [512, 784],
      "dense_1.bias": [512],
      "dense_2.weight": [10, 512],
      "dense_2.bias": [10],
    });
    expect(m.layers.map((l) => l.name)).toEqual(["dense_1", "dropout_1", "dense_2"]);
  });

  it("`as` names a layer and unnamed layers keep counting from 1", () => {
    const m = onlyModel(`
model M {
  input x: [batch, 4]
  forward { x -> dense(8) as fc1 -> relu -> dense(2) }
}`);
    expect(m.layers.map((l) => l.name)).toEqual(["fc1", "dense_1"]);
    expect(paramShapes(m)["fc1.weight"]).toEqual([8, 4]);
  });

  it("expands blocks and repeats with their own parameters at each use", () => {
    const m = onlyModel(`
block hidden(units, rate = 0.1) {
  dense(units) -> batchnorm -> relu -> dropout(rate)
}
model M {
  input x: [batch, 20]
  forward { x -> hidden(16) -> hidden(8, rate: 0.3) -> repeat 2 { dense(4) -> tanh } }
}`);
    expect(m.layers.map((l) => l.name)).toEqual([
      "dense_1",
      "batchnorm_1",
      "dropout_1",
      "dense_2",
      "batchnorm_2",
      "dropout_2",
      "dense_3",
      "dense_4",
    ]);
    expect(paramShapes(m)["dense_2.weight"]).toEqual([8, 16]);
    expect(paramShapes(m)["batchnorm_2.running_var"]).toEqual([8]);
    const rates = m.eqns.flatMap((e) => (e.op === "dropout_mask" ? [e.attrs.rate] : []));
    expect(rates).toEqual([0.1, 0.3]);
    expect(m.updates.map((u) => u.buffer)).toEqual([
      "batchnorm_1.running_mean",
      "batchnorm_1.running_var",
      "batchnorm_1.num_batches_tracked",
      "batchnorm_2.running_mean",
      "batchnorm_2.running_var",
      "batchnorm_2.num_batches_tracked",
    ]);
  });

  it("reads initialisers, bias flags and conv settings", () => {
    const m = onlyModel(`
model M {
  input x: [batch, 3, 8, 8]
  forward {
    x -> conv2d(4, kernel: 5, padding: same, init: xavier_normal, bias: false)
      -> flatten -> dense(2, init: normal(0.02))
  }
}`);
    expect(m.params.map((p) => [p.name, p.init])).toEqual([
      ["conv2d_1.weight", { kind: "xavier_normal" }],
      ["dense_1.weight", { kind: "normal", std: 0.02 }],
      ["dense_1.bias", { kind: "zeros" }],
    ]);
    const conv = m.eqns.find((e) => e.op === "conv2d");
    expect(conv?.attrs).toEqual({ stride: 1, padding: { top: 2, bottom: 2, left: 2, right: 2 } });
  });
});

describe("functions", () => {
  it("inlines fns with defaults and named arguments, folding constants", () => {
    const m = onlyModel(`
fn swish(x) = x * sigmoid(x)
fn scaled(x, k = 2 * 3) = x * k
model M {
  input x: [batch, 4]
  forward { x -> swish -> scaled(k: 0.5) -> scaled }
}`);
    expect(ops(m)).toEqual(["sigmoid", "mul", "mul", "mul"]);
    const constants = m.eqns.flatMap((e) =>
      e.args.filter((a) => a.kind === "const").map((a) => a.value),
    );
    expect(constants).toEqual([0.5, 6]);
  });

  it("lets a user fn shadow a built-in of the same name", () => {
    const m = onlyModel(`
fn relu(x) = max(x, 0.1 * x)
model M {
  input x: [batch, 4]
  forward { x -> relu }
}`);
    expect(ops(m)).toEqual(["mul", "maximum"]);
  });

  it("applies `a -> f(b)` as `f(a, b)`", () => {
    const m = onlyModel(`
model M {
  input x: [batch, 4]
  input z: [batch, 4]
  forward { x -> max(z) -> leaky_relu(alpha: 0.2) -> softmax(axis: 1) }
}`);
    expect(m.eqns.map((e) => [e.op, e.attrs])).toEqual([
      ["maximum", {}],
      ["leaky_relu", { alpha: 0.2 }],
      ["softmax", { axis: 1 }],
    ]);
  });
});

describe("loss", () => {
  it("a bare loss name means loss(output, target), fused with softmax from the logits", () => {
    const m = onlyModel(`
model M {
  input x: [batch, 4]
  target y: i32[batch]
  forward { x -> dense(3) -> softmax }
  loss cross_entropy
  optimizer adam
}`);
    const loss = m.eqns.find((e) => e.out === m.loss);
    expect(loss?.op).toBe("softmax_cross_entropy");
    const logits = m.eqns.find((e) => e.op === "softmax")?.args[0];
    expect(loss?.args).toEqual([logits, { kind: "value", name: "y" }]);
    expect(m.types.get(m.loss!)).toEqual({ dtype: "f32", shape: [] });
  });

  it("adds penalties over `weights` (every layer weight, no biases or norm parameters)", () => {
    const m = onlyModel(`
model M {
  input x: [batch, 4]
  target y: [batch, 1]
  forward { x -> dense(8) -> layernorm -> relu -> dense(1) -> sigmoid }
  loss binary_cross_entropy + 1e-4 * l2(weights) + 0.1 * l1(dense_2.weight)
  optimizer sgd(lr: 0.1)
}`);
    const squared = m.eqns
      .filter(
        (e) => e.op === "square" && e.args[0]?.kind === "value" && e.args[0].name.includes("."),
      )
      .map((e) => e.args[0]);
    expect(squared).toEqual([
      { kind: "value", name: "dense_1.weight" },
      { kind: "value", name: "dense_2.weight" },
    ]);
    expect(m.eqns.some((e) => e.op === "sigmoid_binary_cross_entropy")).toBe(true);
  });

  it("fills optimizer and train defaults as torch.optim and language.md give them", () => {
    const m = onlyModel(`
model M {
  input x: [batch, 4]
  target y: [batch, 1]
  forward { x -> dense(1) }
  loss mse
  optimizer adamw
  train { epochs: 3, lr_schedule: cosine(epochs: 3), early_stopping: true, validation_split: 0.2 }
}`);
    expect(m.settings.optimizer).toMatchObject({
      kind: "adamw",
      lr: 0.001,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      weightDecay: 0.01,
    });
    expect(m.settings.train).toMatchObject({
      epochs: 3,
      batchSize: 32,
      shuffle: true,
      dropLast: false,
      seed: 0,
      validationSplit: 0.2,
      lrSchedule: { kind: "cosine", epochs: 3, minLr: 0 },
      earlyStopping: { monitor: "val_loss", patience: 5, minDelta: 0, restoreBest: true },
    });
  });
});

describe("loss and optimizer settings of issue 11 (knobs)", () => {
  const knobModel = (loss: string, optimizer = "adam") => `
model M {
  input x: [batch, 4]
  target y: i32[batch]
  forward { x -> dense(3) -> softmax }
  loss ${loss}
  optimizer ${optimizer}
}`;

  it("puts class weights and label smoothing on the fused op, and only the settings given", () => {
    const m = onlyModel(knobModel("cross_entropy(weight: [1, 2, 0.5], label_smoothing: 0.1)"));
    expect(m.eqns.find((e) => e.out === m.loss)).toMatchObject({
      op: "softmax_cross_entropy",
      attrs: { weight: [1, 2, 0.5], labelSmoothing: 0.1 },
    });
    const plain = onlyModel(knobModel("cross_entropy(label_smoothing: 0)"));
    expect(plain.eqns.find((e) => e.out === plain.loss)?.attrs).toEqual({});
  });

  it("bounds the number of class weights (E213)", () => {
    const many = `[${Array.from({ length: 4097 }, () => "1").join(", ")}]`;
    expect(codesOf(knobModel(`cross_entropy(weight: ${many})`))).toEqual(["E213"]);
  });

  it("reads clipping into the optimizer settings, absent when not given", () => {
    const m = onlyModel(
      knobModel("cross_entropy", "sgd(lr: 0.1, clip_grad_norm: 1, clip_grad_value: 0.5)"),
    );
    expect(m.settings.optimizer).toMatchObject({ clipGradNorm: 1, clipGradValue: 0.5 });
    const plain = onlyModel(knobModel("cross_entropy"));
    expect(plain.settings.optimizer).not.toHaveProperty("clipGradNorm");
    expect(plain.settings.optimizer).not.toHaveProperty("clipGradValue");
  });
});

describe("name errors are collected, not thrown", () => {
  it("reports every independent error of a file", () => {
    expect(
      codesOf(`
model A {
  input x: [batch, 4]
  forward { x -> dnse(3) }
}
model B {
  input x: [batch, 4]
  forward { y -> dense(3) -> rleu }
}`),
    ).toEqual(["E302", "E301", "E302"]);
  });

  it("does not cascade from an undefined name", () => {
    expect(
      codesOf(`
model A {
  input x: [batch, 4]
  forward {
    h = q -> dense(3) -> relu
    h + x
  }
}`),
    ).toEqual(["E301"]);
  });
});
