import { describe, it } from "vitest";
import { backendVariants } from "../helpers/backends.js";
import { type ConformanceCase, checkConformance } from "./harness.js";

// Generated code against the IR, step by step: convolutions, pooling, batch norm on images.

describe.each(backendVariants)("conformance: convolution and pooling ($name)", (variant) => {
  const check = (c: ConformanceCase) => checkConformance(c, variant);

  it("conv2d padding same, batchnorm on [batch, c, h, w], maxpool2d, softmax", () =>
    check({
      source: `
model M {
  input  x: [batch, 2, 6, 6]
  target y: i32[batch]
  forward {
    x -> conv2d(3, padding: same) -> batchnorm -> relu -> maxpool2d(2)
      -> flatten -> dense(4) -> softmax
  }
  loss      cross_entropy
  optimizer sgd(lr: 0.1, momentum: 0.9)
}`,
    }));

  it("conv2d padding valid with stride 2, then a second conv with integer padding", () =>
    check({
      source: `
model M {
  input  x: [batch, 1, 7, 7]
  target y: [batch, 3]
  forward {
    x -> conv2d(4, kernel: 3, stride: 2) -> tanh
      -> conv2d(2, kernel: 2, padding: 1, bias: false) -> relu -> flatten -> dense(3)
  }
  loss      mse
  optimizer sgd(lr: 0.05)
}`,
    }));

  it("conv2d with an even kernel and padding same (extra row and column after)", () =>
    check({
      source: `
model M {
  input  x: [batch, 3, 5, 4]
  target y: [batch, 2]
  forward { x -> conv2d(2, kernel: 2, padding: same) -> sigmoid -> flatten -> dense(2) }
  loss      mse
  optimizer sgd(lr: 0.2)
}`,
    }));

  it("conv2d with stride 2 and integer padding, 1x1 kernels", () =>
    check({
      source: `
model M {
  input  x: [batch, 2, 6, 5]
  target y: [batch, 2]
  forward {
    x -> conv2d(3, kernel: 3, stride: 2, padding: 2) -> relu
      -> conv2d(4, kernel: 1) -> flatten -> dense(2)
  }
  loss      mse
  optimizer adam(lr: 0.01)
}`,
    }));

  it("overlapping and uneven max pooling windows", () =>
    check({
      source: `
model M {
  input  x: [batch, 2, 7, 7]
  target y: [batch, 2]
  forward {
    a = x -> conv2d(3) -> maxpool2d(2, stride: 1)
    b = x -> maxpool2d(3)
    concat(a -> flatten, b -> flatten, 1) -> dense(2)
  }
  loss      mse
  optimizer sgd(lr: 0.1)
}`,
    }));

  it("a small LeNet: conv, batchnorm, pool, conv, pool, dense, cross_entropy (adam)", () =>
    check({
      source: `
model M {
  input  x: [batch, 1, 10, 10]
  target y: i32[batch]
  forward {
    x -> conv2d(4, kernel: 3, padding: same, bias: false) -> batchnorm -> relu -> maxpool2d(2)
      -> conv2d(6, kernel: 3) -> relu -> maxpool2d(2)
      -> flatten -> dense(8) -> relu -> dense(3) -> softmax
  }
  loss      cross_entropy + 0.001 * l2(weights)
  optimizer adam(lr: 0.01)
}`,
    }));

  it("reshape of a flat input into an image, and reductions over image axes", () =>
    check({
      source: `
model M {
  input  x: [batch, 32]
  target y: [batch, 2]
  forward {
    img = x -> reshape([batch, 2, 4, 4])
    c = img -> conv2d(3, padding: 1) -> elu
    pooled = mean(c, axis: -1)
    peak = max_over(c, axis: 1)
    concat(pooled -> flatten, peak -> flatten, 1) -> dense(2)
  }
  loss      mse
  optimizer sgd(lr: 0.1)
}`,
    }));
  it("conv1d padding same, then stride 2 with integer padding and no bias", () =>
    check({
      source: `
model M {
  input  x: [batch, 2, 9]
  target y: i32[batch]
  forward {
    x -> conv1d(3, kernel: 3, padding: same) -> relu
      -> conv1d(4, kernel: 2, stride: 2, padding: 1, bias: false) -> tanh
      -> reshape([batch, 4, 5]) -> flatten -> dense(3) -> softmax
  }
  loss      cross_entropy
  optimizer adam(lr: 0.01)
}`,
    }));

  it("avgpool2d with padding counted, overlapping and strided windows, then global_avgpool", () =>
    check({
      source: `
model M {
  input  x: [batch, 2, 7, 6]
  target y: [batch, 3]
  forward {
    a = x -> conv2d(2, padding: same) -> avgpool2d(3, stride: 2, padding: 1) -> flatten
    b = x -> conv2d(3, padding: same) -> relu -> avgpool2d(2, stride: 1) -> global_avgpool
    c = x -> conv2d(2, kernel: 1) -> avgpool2d(2, padding: 1) -> flatten
    d = x -> conv2d(2, kernel: 1) -> avgpool2d(3) -> flatten
    concat(concat(a, b, 1), concat(c, d, 1), 1) -> dense(3)
  }
  loss      mse
  optimizer sgd(lr: 0.1)
}`,
    }));
});
