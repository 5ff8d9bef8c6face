import { describe, expect, it } from "vitest";
import type { LayerKind } from "../../compiler/ir/types.js";
import { layerSpecs } from "../../compiler/lower/index.js";
import { onlyModel } from "../helpers/compile.js";

const argsByName = (source: string) =>
  Object.fromEntries(onlyModel(source).layers.map((l) => [l.name, { kind: l.kind, args: l.args }]));

describe("layers keep their arguments", () => {
  it("records written and defaulted arguments of every layer kind", () => {
    const layers = argsByName(`
model M {
  input x: [batch, 3, 12, 12]
  forward {
    x -> conv2d(8, kernel: 5, padding: same, bias: false, init: normal(0.02))
      -> batchnorm(momentum: 0.3, eps: 0.001) -> relu
      -> conv2d(4, stride: 2, padding: 1) -> maxpool2d(2, stride: 1)
      -> flatten -> dense(16, init: he) -> layernorm(eps: 0.01)
      -> maxout(6, pieces: 3) -> dropout(0.25) -> dropout(0)
      -> dense(2, bias: false)
  }
}`);
    expect(layers).toEqual({
      conv2d_1: {
        kind: "conv2d",
        args: {
          filters: 8,
          kernel: 5,
          stride: 1,
          padding: { top: 2, bottom: 2, left: 2, right: 2 },
          bias: false,
          init: { kind: "normal", std: 0.02 },
        },
      },
      batchnorm_1: { kind: "batchnorm", args: { momentum: 0.3, eps: 0.001 } },
      conv2d_2: {
        kind: "conv2d",
        args: {
          filters: 4,
          kernel: 3,
          stride: 2,
          padding: { top: 1, bottom: 1, left: 1, right: 1 },
          bias: true,
          init: { kind: "he" },
        },
      },
      maxpool2d_1: { kind: "maxpool2d", args: { size: 2, stride: 1 } },
      flatten_1: { kind: "flatten", args: {} },
      dense_1: { kind: "dense", args: { units: 16, bias: true, init: { kind: "he" } } },
      layernorm_1: { kind: "layernorm", args: { eps: 0.01 } },
      maxout_1: { kind: "maxout", args: { units: 6, pieces: 3, init: { kind: "xavier" } } },
      dropout_1: { kind: "dropout", args: { rate: 0.25 } },
      dropout_2: { kind: "dropout", args: { rate: 0 } },
      dense_2: { kind: "dense", args: { units: 2, bias: false, init: { kind: "xavier" } } },
    });
  });

  it("records embedding's vocabulary, width and init (N(0, 1) as torch.nn.Embedding)", () => {
    const layers = argsByName(`
model M {
  input ids: i32[batch, 6]
  forward {
    e = ids -> embedding(100, 8) -> mean(axis: 1)
    f = ids -> embedding(50, 4, init: uniform(0.1)) -> flatten -> dense(8)
    e + f
  }
}`);
    expect(layers["embedding_1"]).toEqual({
      kind: "embedding",
      args: { vocab: 100, dim: 8, init: { kind: "normal", std: 1 } },
    });
    expect(layers["embedding_2"]).toEqual({
      kind: "embedding",
      args: { vocab: 50, dim: 4, init: { kind: "uniform", limit: 0.1 } },
    });
  });

  it("covers every layer of the table", () => {
    const covered: readonly LayerKind[] = [
      "conv2d",
      "batchnorm",
      "maxpool2d",
      "flatten",
      "dense",
      "layernorm",
      "maxout",
      "dropout",
      "embedding",
      "conv1d",
      "avgpool2d",
      "global_avgpool",
    ];
    expect([...layerSpecs.keys()].sort()).toEqual([...covered].sort());
  });

  it("resolves padding same with an even kernel to more padding after, and defaults", () => {
    const layers = argsByName(`
model M {
  input x: [batch, 1, 8, 8]
  forward { x -> conv2d(2, kernel: 4, padding: same) -> batchnorm -> maxpool2d(2) }
}`);
    expect(layers["conv2d_1"]?.args).toEqual({
      filters: 2,
      kernel: 4,
      stride: 1,
      padding: { top: 1, bottom: 2, left: 1, right: 2 },
      bias: true,
      init: { kind: "he" },
    });
    expect(layers["batchnorm_1"]?.args).toEqual({ momentum: 0.1, eps: 1e-5 });
    expect(layers["maxpool2d_1"]?.args).toEqual({ size: 2, stride: 2 });
  });

  it("records conv1d, avgpool2d and global_avgpool arguments, written and defaulted", () => {
    const signal = argsByName(`
model M {
  input x: [batch, 2, 16]
  forward {
    x -> conv1d(4, kernel: 4, padding: same) -> conv1d(3, stride: 2, padding: 1, bias: false)
  }
}`);
    expect(signal).toEqual({
      conv1d_1: {
        kind: "conv1d",
        args: {
          filters: 4,
          kernel: 4,
          stride: 1,
          padding: { left: 1, right: 2 },
          bias: true,
          init: { kind: "he" },
        },
      },
      conv1d_2: {
        kind: "conv1d",
        args: {
          filters: 3,
          kernel: 3,
          stride: 2,
          padding: { left: 1, right: 1 },
          bias: false,
          init: { kind: "he" },
        },
      },
    });
    const image = argsByName(`
model M {
  input x: [batch, 2, 8, 8]
  forward { x -> avgpool2d(3, stride: 1, padding: 1) -> avgpool2d(2) -> global_avgpool }
}`);
    expect(image).toEqual({
      avgpool2d_1: { kind: "avgpool2d", args: { size: 3, stride: 1, padding: 1 } },
      avgpool2d_2: { kind: "avgpool2d", args: { size: 2, stride: 2, padding: 0 } },
      global_avgpool_1: { kind: "global_avgpool", args: {} },
    });
  });

  it("narrows the arguments by the layer's kind", () => {
    const m = onlyModel(`
model M {
  input x: [batch, 4]
  forward { x -> dense(3) -> dropout(0.5) }
}`);
    const described = m.layers.map((layer) => {
      switch (layer.kind) {
        case "dense":
          return `Linear(?, ${layer.args.units}, bias=${layer.args.bias})`;
        case "dropout":
          return `Dropout(${layer.args.rate})`;
        default:
          return layer.kind;
      }
    });
    expect(described).toEqual(["Linear(?, 3, bias=true)", "Dropout(0.5)"]);
  });
});
