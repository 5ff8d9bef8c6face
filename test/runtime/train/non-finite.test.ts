import { afterAll, describe, expect, it } from "vitest";
import { loadGenerated } from "../../../compiler/cli/load-module.js";
import { build } from "../../../compiler/pipeline.js";
import type { Backend } from "../../../runtime/backend.js";
import type { Tensor } from "../../../runtime/data/tensor.js";
import type { CompiledModel, CreateOptions } from "../../../runtime/index.js";
import { type BackendVariant, backendVariants, variantBackend } from "../../helpers/backends.js";
import { testWebGpuBackend } from "../../helpers/webgpu.js";

// Issue 10 item 3: a NaN never turns into a finite number silently, and divergence stops `fit`
// (when asked) at the step the device-side flag names, never keeping or restoring NaN weights.

interface ModelClass {
  create(options?: CreateOptions): Promise<CompiledModel>;
}

async function modelClass(text: string): Promise<ModelClass> {
  const result = build(text, "m.nn");
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const module = await loadGenerated(result.models!, "m.nn");
  return module[result.models![0]!.model.name] as ModelClass;
}

// relu first: an activation that answered max(0, NaN) = 0 would hide the NaN from the rest.
const reluFirst = `
model ReluFirst {
  input  x: [batch, 3]
  target y: [batch, 1]
  forward { x -> relu -> dense(4) -> relu -> dense(1) }
  loss mse
  optimizer sgd(lr: 0.01)
  train { epochs: 3, batch_size: 1, shuffle: false }
}`;

const rows = (values: readonly number[]): Tensor => ({
  shape: [values.length / 3, 3],
  data: Float32Array.from(values),
});

let gpu: Backend | null = null;
afterAll(() => gpu?.dispose());

async function backendOf(variant: BackendVariant): Promise<Backend> {
  if (variant.backend !== "webgpu") return variantBackend(variant, "f32");
  gpu ??= await testWebGpuBackend();
  return gpu;
}

describe.each(backendVariants)("non-finite values on $name", (variant) => {
  const create = async () =>
    (await modelClass(reluFirst)).create({ backend: await backendOf(variant), seed: 3 });

  it("a NaN or infinite input gives a non-finite prediction for its row only", async () => {
    const model = await create();
    const out = await model.predict(rows([1, 2, 3, NaN, 1, 1, -1, 0.5, 2, 1, Infinity, 1]));
    expect(Number.isFinite(out.data[0])).toBe(true);
    expect(Number.isNaN(out.data[1])).toBe(true);
    expect(Number.isFinite(out.data[2])).toBe(true);
    expect(Number.isFinite(out.data[3])).toBe(false);
  });

  it("a NaN weight gives NaN predictions, not finite ones", async () => {
    const model = await create();
    const name = model.spec.params.find((p) => p.name.endsWith("weight"))!.name;
    const weight = (await model.stateDict()).get(name)!;
    const poisoned = Float32Array.from(weight.data);
    poisoned.fill(NaN);
    model.rt.write(model.params[name]!, poisoned);
    const out = await model.predict(rows([1, 2, 3, 0, 0, 0, -1, -2, -3]));
    expect([...out.data].map(Number.isNaN)).toEqual([true, true, true]);
  });

  it("fit with stopOnNonFinite stops at the NaN row's step and keeps no NaN weights", async () => {
    const model = await create();
    const x = rows([1, 0, 1, 0.5, 0.5, 0, NaN, 1, 1, 0, 1, 0]);
    const y: Tensor = { shape: [4, 1], data: Float32Array.of(1, 0, 1, 0) };
    const history = await model.fit(
      { train: { x, y } },
      { stopOnNonFinite: true, keepFinishedWeights: true },
    );
    expect(history.diverged).toMatchObject({ epoch: 1, step: 3, what: "loss" });
    expect(history.finishedWeights).toBeNull();
    expect(history.interrupted).toBe(false);
  });
});

describe("fit on divergence (js)", () => {
  const variant = backendVariants[0]!;
  // The first steps are finite; sgd's step on the 10s overshoots by more each time.
  const growing = `
model Grow {
  input x: [batch, 1]
  target y: [batch, 1]
  forward { x -> dense(1) }
  loss mse
  optimizer sgd(lr: 0.05)
  train { epochs: 40, batch_size: 1, shuffle: false }
}`;
  const column = (values: number[]): Tensor => ({
    shape: [values.length, 1],
    data: Float32Array.from(values),
  });
  const data = { train: { x: column([1, 2, 10]), y: column([1, 2, 10]) } };
  const create = async () =>
    (await modelClass(growing)).create({ backend: await backendOf(variant), seed: 1 });

  it("stops at the first non-finite epoch and keeps the last finite epoch's weights", async () => {
    const model = await create();
    const history = await model.fit(data, { stopOnNonFinite: true, keepFinishedWeights: true });
    const diverged = history.diverged!;
    expect(diverged.what).toBe("loss");
    expect(diverged.epoch).toBeGreaterThan(1);
    // The epoch that diverged is unfinished: it has no log.
    expect(history.epochs.length).toBe(diverged.epoch - 1);
    expect(diverged.step).toBeGreaterThan(0);
    const last = diverged.lastFiniteLoss!;
    expect(Number.isFinite(last.loss)).toBe(true);
    expect(last.epoch).toBe(diverged.epoch - 1);
    const kept = history.finishedWeights!;
    expect(kept.epoch).toBe(diverged.epoch - 1);
    for (const t of kept.weights.values()) expect(t.data.every(Number.isFinite)).toBe(true);
  });

  it("without stopOnNonFinite runs on, and early stopping never restores NaN weights", async () => {
    const model = await create();
    const history = await model.fit(data, {
      earlyStopping: { monitor: "loss", patience: 100, minDelta: 0, restoreBest: true },
    });
    expect(history.diverged).toBeNull();
    expect(history.epochs.some((e) => e.nonFiniteStep !== undefined)).toBe(true);
    const restored = history.restoredEpoch!;
    expect(Number.isFinite(history.epochs[restored - 1]!.loss)).toBe(true);
    for (const t of (await model.stateDict()).values())
      expect(t.data.every(Number.isFinite)).toBe(true);
  });

  it("an aborted signal stops before the next step and says so", async () => {
    const model = await create();
    const controller = new AbortController();
    const history = await model.fit(data, {
      signal: controller.signal,
      keepFinishedWeights: true,
      onEpoch: (log) => {
        if (log.epoch === 2) controller.abort();
      },
    });
    expect(history.interrupted).toBe(true);
    expect(history.epochs.length).toBe(2);
    expect(history.finishedWeights?.epoch).toBe(2);
  });
});
