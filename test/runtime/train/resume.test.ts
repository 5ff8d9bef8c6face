import { afterAll, describe, expect, it } from "vitest";
import { loadGenerated } from "../../../compiler/cli/load-module.js";
import { build } from "../../../compiler/pipeline.js";
import type { Tensor } from "../../../runtime/data/tensor.js";
import type { CompiledModel, CreateOptions, History } from "../../../runtime/index.js";
import { readOptimizerState } from "../../../runtime/train/resume.js";
import {
  type TrainingCheckpoint,
  parseTrainingCheckpoint,
  serializeTrainingCheckpoint,
} from "../../../runtime/train/training-checkpoint.js";
import type { Backend } from "../../../runtime/backend.js";
import {
  type BackendVariant,
  cpuVariants,
  variantBackend,
  webgpuVariant,
} from "../../helpers/backends.js";
import { testWebGpuBackend } from "../../helpers/webgpu.js";

/** Adam with dropout (the dropout stream must continue too), a step schedule and early stopping. */
const adam = (stopping: string) => `
model Adam {
  input  x: [batch, 3]
  target y: i32[batch]
  forward { x -> dense(8) -> relu -> dropout(0.3) -> dense(3) -> softmax }
  loss      cross_entropy
  optimizer adam(lr: 0.05)
  metrics   accuracy
  train     { epochs: 10, batch_size: 4, seed: 3, validation_split: 0.25, lr_schedule: step(every: 3, gamma: 0.5),
              early_stopping: ${stopping} }
}`;

/** SGD with Nesterov momentum, an exponential schedule and early stopping on a metric. */
const sgd = (stopping: string) => `
model Sgd {
  input  x: [batch, 3]
  target y: i32[batch]
  forward { x -> dense(6) -> tanh -> dense(3) -> softmax }
  loss      cross_entropy
  optimizer sgd(lr: 0.2, momentum: 0.9, nesterov: true)
  metrics   accuracy
  train     { epochs: 10, batch_size: 5, seed: 1, validation_split: 0.25, lr_schedule: exponential(gamma: 0.9),
              early_stopping: ${stopping} }
}`;

const patient = "{ monitor: val_loss, patience: 20 }";

type ModelClass = { create(o: CreateOptions): Promise<CompiledModel> };
const classes = new Map<string, Promise<ModelClass>>();

/** A model of `source`, compiled once per source. */
async function instantiate(source: string, options: CreateOptions): Promise<CompiledModel> {
  let made = classes.get(source);
  if (!made) {
    const result = build(source, "resume.nn");
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    made = loadGenerated(result.models!, "resume.nn").then(
      (module) => module[result.models![0]!.model.name] as ModelClass,
    );
    classes.set(source, made);
  }
  return (await made).create(options);
}

function tensors(rows: number, phase: number): Record<string, Tensor> {
  return {
    x: {
      shape: [rows, 3],
      data: Float32Array.from({ length: rows * 3 }, (_, i) => Math.sin(i * 1.7 + phase)),
    },
    y: { shape: [rows], data: Float32Array.from({ length: rows }, (_, i) => (i * 7 + phase) % 3) },
  };
}
const data = { train: tensors(23, 0), validation: tensors(9, 1) };

/** Bit patterns of every value, so that -0 and NaN compare as the bits they are. */
function bits(map: ReadonlyMap<string, { readonly data: Float32Array }>): Record<string, number[]> {
  return Object.fromEntries(
    [...map].map(([name, t]) => [name, [...new Uint32Array(Float32Array.from(t.data).buffer)]]),
  );
}

/** Everything in an epoch log but its timings. */
function figures(history: History): unknown[] {
  return history.epochs.map(({ seconds: _s, samplesPerSecond: _r, ...rest }) => rest);
}

// WebGPU runs the same kernels in the same order each time, so its resume is bitwise too; its
// models share one device (llvmpipe in CI is slow: the semantics tests run on the CPU only).
const variants: readonly BackendVariant[] = [
  ...cpuVariants.filter((v) => v.name === "js" || v.name === "wasm"),
  webgpuVariant,
];

let gpu: Backend | null = null;
afterAll(() => gpu?.dispose());

async function backendOf(variant: BackendVariant): Promise<Backend> {
  if (variant.backend !== "webgpu") return variantBackend(variant, "f32");
  gpu ??= await testWebGpuBackend();
  return gpu;
}

describe.each(variants)("resume on $name", (variant) => {
  const create = async () => ({ backend: await backendOf(variant) });
  const cpu = variant.backend !== "webgpu";

  /** 10 epochs in one run, and 5 with checkpoints then a resume of the last to 10. */
  async function both(source: string) {
    const whole = await instantiate(source, await create());
    const wholeHistory = await whole.fit(data);

    const first = await instantiate(source, await create());
    let last: TrainingCheckpoint | null = null;
    const reasons: string[] = [];
    await first.fit(data, {
      epochs: 5,
      onCheckpoint: (checkpoint, why) => {
        reasons.push(`${why.epoch}${why.due ? " due" : ""}${why.best ? " best" : ""}`);
        if (why.due) last = checkpoint;
      },
    });
    expect(last).not.toBeNull();
    const bytes = serializeTrainingCheckpoint(last!);
    // A fresh model of another seed: everything must come from the checkpoint.
    const resumed = await instantiate(source, await create());
    const warnings: string[] = [];
    const resumedHistory = await resumed.fit(data, {
      resume: { ...parseTrainingCheckpoint(bytes, "last.safetensors"), source: "last" },
      onWarning: (w) => warnings.push(w),
    });
    return { whole, wholeHistory, resumed, resumedHistory, warnings, reasons, bytes };
  }

  it.each([
    ["adam", adam(patient)],
    ["sgd momentum", sgd("{ monitor: val_accuracy, patience: 20 }")],
  ])("5 epochs then a resume to 10 equal 10 in one run (%s)", async (_name, source) => {
    const r = await both(source);
    expect(r.warnings).toEqual([]);
    expect(r.resumedHistory.resumed).toEqual({ epoch: 5, stopped: false });
    expect(r.resumedHistory.epochs).toHaveLength(10);
    expect(figures(r.resumedHistory)).toEqual(figures(r.wholeHistory));
    expect(bits(await r.resumed.stateDict())).toEqual(bits(await r.whole.stateDict()));
    expect(bits(await readOptimizerState(r.resumed))).toEqual(
      bits(await readOptimizerState(r.whole)),
    );
    expect(r.reasons[0]).toBe("1 due best");
    expect(r.reasons.at(-1)).toMatch(/^5 due/);
  });

  // Where early stopping fires depends on the backend's rounding: the case is tuned to the CPU's.
  it.runIf(cpu)(
    "equals the uninterrupted run when early stopping fires after the resume",
    async () => {
      const source = adam("{ monitor: val_loss, patience: 4, min_delta: 0.005 }");
      const r = await both(source);
      const stoppedAt = r.wholeHistory.epochs.length;
      expect(r.wholeHistory.stoppedEarly).toBe(true);
      expect(stoppedAt).toBeGreaterThan(5);
      expect(stoppedAt).toBeLessThan(10);
      expect(r.resumedHistory.stoppedEarly).toBe(true);
      expect(r.resumedHistory.restoredEpoch).toBe(r.wholeHistory.restoredEpoch);
      expect(figures(r.resumedHistory)).toEqual(figures(r.wholeHistory));
      expect(bits(await r.resumed.stateDict())).toEqual(bits(await r.whole.stateDict()));
      expect(bits(await readOptimizerState(r.resumed))).toEqual(
        bits(await readOptimizerState(r.whole)),
      );
    },
  );

  it.runIf(cpu)(
    "runs no epoch when the checkpoint is at --epochs or early stopping had fired",
    async () => {
      const source = adam(patient);
      const r = await both(source);
      const again = await instantiate(source, await create());
      const done = await again.fit(data, {
        epochs: 4,
        resume: parseTrainingCheckpoint(r.bytes, "last"),
      });
      expect(done.epochs).toHaveLength(5);
      expect(done.resumed).toEqual({ epoch: 5, stopped: false });

      const eager = adam("{ monitor: val_loss, patience: 0, min_delta: 10 }");
      const stopping = await instantiate(eager, await create());
      let last: TrainingCheckpoint | null = null;
      const stopped = await stopping.fit(data, { onCheckpoint: (c) => void (last = c) });
      expect(stopped.epochs).toHaveLength(2);
      expect(last!.training.earlyStopping?.fired).toBe(true);
      const later = await instantiate(eager, await create());
      const after = await later.fit(data, {
        resume: parseTrainingCheckpoint(serializeTrainingCheckpoint(last!), "last"),
      });
      expect(after.resumed).toEqual({ epoch: 2, stopped: true });
      expect(after.stoppedEarly).toBe(true);
      expect(after.epochs).toHaveLength(2);
      // As the uninterrupted run: the best epoch's weights restored.
      expect(after.restoredEpoch).toBe(stopped.restoredEpoch);
      expect(bits(await later.stateDict())).toEqual(bits(await stopping.stateDict()));
    },
  );

  it.runIf(cpu)(
    "warns once each for another batch size, seed or data, and still trains",
    async () => {
      const source = adam(patient);
      const r = await both(source);
      const other = await instantiate(source, await create());
      const warnings: string[] = [];
      const history = await other.fit(
        { train: tensors(21, 2), validation: data.validation },
        {
          batchSize: 3,
          seed: 9,
          resume: parseTrainingCheckpoint(r.bytes, "ckpt.safetensors"),
          onWarning: (w) => warnings.push(w),
        },
      );
      expect(history.epochs).toHaveLength(10);
      expect(warnings).toHaveLength(3);
      expect(warnings[0]).toMatch(/batch_size 4; resuming with 3/);
      expect(warnings[1]).toMatch(/training data differs .*23 rows then, 21 now/);
      expect(warnings[2]).toMatch(/seed 3; resuming with seed 9/);
      for (const w of warnings) expect(w).not.toContain("\n");
    },
  );

  it.runIf(cpu)("refuses a checkpoint of another model, naming the tensor", async () => {
    const r = await both(adam(patient));
    const wider = await instantiate(adam(patient).replace("dense(8)", "dense(7)"), await create());
    await expect(
      wider.fit(data, { resume: { ...parseTrainingCheckpoint(r.bytes, "c"), source: "c" } }),
    ).rejects.toThrow(/dense_1\.weight.*expected \[8, 3\]|dense_1\.weight.*\[7, 3\]/);
    const sgdModel = adam(patient).replace("adam(lr: 0.05)", "sgd(lr: 0.1, momentum: 0.9)");
    const other = await instantiate(sgdModel, await create());
    await expect(
      other.fit(data, { resume: { ...parseTrainingCheckpoint(r.bytes, "c"), source: "c" } }),
    ).rejects.toThrow(
      /^c holds the state of another optimizer \(exp_avg, exp_avg_sq, optimizer.step\) than the model.s \(momentum_buffer, optimizer.step\)/,
    );
  });
});

describe("training checkpoint bytes", () => {
  it("load() and a state_dict read take its weights and ignore the training tensors", async () => {
    const source = adam(patient);
    const backend = variantBackend(cpuVariants[0]!, "f32");
    const model = await instantiate(source, { backend });
    let last: TrainingCheckpoint | null = null;
    await model.fit(data, { epochs: 2, onCheckpoint: (c) => void (last = c) });
    const bytes = serializeTrainingCheckpoint(last!);
    const fresh = await instantiate(source, { backend: variantBackend(cpuVariants[0]!, "f32") });
    await fresh.load(bytes, "ckpt");
    expect(bits(await fresh.stateDict())).toEqual(bits(last!.weights));
  });

  it("refuses a state_dict as a training checkpoint, and damaged training metadata", async () => {
    const model = await instantiate(adam(patient), {
      backend: variantBackend(cpuVariants[0]!, "f32"),
    });
    expect(() => parseTrainingCheckpoint(new Uint8Array(0), "x")).toThrow(
      /x: is not a safetensors/,
    );
    const plain = await model.save();
    expect(() => parseTrainingCheckpoint(plain, "w.safetensors")).toThrow(
      /^w\.safetensors is a state_dict \(weights only\), not a training checkpoint/,
    );
    let last: TrainingCheckpoint | null = null;
    await model.fit(data, { epochs: 1, onCheckpoint: (c) => void (last = c) });
    const damaged = serializeTrainingCheckpoint({
      ...last!,
      training: { ...last!.training, epoch: 3 },
    });
    expect(() => parseTrainingCheckpoint(damaged, "d")).toThrow(
      /^d: metadata nnc.training has a history of 1 epochs, not 3; the file is damaged$/,
    );
  });
});
