import { readFileSync } from "node:fs";
import { ts } from "ts-morph";
import { describe, expect, it } from "vitest";
import { loadGenerated, runtimeUrl } from "../../../compiler/cli/load-module.js";
import { build, generate } from "../../../compiler/pipeline.js";
import type { Tensor } from "../../../runtime/data/tensor.js";
import type { CompiledModel, CreateOptions, EpochLog } from "../../../runtime/index.js";
import { cpuVariants, variantBackend } from "../../helpers/backends.js";

/** A generated model class, as a module loaded at run time exports it. */
interface ModelClass {
  create(options?: CreateOptions): Promise<CompiledModel>;
}

const xorText = readFileSync(new URL("../../../examples/xor.nn", import.meta.url), "utf8");

async function modelClass(text: string, file = "m.nn"): Promise<ModelClass> {
  const result = build(text, file);
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const module = await loadGenerated(result.models!, file);
  return module[result.models![0]!.model.name] as ModelClass;
}

const xorData: Record<string, Tensor> = {
  x: { shape: [4, 2], data: Float32Array.of(0, 0, 0, 1, 1, 0, 1, 1) },
  y: { shape: [4, 1], data: Float32Array.of(0, 1, 1, 0) },
};

describe.each(cpuVariants)("the model API on $name", (variant) => {
  const options = (): CreateOptions => ({ backend: variantBackend(variant, "f32"), seed: 1 });

  it("creates, trains step by step, predicts, evaluates and disposes", async () => {
    const Xor = await modelClass(xorText);
    const model = await Xor.create(options());
    const first = await model.trainStep(xorData);
    expect(Number.isFinite(first)).toBe(true);
    const second = await model.trainStep(xorData);
    expect(second).not.toBe(first);
    const out = await model.predict(xorData["x"]!, { batchSize: 3 });
    expect(out.shape).toEqual([4, 1]);
    expect(out.data).toBeInstanceOf(Float32Array);
    // Batches of 3 and 1 give the rows one batch of 4 gives.
    expect([...out.data]).toEqual([...(await model.predict({ x: xorData["x"]! })).data]);
    const figures = await model.evaluate(xorData, { batchSize: 2 });
    expect(Object.keys(figures).sort()).toEqual(["accuracy", "loss"]);
    expect(figures["loss"]).toBeCloseTo(
      (await model.measure(xorData, 4)).loss,
      6, // batches of 2 and of 4 sum their rows' losses in a different order
    );
    model.dispose();
    model.dispose();
    await expect(model.trainStep(xorData)).rejects.toThrow(/^model Xor was disposed$/);
  });

  it("fits as repeated steps do, and round-trips its state dict and safetensors bytes", async () => {
    const Xor = await modelClass(xorText);
    const a = await Xor.create(options());
    const history = await a.fit({ train: xorData }, { epochs: 3, batchSize: 4, shuffle: false });
    expect(history.epochs.map((e) => e.epoch)).toEqual([1, 2, 3]);
    const b = await Xor.create(options());
    let loss = 0;
    for (let epoch = 0; epoch < 3; epoch++) loss = await b.trainStep(xorData);
    expect(history.epochs.at(-1)!.loss).toBe(loss);
    expect([...(await b.stateDict())]).toEqual([...(await a.stateDict())]);

    const c = await Xor.create({ ...options(), seed: 9 });
    await c.loadStateDict(await a.stateDict());
    expect([...(await c.stateDict())]).toEqual([...(await a.stateDict())]);
    const d = await Xor.create({ ...options(), seed: 10 });
    await d.load(await a.save());
    expect((await d.predict(xorData["x"]!)).data).toEqual((await a.predict(xorData["x"]!)).data);
  });

  it("reports progress, and stops after the current step when its signal is aborted", async () => {
    const Xor = await modelClass(xorText);
    const model = await Xor.create(options());
    const controller = new AbortController();
    const progress: number[] = [];
    const epochs: EpochLog[] = [];
    const history = await model.fit(
      { train: xorData },
      {
        epochs: 50,
        batchSize: 1,
        signal: controller.signal,
        onProgress: (p) => {
          progress.push(p.step);
          expect(p.steps).toBe(4);
          if (p.epoch === 2 && p.step === p.steps) controller.abort();
        },
        onEpoch: (log) => epochs.push(log),
      },
    );
    expect(history.epochs.length).toBe(2);
    expect(epochs.length).toBe(2);
    expect(progress.filter((step) => step === 4).length).toBe(2);
  });

  it("flags the first step whose loss is not finite", async () => {
    const Diverge = await modelClass(`
model Diverge {
  input x: [batch, 1]
  target y: [batch, 1]
  forward { x -> dense(1) }
  loss mse
  optimizer sgd(lr: 1e30)
  train { epochs: 2, batch_size: 1, shuffle: false }
}`);
    const model = await Diverge.create(options());
    const x = { shape: [4, 1], data: Float32Array.of(1e10, 2e10, 3e10, 4e10) };
    const history = await model.fit({ train: { x, y: x } });
    const [first, second] = history.epochs;
    // The first step's update overflows the weight; the second step's loss is infinite or NaN.
    expect(first!.nonFiniteStep).toBe(2);
    expect(second!.nonFiniteStep).toBe(1);
    const finite = await (await modelClass(xorText)).create(options());
    const log = (await finite.fit({ train: xorData }, { epochs: 1 })).epochs[0]!;
    expect("nonFiniteStep" in log).toBe(false);
  });
});

describe("created models", () => {
  it("refuse a module built for another runtime API version, in one line", async () => {
    const result = build(xorText, "examples/xor.nn");
    const text = await generate(result.models!, "examples/xor.nn", runtimeUrl());
    expect(text).toMatch(/static readonly runtimeApi = \d+;/);
    const old = text.replace(
      /static readonly runtimeApi = \d+;/,
      "static readonly runtimeApi = 1;",
    );
    const javascript = ts.transpileModule(old, {
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    const url = `data:text/javascript;base64,${Buffer.from(javascript).toString("base64")}`;
    const module = (await import(url)) as Record<string, ModelClass>;
    const runtime = (await import(runtimeUrl())) as { RUNTIME_API_VERSION: number };
    await expect(module["Xor"]!.create({ backend: "js" })).rejects.toThrow(
      new RegExp(
        `^Xor was built for nnc runtime API 1 but this runtime is ${runtime.RUNTIME_API_VERSION}: rebuild it \\(nnc build examples/xor\\.nn\\)$`,
      ),
    );
  });

  it("make their own backend by name, on the calling thread without a platform", async () => {
    const Xor = await modelClass(xorText);
    const model = await Xor.create({ backend: "cpu", seed: 3 });
    expect((model.rt as { description?: string }).description).toMatch(/1 thread$/);
    const js = await Xor.create({ backend: "js", seed: 3 });
    expect(await js.trainStep(xorData)).toBeCloseTo(await model.trainStep(xorData), 5);
    model.dispose();
    js.dispose();
  });
});
