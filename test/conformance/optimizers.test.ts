import { describe, it } from "vitest";
import { backendVariants } from "../helpers/backends.js";
import { type ConformanceCase, checkConformance } from "./harness.js";

// Generated code against the IR, step by step: every optimizer and its options, on a model
// with weights, biases and batch-norm buffers (the dense before batchnorm has no bias, whose
// gradient would be zero up to rounding: adaptive optimizers amplify that noise).

const model = (optimizer: string) => `
model M {
  input  x: [batch, 4]
  target y: [batch, 2]
  forward {
    x -> dense(5) -> tanh -> dense(6, bias: false) -> batchnorm -> relu -> dense(1) as one
      -> dense(2)
  }
  loss      mse
  optimizer ${optimizer}
}`;

const optimizers = [
  "sgd(lr: 0.1)",
  "sgd(lr: 0.1, momentum: 0.9)",
  "sgd(lr: 0.1, momentum: 0.9, nesterov: true, weight_decay: 0.01)",
  "sgd(lr: 0.1, momentum: 0.8, dampening: 0.3)",
  "sgd(lr: 0.1, weight_decay: 0.05)",
  "adagrad(lr: 0.1)",
  "adagrad(lr: 0.1, eps: 1e-6, weight_decay: 0.1)",
  "rmsprop(lr: 0.01)",
  "rmsprop(lr: 0.01, alpha: 0.9, momentum: 0.9)",
  "rmsprop(lr: 0.01, eps: 1e-6, weight_decay: 0.1, momentum: 0.5)",
  "adadelta()",
  "adadelta(lr: 0.5, rho: 0.8, eps: 1e-5, weight_decay: 0.1)",
  "adam()",
  "adam(lr: 0.01, beta1: 0.8, beta2: 0.9, eps: 1e-6, weight_decay: 0.01)",
  "adamw()",
  "adamw(lr: 0.01, weight_decay: 0.1, beta1: 0.5)",
];

describe.each(backendVariants)("conformance: optimizers ($name)", (variant) => {
  const check = (c: ConformanceCase) => checkConformance(c, variant);

  for (const optimizer of optimizers) {
    it(optimizer, () => check({ source: model(optimizer) }));
  }

  // (Not with batchnorm: a batch of one has no unbiased variance.)
  it("four steps of adam with batches 5, 3, 1, 5, and a batch of 1 to predict", () =>
    check({
      source: `
model M {
  input  x: [batch, 4]
  target y: [batch, 2]
  forward { x -> dense(5) -> tanh -> dense(3) -> relu -> dense(2) }
  loss      mse
  optimizer adam(lr: 0.01)
}`,
      steps: [5, 3, 1, 5],
      evalBatch: 1,
    }));
});
