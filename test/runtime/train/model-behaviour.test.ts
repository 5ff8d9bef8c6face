import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadGenerated } from "../../../compiler/cli/load-module.js";
import { build } from "../../../compiler/pipeline.js";
import type { CompiledModel, CreateOptions } from "../../../runtime/index.js";
import type { Tensor } from "../../../runtime/data/tensor.js";
import { loadFile, saveFile } from "../../../runtime/node/model-files.js";

/** Compiles a model in memory, as nnc train does, and returns an instance. */
async function instantiate(text: string, options: CreateOptions = {}): Promise<CompiledModel> {
  const result = build(text, "m.nn");
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const module = await loadGenerated(result.models!, "m.nn");
  const Model = module[result.models![0]!.model.name] as {
    create(o: CreateOptions): Promise<CompiledModel>;
  };
  return Model.create(options);
}

const tensor = (shape: number[], values: (i: number) => number): Tensor => ({
  shape,
  data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => values(i)),
});

describe("compiled models at run time", () => {
  it("batch norm normalizes with batch statistics, moves running statistics as PyTorch, uses them to predict", async () => {
    const model = await instantiate(`
model Bn {
  input x: [batch, 2]
  target y: [batch, 2]
  forward { x -> batchnorm(momentum: 0.5) }
  loss mse
  optimizer sgd(lr: 0)
}`);
    const x = tensor([4, 2], (i) => [1, 10, 2, 20, 3, 30, 4, 40][i]!);
    await model.trainStep({ x, y: tensor([4, 2], () => 0) });
    const params = await model.stateDict();
    // batch mean [2.5, 25]; unbiased variance [5/3, 500/3]; momentum 0.5 from 0 and 1
    expect([...params.get("batchnorm_1.running_mean")!.data]).toEqual([1.25, 12.5]);
    const runningVar = [...params.get("batchnorm_1.running_var")!.data];
    expect(runningVar[0]).toBeCloseTo(0.5 + 0.5 * (5 / 3), 5);
    expect(runningVar[1]).toBeCloseTo(0.5 + 0.5 * (500 / 3), 3);
    expect([...params.get("batchnorm_1.num_batches_tracked")!.data]).toEqual([1]);
    // evaluation: (x - running_mean) / sqrt(running_var + eps)
    const out = await model.predict(tensor([1, 2], (i) => [1.25, 12.5][i]!));
    expect([...out.data].map((v) => Math.abs(v) < 1e-6)).toEqual([true, true]);
  });

  it("dropout is random while training (seeded) and the identity when predicting", async () => {
    const text = `
model Drop {
  input x: [batch, 1000]
  target y: [batch, 1000]
  forward { x -> dropout(0.5) }
  loss mse
  optimizer sgd(lr: 0)
}`;
    const x = tensor([1, 1000], () => 1);
    const y = tensor([1, 1000], () => 0);
    const a = await instantiate(text);
    a.rt.seedDropout(3);
    const lossA = await a.trainStep({ x, y });
    const b = await instantiate(text);
    b.rt.seedDropout(3);
    expect(await b.trainStep({ x, y })).toBe(lossA);
    // kept elements are scaled by 1 / (1 - rate) = 2: loss = mean of 4 over about half
    expect(lossA).toBeGreaterThan(1.6);
    expect(lossA).toBeLessThan(2.4);
    expect([...(await a.predict(x)).data].every((v) => v === 1)).toBe(true);
  });

  it("early stopping ends training when the monitored figure stops improving, restoring the best weights", async () => {
    const model = await instantiate(`
model Stop {
  input x: [batch, 1]
  target y: [batch, 1]
  forward { x -> dense(1) }
  loss mse
  optimizer sgd(lr: 1.5)
  train { epochs: 40, batch_size: 4, shuffle: false, early_stopping: { monitor: loss, patience: 2 } }
}`);
    const x = tensor([4, 1], (i) => i + 1);
    const y = tensor([4, 1], (i) => 2 * (i + 1));
    // lr 1.5 diverges: the loss grows after the first epochs, so training stops early
    const history = await model.fit({ train: { x, y }, validation: null });
    expect(history.stoppedEarly).toBe(true);
    expect(history.epochs.length).toBeLessThan(40);
    const best = Math.min(...history.epochs.map((e) => e.loss));
    expect(history.restoredEpoch).toBe(history.epochs.findIndex((e) => e.loss === best) + 1);
  });

  it("saves and loads checkpoints as bytes", async () => {
    const text = readFileSync(new URL("../../../examples/xor.nn", import.meta.url), "utf8");
    const a = await instantiate(text, { seed: 1 });
    const b = await instantiate(text, { seed: 2 });
    await b.load(await a.save());
    expect([...(await b.stateDict())]).toEqual([...(await a.stateDict())]);
  });

  it("saves and loads checkpoint files (nnc/runtime/node)", async () => {
    const text = readFileSync(new URL("../../../examples/xor.nn", import.meta.url), "utf8");
    const a = await instantiate(text, { seed: 1 });
    const b = await instantiate(text, { seed: 2 });
    const path = `${process.env["TMPDIR"] ?? "/tmp"}/nnc-xor-${process.pid}.safetensors`;
    await saveFile(a, path);
    await loadFile(b, path);
    expect([...(await b.stateDict())]).toEqual([...(await a.stateDict())]);
  });
});
