/**
 * model.py against nnc itself: for every example and the layer models of ./models, the
 * module's forward (PyTorch, evaluation mode) on nnc's weights equals `predict` of the
 * compiled model within |a - b| <= 1e-5 + 1e-4 |b|. Weights are the initial ones with every
 * tensor moved by noise (biases and batch-norm statistics are not all zeros and ones then),
 * written by the runtime's `save` as `nnc train --save` writes them. One Python process runs
 * every model. End to end, model.py on `nnc train --save`'s checkpoint and raw CSV rows
 * (normalised with the checkpoint's statistics) equals `nnc predict`'s CSV. Skipped with the
 * reason when no Python imports torch, failed instead under CI or NNC_REQUIRE_TORCH.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { build } from "../../compiler/pipeline.js";
import { emitPytorch } from "../../compiler/pytorch/index.js";
import { nnc } from "../helpers/cli.js";
import { readRepoFile, repoRoot } from "../helpers/compile.js";
import { expectGolden } from "../helpers/golden.js";
import {
  checkCases,
  mismatches,
  prepareCases,
  readFloats,
  runForwards,
  skip,
  title,
} from "./forward-cases.js";

const sources = [
  ...readdirSync(join(repoRoot, "examples"))
    .filter((f) => f.endsWith(".nn"))
    .map((f) => `examples/${f}`),
  ...readdirSync(join(repoRoot, "examples/course"))
    .filter((f) => f.endsWith(".nn"))
    .map((f) => `examples/course/${f}`),
  ...readdirSync(join(repoRoot, "test/pytorch/models"))
    .filter((f) => f.endsWith(".nn"))
    .map((f) => `test/pytorch/models/${f}`),
];

describe("model.py (golden)", () => {
  // the perceptron's loss reads its binding z: forward's values=True path
  const goldens = [
    "examples/residual.nn",
    "test/pytorch/models/layers.nn",
    "examples/course/01-perceptron.nn",
  ];
  for (const source of goldens) {
    it(source, () => {
      const print = () => {
        const result = build(readRepoFile(source), source);
        const project = emitPytorch(result.models!, source);
        expect(project.diagnostics).toEqual([]);
        return project.files.find((f) => f.name === "model.py")!.text;
      };
      const text = print();
      const name = source.split("/").pop()!.replace(/\.nn$/, ".model.py");
      expectGolden(join(repoRoot, "test/golden/pytorch", name), text);
      // The same .nn gives the same bytes.
      expect(print()).toBe(text);
    });
  }
});

describe.skipIf(skip)(`model.py forward equals nnc predict${title}`, () => {
  it("on every example and layer model", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nnc-model-py-"));
    const cases = await prepareCases(
      dir,
      sources.map((file) => ({ file, text: readRepoFile(file) })),
    );
    runForwards(
      dir,
      cases.map(({ expected: _, ...rest }) => rest),
    );
    expect(checkCases(cases)).toEqual([]);
    expect(cases.length).toBeGreaterThan(sources.length);
  }, 180_000);

  it("on nnc train's checkpoint and raw CSV rows normalised as nnc predict does", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nnc-model-py-"));
    mkdirSync(join(dir, "data"));
    writeFileSync(join(dir, "iris.nn"), readRepoFile("examples/iris.nn"));
    writeFileSync(join(dir, "data", "iris.csv"), readRepoFile("examples/data/iris.csv"));
    const steps = [
      ["train", "iris.nn", "--epochs", "2", "--save", "w.safetensors", "--quiet"],
      ["predict", "iris.nn", "--load", "w.safetensors", "--data", "data/iris.csv", "-o", "p.csv"],
      ["build", "iris.nn", "--emit", "pytorch"],
    ];
    for (const args of steps) {
      const result = await nnc(args, dir);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
    }
    const output = join(dir, "py.out");
    runForwards(dir, [
      {
        model_py: join(dir, "iris_pytorch", "model.py"),
        model: "Iris",
        weights: join(dir, "w.safetensors"),
        csv: join(dir, "data", "iris.csv"),
        input_names: ["x"],
        output,
      },
    ]);
    const rows = readFileSync(join(dir, "p.csv"), "utf8").trim().split("\n").slice(1);
    const expected = Float32Array.from(rows.flatMap((r) => r.split(",").slice(0, 3).map(Number)));
    expect(rows.length).toBe(150);
    expect(mismatches(readFloats(output), expected)).toEqual([]);
  }, 60_000);
});
