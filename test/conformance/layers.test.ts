import { describe, it } from "vitest";
import { backendVariants } from "../helpers/backends.js";
import { type ConformanceCase, checkConformance } from "./harness.js";

// Generated code against the IR, step by step: shape operations, reductions, norm layers,
// maxout and weight penalties.

describe.each(backendVariants)("conformance: shapes, reductions and layers ($name)", (variant) => {
  const check = (c: ConformanceCase) => checkConformance(c, variant);

  it("concat of two branches along the last axis", () =>
    check({
      source: `
model M {
  input  x: [batch, 4]
  target y: [batch, 2]
  forward {
    a = x -> dense(3) -> relu
    b = x -> dense(2) -> tanh
    concat(a, b, 1) -> dense(5) -> concat(x, -1) -> dense(2)
  }
  loss      mse
  optimizer sgd(lr: 0.2)
}`,
    }));

  it("concat along a middle axis", () =>
    check({
      source: `
model M {
  input  x: [batch, 2, 3]
  input  z: [batch, 3, 3]
  target y: [batch, 4]
  forward {
    c = concat(x -> dense(3), z -> dense(3) -> tanh, axis: 1)
    c -> flatten -> dense(4)
  }
  loss      mse
  optimizer sgd(lr: 0.1)
}`,
    }));

  it("transpose and matmul in the forward pass, reshape and flatten", () =>
    check({
      source: `
model M {
  input  x: [batch, 12]
  target y: [batch, 3]
  forward {
    img = x -> reshape([batch, 3, 4])
    h = img -> dense(5) -> tanh
    t = transpose(h)
    m = matmul(h, t)
    g = matmul(t, img)
    r = reshape(m, [batch, -1])
    f = g -> flatten
    concat(r, f, 1) -> dense(3)
  }
  loss      mse
  optimizer sgd(lr: 0.05, momentum: 0.9)
}`,
    }));

  it("matmul of an activation with a layer weight", () =>
    check({
      source: `
model M {
  input  x: [batch, 4]
  target y: [batch, 4]
  forward {
    code = x -> dense(3) as enc -> tanh
    matmul(code, enc.weight) -> sigmoid
  }
  loss      mse
  optimizer sgd(lr: 0.5)
}`,
      data: { y: "unit" },
    }));

  it("max_over, sum and mean with axis and keepdims", () =>
    check({
      source: `
model M {
  input  x: [batch, 5, 3]
  target y: [batch, 2]
  forward {
    h = x -> dense(3) -> tanh
    total   = sum(h)
    per_row = mean(h, axis: -1)
    peak    = max_over(h, axis: 1, keepdims: true)
    low     = max_over(-h, axis: 2)
    scaled  = h / (2 + peak) - total / 10 + mean(h, axis: 0, keepdims: true)
    k = concat(per_row, sum(scaled, axis: 2), 1)
    (concat(k, low, 1) -> dense(4) -> relu -> dense(2)) + max_over(h)
  }
  loss      mse
  optimizer sgd(lr: 0.1)
}`,
    }));

  it("broadcasting across a middle axis of size 1 and a dense on a rank-3 value", () =>
    check({
      source: `
model M {
  input  x: [batch, 3, 1]
  input  z: [batch, 1, 4]
  target y: [batch, 3, 2]
  forward {
    p = x * z + z -> dense(4) -> relu
    q = sum(p, axis: 1, keepdims: true)
    (p - q / 3) * x -> dense(2)
  }
  loss      mse
  optimizer sgd(lr: 0.1)
}`,
    }));

  it("one_hot of an i32 input joined to features", () =>
    check({
      source: `
model M {
  input  x: [batch, 3]
  input  ids: i32[batch]
  target y: [batch, 2]
  forward { concat(x, one_hot(ids, 4), 1) -> dense(5) -> relu -> dense(2) }
  loss      mse
  optimizer sgd(lr: 0.1)
}`,
    }));

  it("batchnorm on [batch, n], training then running statistics", () =>
    check({
      source: `
model M {
  input  x: [batch, 4]
  target y: [batch, 2]
  forward {
    x -> dense(6) -> batchnorm -> relu
      -> dense(5, bias: false) -> batchnorm(momentum: 0.3, eps: 0.001) -> tanh -> dense(2)
  }
  loss      mse
  optimizer sgd(lr: 0.2, momentum: 0.9)
}`,
    }));

  it("batchnorm on [batch, c, l]", () =>
    check({
      source: `
model M {
  input  x: [batch, 3, 4]
  target y: [batch, 2]
  forward { x -> batchnorm -> dense(2) -> flatten -> dense(2) }
  loss      mse
  optimizer sgd(lr: 0.2)
}`,
    }));

  it("layernorm on [batch, n] and [batch, s, n]", () =>
    check({
      source: `
model M {
  input  x: [batch, 3, 5]
  target y: [batch, 2]
  forward {
    h = x -> layernorm -> dense(4) -> relu -> layernorm(eps: 0.01)
    h -> flatten -> dense(6) -> layernorm -> tanh -> dense(2)
  }
  loss      mse
  optimizer adam(lr: 0.01)
}`,
    }));

  it("maxout with 2 and 3 pieces", () =>
    check({
      source: `
model M {
  input  x: [batch, 4]
  target y: i32[batch]
  forward { x -> maxout(5) -> maxout(3, pieces: 3) -> dense(3) -> softmax }
  loss      cross_entropy
  optimizer sgd(lr: 0.3)
}`,
    }));

  it("l1 and l2 penalties on weights and on one layer's weight", () =>
    check({
      source: `
model M {
  input  x: [batch, 4]
  target y: [batch, 2]
  forward { x -> dense(5) as fc1 -> tanh -> dense(4) -> relu -> dense(2) as head }
  loss      mse + 0.01 * l1(weights) + 0.05 * l2(weights) + 0.1 * l2(head.weight) + 0.02 * l1(fc1.weight)
  optimizer sgd(lr: 0.1)
}`,
    }));

  it("a loss of output and parameters written by hand", () =>
    check({
      source: `
model M {
  input  x: [batch, 3]
  target y: [batch, 2]
  forward { x -> dense(4) as hidden -> tanh -> dense(2) }
  loss      mean((output - y)^2) + 0.01 * sum(abs(hidden.bias)) + 0.001 * l2(hidden.weight, hidden.bias)
  optimizer sgd(lr: 0.2)
}`,
    }));
});
