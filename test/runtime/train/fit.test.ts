import { describe, expect, it } from "vitest";
import { loadGenerated } from "../../../compiler/cli/load-module.js";
import { build } from "../../../compiler/pipeline.js";
import type { Backend } from "../../../runtime/backend.js";
import type { Tensor } from "../../../runtime/data/tensor.js";
import type { CompiledModel, CreateOptions } from "../../../runtime/index.js";
import { MetricAccumulator } from "../../../runtime/train/metrics.js";
import { cpuVariants, variantBackend } from "../../helpers/backends.js";

const source = `
model Clf {
  input  x: [batch, 3]
  target y: i32[batch]
  forward { x -> dense(5) -> relu -> dense(4) -> softmax }
  loss      cross_entropy
  optimizer adam(lr: 0.05)
  metrics   accuracy, mse, rmse, mae
  train     { epochs: 3, batch_size: 4, shuffle: false, seed: 2 }
}`;

async function instantiate(options: CreateOptions): Promise<CompiledModel> {
  const result = build(source, "clf.nn");
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const module = await loadGenerated(result.models!, "clf.nn");
  const Model = module[result.models![0]!.model.name] as {
    create(o: CreateOptions): Promise<CompiledModel>;
  };
  return Model.create(options);
}

const rows = 10;
const data: Record<string, Tensor> = {
  x: { shape: [rows, 3], data: Float32Array.from({ length: rows * 3 }, (_, i) => Math.sin(i)) },
  y: { shape: [rows], data: Float32Array.from({ length: rows }, (_, i) => (i * 7) % 4) },
};

/** `backend` with its `read` calls counted. */
function counted(backend: Backend): { backend: Backend; reads: () => number } {
  let reads = 0;
  const read = backend.read.bind(backend);
  backend.read = (src, size) => {
    reads++;
    return read(src, size);
  };
  return { backend, reads: () => reads };
}

describe.each(cpuVariants)("fit on $name", (variant) => {
  it("sums loss and metrics on the device, as step-by-step reads and the reference compute them", async () => {
    const { backend, reads } = counted(variantBackend(variant, "f32"));
    const model = await instantiate({ backend });
    const history = await model.fit({ train: data, validation: null });
    // One read of the sums per epoch, none per step (3 batches an epoch).
    expect(reads()).toBe(3);

    const reference = await instantiate({ backend: variantBackend(variant, "f32") });
    for (const log of history.epochs) {
      const metrics = new MetricAccumulator(
        ["accuracy", "mse", "rmse", "mae"],
        reference.spec.output,
        reference.spec.targets[0]!,
      );
      let total = 0;
      for (let start = 0; start < rows; start += 4) {
        const n = Math.min(4, rows - start);
        const batch = {
          x: { shape: [n, 3], data: data.x!.data.subarray(start * 3, (start + n) * 3) },
          y: { shape: [n], data: data.y!.data.subarray(start, start + n) },
        };
        total += (await reference.trainStep(batch)) * n;
        const plan = reference.plan("train", n);
        metrics.add(await reference.rt.read(plan.output!, n * 4), batch.y.data, n);
      }
      expect(log.loss).toBe(total / rows);
      expect(log.metrics).toEqual(metrics.result());
    }
  });

  it("reports progress at most every 100 ms and after each epoch's last batch, with the running mean loss", async () => {
    const model = await instantiate({ backend: variantBackend(variant, "f32") });
    const calls: [number, number, number, number][] = [];
    const history = await model.fit(
      { train: data, validation: null },
      { onProgress: (p) => calls.push([p.epoch, p.step, p.steps, p.loss]) },
    );
    const last = calls.filter(([, step, steps]) => step === steps);
    expect(last.map(([epoch]) => epoch)).toEqual([1, 2, 3]);
    expect(last.map(([, , , loss]) => loss)).toEqual(history.epochs.map((e) => e.loss));
    // Never more than once a step.
    expect(calls.length).toBeLessThanOrEqual(9);
  });

  it("allocates nothing per step: the heap does not grow with the steps", async () => {
    const model = await instantiate({ backend: variantBackend(variant, "f32") });
    const many = 4000;
    const big: Record<string, Tensor> = {
      x: { shape: [many, 3], data: Float32Array.from({ length: many * 3 }, (_, i) => Math.cos(i)) },
      y: { shape: [many], data: Float32Array.from({ length: many }, (_, i) => i % 4) },
    };
    const settings = { batchSize: 1, shuffle: true };
    const train = { train: big, validation: null };
    await model.fit(train, { ...settings, epochs: 3 }); // warm-up: compiles, plans batch 1
    // Without a collection in between, heapUsed grows by what was allocated; a collection
    // can only hide allocations, never invent them (so this bound cannot fail spuriously
    // from GC; JIT work after the warm-up is a few KiB).
    const before = process.memoryUsage().heapUsed;
    await model.fit(train, { ...settings, epochs: 5 });
    const grown = process.memoryUsage().heapUsed - before;
    // 20,000 steps: one typed-array view a step (about 100 bytes) would be about 2 MiB.
    expect(grown).toBeLessThan(640 * 1024);
  });
});
