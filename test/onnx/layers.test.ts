import { describe, it } from "vitest";
import { compareWithPredict } from "./harness.js";

/**
 * Deliverable 2 beyond the examples: models with every layer and op group a prediction can
 * hold (convolutions, pooling, batch and layer norm, embedding, maxout, custom `fn`, `block`
 * and `repeat`, several inputs, reductions, shape ops, every elementwise built-in), each run in
 * ONNX Runtime against nnc's predict.
 */

const models: Readonly<Record<string, string>> = {
  "conv2d, batchnorm, maxpool2d, avgpool2d, global_avgpool": `
model Conv {
  input x: [batch, 2, 9, 9]
  forward {
    x -> conv2d(4, padding: same) -> batchnorm -> relu -> maxpool2d(2)
      -> conv2d(3, kernel: 2, stride: 2, padding: 1) -> avgpool2d(2, stride: 1, padding: 1)
      -> global_avgpool -> dense(3) -> softmax
  }
}`,
  "conv1d and batchnorm over [batch, c, l]": `
model Signal {
  input x: [batch, 2, 16]
  forward {
    x -> conv1d(4, kernel: 5, stride: 2, padding: 2) -> batchnorm -> relu
      -> conv1d(3, bias: false) -> flatten -> dense(3) -> softmax
  }
}`,
  "embedding, layernorm, gelu, maxout, mean over an axis": `
model Tokens {
  input ids: i32[batch, 6]
  forward {
    ids -> embedding(10, 8) -> layernorm -> gelu -> maxout(4, pieces: 3)
      -> mean(axis: 1) -> dense(2) -> log_softmax
  }
}`,
  "custom fn, block, repeat, dropout, two inputs": `
fn swish(v) = v * sigmoid(v)
fn mix(a, b, w = 0.25) = w * a + (1 - w) * b
block unit(width, rate = 0.2) { dense(width) -> swish -> dropout(rate) }
model Multi {
  input a: [batch, 5]
  input b: [batch, 3]
  forward {
    h = a -> repeat 2 { unit(6) } -> concat(b, -1)
    g = h -> layernorm(eps: 0.001) -> dense(9) -> elu(alpha: 0.5)
    mix(g, h) -> dense(2) -> softplus
  }
}`,
  "every elementwise built-in": `
model Elementwise {
  input x: [batch, 4]
  forward {
    a = exp(-square(x)) + log1p(abs(x)) + sqrt(abs(x) + 1e-6) + log(sigmoid(x))
    b = sin(x) * cos(x) + tanh(x) * sign(x) + pow(softplus(x), 2) + relu(x)^0.5
    c = clip(max(a, b) - min(a, 0), -3, 3) + step(x) + (x >= 0.5) - (x != 0)
    d = where(x > 0, c, 0.01 * c) + (x < -1) * 2 + (x <= 1) + (x == 0)
    d -> dense(2) -> leaky_relu(alpha: 0.2) -> gelu
  }
}`,
  reductions: `
model Reductions {
  input x: [batch, 5, 3]
  forward {
    total = sum(x)
    per_row = mean(x, axis: -1)
    peak = max_over(x, axis: 1, keepdims: true)
    // the mean over every axis divides by a count with the batch size in it
    scaled = x / (abs(peak) + 1) - total + mean(x)
    concat(per_row, sum(scaled, axis: 2), 1) -> dense(2)
  }
}`,
  "shape ops and one_hot": `
model ShapeOps {
  input x: [batch, 3, 4]
  input ids: i32[batch]
  forward {
    t = transpose(x)
    m = matmul(x, t)
    r = reshape(m, [batch, -1])
    k = concat(r, one_hot(ids, 7), 1)
    k -> dense(2)
  }
}`,
  "reshape with the batch dimension, clip, leaky_relu, residual": `
model Pipelines {
  input x: [batch, 16]
  input extra: [batch, 3]
  forward {
    img = x -> reshape([batch, 1, 4, 4]) -> clip(0, 1)
    v = img -> flatten -> dense(5) -> concat(extra, -1) -> leaky_relu(alpha: 0.2)
    (v -> dense(8) -> relu -> dense(8)) + v
  }
}`,
};

describe("layer and op models equal nnc predict in ONNX Runtime", () => {
  for (const [what, source] of Object.entries(models)) {
    it(what, async () => {
      await compareWithPredict(source);
    });
  }

  for (const opset of [17, 18, 19, 20]) {
    it(`opset ${opset}: gelu, layernorm, reductions`, async () => {
      await compareWithPredict(
        models["embedding, layernorm, gelu, maxout, mean over an axis"]!,
        "m.nn",
        {
          opset,
        },
      );
      await compareWithPredict(models["reductions"]!, "m.nn", { opset });
    });
  }
});
