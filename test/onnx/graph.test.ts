import { describe, expect, it } from "vitest";
import { type ModelFunctions } from "../../compiler/emit/index.js";
import { onnx } from "../../compiler/onnx/graph.js";
import { exportOnnx } from "../../compiler/onnx/index.js";
import { onnxLowerings } from "../../compiler/onnx/lowerings.js";
import { opKinds } from "../../compiler/ops.js";
import { buildClean } from "./harness.js";

/** The exporter's own guarantees: determinism, the table, and E221 at the source. */

const source = `model Net {
  input x: [batch, 1, 6, 6]
  target y: [batch, 2]
  forward {
    x -> conv2d(2) -> relu -> dropout(0.5) -> flatten -> dense(2)
  }
  loss mse
  optimizer sgd(lr: 0.1)
}
`;

/** Every parameter of the model as zeros, in its shape. */
function zeros(functions: ModelFunctions) {
  return new Map(
    functions.model.params.map((p) => [
      p.name,
      { shape: p.shape, data: new Float32Array(p.shape.reduce((a, d) => a * d, 1)) },
    ]),
  );
}

describe("exportOnnx", () => {
  it("gives the same bytes for the same model", () => {
    const [functions] = buildClean(source, "net.nn");
    const a = exportOnnx(functions!, zeros(functions!));
    const b = exportOnnx(functions!, zeros(functions!));
    expect(a.diagnostics).toEqual([]);
    expect(a.bytes).toEqual(b.bytes);
    const graph = onnx.ModelProto.decode(a.bytes!).graph!;
    expect(graph.node!.map((n) => n.opType)).toEqual([
      "Conv",
      "Reshape",
      "Add",
      "Relu",
      "Flatten",
      "Gemm",
      "Add",
      "Identity",
    ]);
  });

  it("writes layernorm and batchnorm as LayerNormalization and BatchNormalization", () => {
    const [functions] = buildClean(
      `model Norms {
        input x: [batch, 3, 4]
        forward { x -> layernorm -> batchnorm(eps: 0.001) -> flatten -> dense(2) }
      }`,
      "norms.nn",
    );
    const graph = onnx.ModelProto.decode(
      exportOnnx(functions!, zeros(functions!), { opset: 17 }).bytes!,
    ).graph!;
    const nodes = graph.node!;
    expect(nodes.map((n) => n.opType)).toEqual([
      "LayerNormalization",
      "BatchNormalization",
      "Flatten",
      "Gemm",
      "Add",
      "Identity",
    ]);
    expect(nodes[0]!.input).toEqual(["x", "layernorm_1.weight", "layernorm_1.bias"]);
    expect(nodes[1]!.input).toEqual([
      nodes[0]!.output![0],
      "batchnorm_1.weight",
      "batchnorm_1.bias",
      "batchnorm_1.running_mean",
      "batchnorm_1.running_var",
    ]);
    expect(nodes[1]!.attribute!.map((a) => [a.name, a.f])).toEqual([
      ["epsilon", 0.0010000000474974513],
    ]);
  });

  it("has an ONNX entry for every op", () => {
    expect(Object.keys(onnxLowerings).sort()).toEqual([...opKinds].sort());
  });

  it("E221: a function with ops no prediction holds (a training step) is located and writes nothing", () => {
    const [functions] = buildClean(source, "net.nn");
    const training = { ...functions!, predict: functions!.train! };
    const result = exportOnnx(training, zeros(functions!));
    expect(result.bytes).toBeNull();
    const found = result.diagnostics.map((d) => `${d.span.start.line} ${d.code} ${d.message}`);
    expect(found).toContain(
      "5 E221 `dropout_mask` cannot be exported to ONNX: it belongs to training; a prediction has none",
    );
    expect(found).toContain(
      "5 E221 `conv2d_grad_weight` cannot be exported to ONNX: it only appears in derivatives, never in a prediction",
    );
  });
});
