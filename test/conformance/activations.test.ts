import { describe, it } from "vitest";
import { backendVariants } from "../helpers/backends.js";
import { type ConformanceCase, checkConformance } from "./harness.js";

// Generated code against the IR, step by step: activations, losses, functions and blocks.

describe.each(backendVariants)("conformance: activations and losses ($name)", (variant) => {
  const check = (c: ConformanceCase) => checkConformance(c, variant);

  it("relu, tanh and sigmoid dense stack with mse (plain sgd)", () =>
    check({
      source: `
model M {
  input  x: [batch, 4]
  target y: [batch, 2]
  forward { x -> dense(6) -> relu -> dense(5) -> tanh -> dense(2) -> sigmoid }
  loss      mse
  optimizer sgd(lr: 0.3)
}`,
    }));

  it("leaky_relu, elu and gelu with mae (sgd, momentum)", () =>
    check({
      source: `
model M {
  input  x: [batch, 3]
  target y: [batch, 2]
  forward {
    x -> dense(5) -> leaky_relu(alpha: 0.2) -> dense(5) -> elu(alpha: 0.7)
      -> dense(4) -> gelu -> dense(2)
  }
  loss      mae
  optimizer sgd(lr: 0.1, momentum: 0.9)
}`,
    }));

  it("softplus and swish with huber(delta: 0.5) (adam)", () =>
    check({
      source: `
model M {
  input  x: [batch, 3]
  target y: [batch, 3]
  forward { x -> dense(7) -> softplus -> dense(5) -> swish -> dense(3) }
  loss      huber(delta: 0.5)
  optimizer adam(lr: 0.05)
}`,
      data: { x: "uniform", y: "uniform" },
    }));

  it("softmax with cross_entropy on i32 class ids", () =>
    check({
      source: `
model M {
  input  x: [batch, 4]
  target y: i32[batch]
  forward { x -> dense(6) -> relu -> dense(3) -> softmax }
  loss      cross_entropy
  optimizer adam(lr: 0.01)
}`,
    }));

  it("softmax with cross_entropy on one-hot f32 targets", () =>
    check({
      source: `
model M {
  input  x: [batch, 4]
  target y: [batch, 5]
  forward { x -> dense(6) -> tanh -> dense(5) -> softmax }
  loss      cross_entropy
  optimizer sgd(lr: 0.5)
}`,
      data: { y: "onehot" },
    }));

  it("cross_entropy of a softmax written by hand (not fused)", () =>
    check({
      source: `
model M {
  input  x: [batch, 4]
  target y: i32[batch]
  forward {
    e = x -> dense(3) -> exp
    e / sum(e, axis: -1, keepdims: true)
  }
  loss      cross_entropy
  optimizer sgd(lr: 0.5)
}`,
    }));

  it("sigmoid with binary_cross_entropy on several outputs", () =>
    check({
      source: `
model M {
  input  x: [batch, 5]
  target y: [batch, 3]
  forward { x -> dense(4) -> tanh -> dense(3) -> sigmoid }
  loss      binary_cross_entropy
  optimizer sgd(lr: 0.5, momentum: 0.5)
}`,
      data: { y: "unit" },
    }));

  it("binary_cross_entropy of a probability not straight from a sigmoid", () =>
    check({
      source: `
model M {
  input  x: [batch, 3]
  target y: [batch, 2]
  forward { x -> dense(2) -> sigmoid -> clip(0.05, 0.95) }
  loss      binary_cross_entropy
  optimizer sgd(lr: 0.5)
}`,
      data: { y: "unit" },
    }));

  it("log_softmax with a negative log-likelihood written by hand", () =>
    check({
      source: `
model M {
  input  x: [batch, 4]
  target y: [batch, 3]
  forward { x -> dense(5) -> relu -> dense(3) -> log_softmax }
  loss      -mean(sum(output * y, axis: 1))
  optimizer sgd(lr: 0.2, momentum: 0.9)
}`,
      data: { y: "onehot" },
    }));

  it("softmax over axis 1 of a rank-3 value", () =>
    check({
      source: `
model M {
  input  x: [batch, 3, 4]
  target y: [batch, 3, 2]
  forward { x -> dense(2) -> softmax(axis: 1) }
  loss      mse
  optimizer sgd(lr: 0.5)
}`,
    }));

  it("a custom fn (swish by hand, a default argument) and a block used twice", () =>
    check({
      source: `
fn my_swish(x, beta = 1.0) = x * sigmoid(beta * x)
block hidden(units, beta = 1.0) {
  dense(units) -> my_swish(beta: beta)
}
model M {
  input  x: [batch, 4]
  target y: [batch, 2]
  forward { x -> hidden(6) -> hidden(5, beta: 1.5) -> dense(2) }
  loss      mse
  optimizer sgd(lr: 0.2)
}`,
    }));

  it("repeat 3 { dense -> tanh } with dropout(0)", () =>
    check({
      source: `
model M {
  input  x: [batch, 4]
  target y: [batch, 1]
  forward { x -> repeat 3 { dense(5) -> tanh -> dropout(0) } -> dense(1) }
  loss      mse
  optimizer sgd(lr: 0.2, momentum: 0.9)
}`,
    }));

  it("residual additions with named bindings", () =>
    check({
      source: `
model M {
  input  x: [batch, 4]
  target y: [batch, 3]
  forward {
    h = x -> dense(6) -> relu
    r = h -> dense(6) -> tanh
    s = h + r
    t = s -> dense(6) -> sigmoid
    (s + t * h) -> dense(3)
  }
  loss      mse
  optimizer adam(lr: 0.01)
}`,
    }));

  it("an elementwise expression mix: where, comparisons, clip, pow, abs, sqrt, log, max, min", () =>
    check({
      source: `
model M {
  input  x: [batch, 3]
  target y: [batch, 2]
  forward {
    a = x -> dense(4)
    b = x -> dense(4) -> sigmoid
    c = clip(max(a, b) - min(a, 0), -3, 3)
    d = where(a > 0, c, 0.01 * c) + sqrt(b + 1) * log(1 + abs(a)) - square(b) / (1 + a^2)
    e = exp(-abs(d)) + sin(d) * cos(a) + log1p(b) + sign(a) * a
    e -> dense(2)
  }
  loss      mse
  optimizer sgd(lr: 0.1)
}`,
    }));
});
