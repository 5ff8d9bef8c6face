import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { beforeAll, describe, expect, it } from "vitest";
import { type ValueInfoProto, onnx } from "../../compiler/onnx/graph.js";
import { nnc } from "../helpers/cli.js";
import { expectClose } from "./harness.js";

/**
 * `nnc export`: a trained checkpoint's model as an ONNX file that ONNX Runtime runs on raw
 * feature rows (the checkpoint's scaling is in the graph) to what `nnc predict` prints; and
 * the command's errors, each one line naming what is wrong.
 */

const model = `model Three {
  input  x: [batch, 3]
  target y: [batch, 1]
  forward { x -> dense(4) -> batchnorm -> tanh -> dropout(0.3) -> dense(1) -> sigmoid }
  loss binary_cross_entropy
  optimizer sgd(lr: 0.5)
  train { epochs: 2, batch_size: 2, shuffle: false }
  data { source: csv("d.csv", target: "y"), normalize: standard }
}
`;
const other = `model Other {
  input  x: [batch, 3]
  target y: [batch, 1]
  forward { x -> dense(2) -> dense(1) }
  loss mse
  optimizer sgd(lr: 0.1)
  train { epochs: 1, batch_size: 2 }
  data { source: csv("d.csv", target: "y") }
}
`;
const trainCsv = "a,b,c,y\n0,10,5,0\n1,20,3,1\n2,30,1,1\n3,40,0,0\n";
const newRows = [
  [0.5, 15, 4],
  [2.5, 35, 0.5],
  [-1, 50, 2],
];

let dir = "";
const js = ["--backend", "js"];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "nnc-export-cli-"));
  const files = {
    "m.nn": model,
    "other.nn": other,
    "d.csv": trainCsv,
    "new.csv": `a,b,c\n${newRows.map((r) => r.join(",")).join("\n")}\n`,
    "bad.nn": "model Bad { input x: [batch, 2] forward { x -> dense(3) + x } }\n",
    "notes.txt": "not a checkpoint",
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  for (const [source, save] of [
    ["m.nn", "w.safetensors"],
    ["other.nn", "o.safetensors"],
  ] as const) {
    const trained = await nnc(["train", source, "--save", save, "--quiet", ...js], dir);
    expect(trained.stderr).toBe("");
    expect(trained.code).toBe(0);
  }
});

describe("nnc export", () => {
  it("writes FILE.onnx beside the source, which ONNX Runtime runs as nnc predict does", async () => {
    const result = await nnc(["export", "m.nn", "--load", "w.safetensors"], dir);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("wrote m.onnx (Three, ONNX opset 17)\n");
    const bytes = readFileSync(join(dir, "m.onnx"));

    const predicted = await nnc(
      ["predict", "m.nn", "--load", "w.safetensors", "--data", "new.csv", ...js],
      dir,
    );
    expect(predicted.code).toBe(0);
    const lines = predicted.stdout.trim().split("\n");
    expect(lines[0]).toBe("output,predicted");
    const expected = lines.slice(1).map((l) => Number(l.split(",")[0]));

    const session = await ort.InferenceSession.create(bytes);
    const x = new ort.Tensor("float32", Float32Array.from(newRows.flat()), [newRows.length, 3]);
    const out = (await session.run({ x }))["output"]!;
    expect(out.dims).toEqual([3, 1]);
    expectClose(out.data as Float32Array, expected, "m.onnx");
    await session.release();
  });

  it("names inputs and outputs as the model does, the batch symbolic, scaling first, no dropout", () => {
    const proto = onnx.ModelProto.decode(readFileSync(join(dir, "m.onnx")));
    expect(proto.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([["", 17]]);
    const graph = proto.graph!;
    expect(graph.name).toBe("Three");
    const dims = (v: ValueInfoProto) =>
      v.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
    expect(graph.input!.map((i) => [i.name, dims(i)])).toEqual([["x", ["batch", 3]]]);
    expect(graph.output!.map((o) => [o.name, dims(o)])).toEqual([["output", ["batch", 1]]]);
    expect(graph.node!.slice(0, 2).map((n) => [n.opType, n.input![0]])).toEqual([
      ["Sub", "x"],
      ["Div", "x/centred"],
    ]);
    const ops = graph.node!.map((n) => n.opType);
    // batch norm is one op on its running statistics: no batch statistic is computed
    expect(ops).toContain("BatchNormalization");
    expect(ops.filter((op) => op?.startsWith("Reduce"))).toEqual([]);
    expect(ops).not.toContain("Dropout");
    expect(ops).not.toContain("RandomUniformLike");
    const initializers = graph.initializer!.map((t) => t.name);
    for (const name of [
      "normalize.shift",
      "normalize.scale",
      "dense_1.weight",
      "batchnorm_1.running_mean",
      "batchnorm_1.running_var",
    ])
      expect(initializers).toContain(name);
    expect(initializers).not.toContain("batchnorm_1.num_batches_tracked");
  });

  it("writes -o with the --opset asked for", async () => {
    const result = await nnc(
      ["export", "m.nn", "--load", "w.safetensors", "-o", "out/three.onnx", "--opset", "20"],
      dir,
    );
    expect(result.stderr).toBe("");
    expect(result.stdout).toBe("wrote out/three.onnx (Three, ONNX opset 20)\n");
    const proto = onnx.ModelProto.decode(readFileSync(join(dir, "out/three.onnx")));
    expect(Number(proto.opsetImport[0]!.version)).toBe(20);
    const session = await ort.InferenceSession.create(readFileSync(join(dir, "out/three.onnx")));
    await session.release();
  });

  const errors: Readonly<Record<string, readonly [readonly string[], RegExp]>> = {
    "no --load": [["export", "m.nn"], /^nnc: export needs --load CKPT/],
    "another format": [
      ["export", "m.nn", "--load", "w.safetensors", "--format", "tflite"],
      /^nnc: unknown --format 'tflite'; nnc exports: onnx\n$/,
    ],
    "an opset below 17": [
      ["export", "m.nn", "--load", "w.safetensors", "--opset", "16"],
      /^nnc: --opset expects an ONNX opset from 17 to 20, got '16'\n$/,
    ],
    "an opset that is no number": [
      ["export", "m.nn", "--load", "w.safetensors", "--opset", "17.5"],
      /^nnc: --opset expects an ONNX opset from 17 to 20, got '17.5'\n$/,
    ],
    "a missing checkpoint": [
      ["export", "m.nn", "--load", "missing.safetensors"],
      /^nnc: cannot read missing\.safetensors: no such file or directory\n$/,
    ],
    "a file that is no checkpoint": [
      ["export", "m.nn", "--load", "notes.txt"],
      /^nnc: .*notes\.txt/,
    ],
    "the checkpoint of another model": [
      ["export", "m.nn", "--load", "o.safetensors"],
      /^nnc: .*o\.safetensors.*dense_1\.weight: expected \[4, 3\], found \[2, 3\].*missing batchnorm_1\.weight/,
    ],
    "an output over the source": [
      ["export", "m.nn", "--load", "w.safetensors", "-o", "m.nn"],
      /^nnc: -o m\.nn would overwrite the source m\.nn/,
    ],
    "an output over the checkpoint": [
      ["export", "m.nn", "--load", "w.safetensors", "-o", "w.safetensors"],
      /^nnc: -o w\.safetensors would overwrite --load w\.safetensors/,
    ],
    "a model the file lacks": [
      ["export", "m.nn", "--load", "w.safetensors", "--model", "Thre"],
      /^nnc: m\.nn has no model named Thre/,
    ],
    "a source with errors": [["export", "bad.nn", "--load", "w.safetensors"], /error\[E/],
  };
  for (const [what, [args, stderr]] of Object.entries(errors)) {
    it(`fails on ${what}, writing nothing`, async () => {
      const result = await nnc([...args], dir);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr).toMatch(stderr);
      expect(existsSync(join(dir, "bad.onnx"))).toBe(false);
    });
  }
});
