import { describe, expect, it } from "vitest";
import type { IrFunction } from "../../compiler/ir/function.js";
import type { TensorType } from "../../compiler/ir/types.js";
import { LR, appendOptimizer } from "../../compiler/optim/index.js";
import { onlyModel } from "../helpers/compile.js";
import { interpret } from "../helpers/interpret.js";

/**
 * Gradient clipping as the optimizer stage appends it: two parameters `a` and `b` whose
 * gradients are the inputs `ga` and `gb`, one plain SGD step of lr 1, so the parameters move by
 * exactly the gradients the step sees.
 */
function step(settings: string, ga: number[], gb: number[], weightDecay = 0) {
  const model = onlyModel(`
model M {
  input x: [batch, 1]
  target y: [batch, 1]
  forward { x -> dense(1) }
  loss mse
  optimizer sgd(lr: 1, weight_decay: ${weightDecay}${settings})
}`);
  const typeA: TensorType = { dtype: "f32", shape: [ga.length] };
  const typeB: TensorType = { dtype: "f32", shape: [gb.length] };
  const template = model.params[0]!;
  const fn: IrFunction = {
    kind: "train",
    model,
    inputs: [
      { name: "ga", type: typeA, span: model.span },
      { name: "gb", type: typeB, span: model.span },
    ],
    params: [
      { ...template, name: "a", shape: [ga.length], trainable: true },
      { ...template, name: "b", shape: [gb.length], trainable: true },
    ],
    state: [],
    scalars: [],
    eqns: [],
    types: new Map([
      ["a", typeA],
      ["b", typeB],
      ["ga", typeA],
      ["gb", typeB],
    ]),
    output: null,
    loss: null,
    gradients: new Map([
      ["a", "ga"],
      ["b", "gb"],
    ]),
    cotangents: new Map(),
    updates: [],
  };
  const optimized = appendOptimizer(fn, model.settings.optimizer!);
  const env = new Map<string, Float64Array>([
    ["a", new Float64Array(ga.length).fill(1)],
    ["b", new Float64Array(gb.length).fill(1)],
    ["ga", Float64Array.from(ga)],
    ["gb", Float64Array.from(gb)],
    [LR, Float64Array.of(1)],
    ["optimizer.step", Float64Array.of(0)],
  ]);
  const values = interpret(optimized.eqns, optimized.types, env);
  const after = (name: string) => {
    const update = optimized.updates.find((u) => u.target === name)!;
    return [...values.get(update.value)!.data].map((v) => 1 - v);
  };
  return [...after("a"), ...after("b")];
}

const expectClose = (actual: number[], expected: number[]) =>
  actual.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 12));

describe("gradient clipping (torch.nn.utils semantics)", () => {
  it("clip_grad_norm scales every gradient by max_norm / (global norm + 1e-6)", () => {
    // global norm of (3, 0) and (4) is 5
    const scale = 1 / (5 + 1e-6);
    expectClose(step(", clip_grad_norm: 1", [3, 0], [4]), [3 * scale, 0, 4 * scale]);
  });

  it("clip_grad_norm leaves gradients whose norm is below the bound", () => {
    expectClose(step(", clip_grad_norm: 10", [3, 0], [4]), [3, 0, 4]);
  });

  it("clip_grad_value clamps each element", () => {
    expectClose(step(", clip_grad_value: 0.5", [3, -0.2], [-4]), [0.5, -0.2, -0.5]);
  });

  it("clips values first, then the norm of the clamped gradients", () => {
    // clamped to (1, 1) and (-1): norm sqrt(3)
    const scale = 1 / (Math.sqrt(3) + 1e-6);
    expectClose(step(", clip_grad_value: 1, clip_grad_norm: 1", [3, 2], [-4]), [
      scale,
      scale,
      -scale,
    ]);
  });

  it("adds weight decay after clipping, as torch.optim.SGD adds it inside step()", () => {
    const scale = 1 / (5 + 1e-6);
    // parameters are 1: the step sees clipped g + 0.1 * 1
    expectClose(step(", clip_grad_norm: 1", [3, 0], [4], 0.1), [
      3 * scale + 0.1,
      0.1,
      4 * scale + 0.1,
    ]);
  });
});
