/**
 * One PyTorch op table (compiler/pytorch/ops.ts) for both printers: model.py's forward prints
 * `expr` rows and reports `loss` and `cannot` rows as E222; train.py's loss function prints
 * `expr` and `loss` rows alike, so any op a loss holds prints there (no second table to miss
 * one). Text only: the numbers are checked against PyTorch by train-py.test.ts.
 */
import { describe, expect, it } from "vitest";
import { build } from "../../compiler/pipeline.js";
import { emitPytorch } from "../../compiler/pytorch/index.js";
import { pyOps } from "../../compiler/pytorch/ops.js";

const lossOps = [
  "mse",
  "mae",
  "huber",
  "cross_entropy",
  "binary_cross_entropy",
  "softmax_cross_entropy",
  "sigmoid_binary_cross_entropy",
] as const;

function trainPy(loss: string): string {
  const text = [
    "model M {",
    "  input  x: [batch, 3]",
    "  target y: [batch, 2]",
    "  forward { x -> dense(2) }",
    `  loss   ${loss}`,
    "  optimizer sgd(lr: 0.1)",
    "}",
    "",
  ].join("\n");
  const result = build(text, "m.nn");
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const project = emitPytorch(result.models!, "m.nn");
  expect(project.diagnostics).toEqual([]);
  return project.files.find((f) => f.name === "train.py")!.text;
}

describe("the PyTorch op table", () => {
  it("gives every loss a loss row, which the forward never prints", () => {
    for (const op of lossOps) expect(pyOps[op].kind).toBe("loss");
    expect(pyOps.conv2d_grad_input.kind).toBe("cannot");
  });

  it("prints a loss's ops from the forward's rows (ops the old loss table lacked too)", () => {
    const text = trainPy(
      "mse + 0.01 * mean(log_softmax(output) * y) + 0.1 * mean(max(0.0, output))",
    );
    expect(text).toContain("F.mse_loss(output, target)");
    expect(text).toContain("torch.log_softmax(output, dim=-1)");
    expect(text).toContain("torch.maximum(output.new_tensor(0.0), output)");
    expect(text).toContain('"problem": None');
  });

  it("prints a loss's attributes: huber's delta", () => {
    expect(trainPy("huber(delta: 2.0)")).toContain("F.huber_loss(output, target, delta=2.0)");
  });
});
