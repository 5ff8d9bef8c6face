/**
 * The metrics of a compiled model end to end (the `metrics` section's settings through the
 * spec, the layout, the device sums and one read): `evaluate` and `fit` on the js and WebGPU
 * backends against naive references computed from `predict`'s outputs.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadGenerated } from "../../../compiler/cli/load-module.js";
import { build } from "../../../compiler/pipeline.js";
import type { Backend } from "../../../runtime/backend.js";
import type { Tensor } from "../../../runtime/data/tensor.js";
import type { CompiledModel, CreateOptions } from "../../../runtime/index.js";
import { variantBackend, cpuVariants } from "../../helpers/backends.js";
import { testWebGpuBackend } from "../../helpers/webgpu.js";

const binary = `
model Bin {
  input  x: [batch, 3]
  target y: [batch, 1]
  forward { x -> dense(4) -> tanh -> dense(1) -> sigmoid }
  loss      binary_cross_entropy
  optimizer adam(lr: 0.05)
  metrics   accuracy, precision, recall, f1, auc
  train     { epochs: 2, batch_size: 5, shuffle: false }
}`;

const classes = `
model Cls {
  input  x: [batch, 3]
  target y: i32[batch]
  forward { x -> dense(6) -> tanh -> dense(4) -> softmax }
  loss      cross_entropy
  optimizer adam(lr: 0.05)
  metrics   precision, recall(average: micro), f1, top_k_accuracy(k: 2)
  train     { epochs: 2, batch_size: 5, shuffle: false }
}`;

const regression = `
model Reg {
  input  x: [batch, 3]
  target y: [batch, 2]
  forward { x -> dense(2) }
  loss      mse
  optimizer adam(lr: 0.05)
  metrics   r2, mse
  train     { epochs: 2, batch_size: 5, shuffle: false }
}`;

async function instantiate(source: string, options: CreateOptions): Promise<CompiledModel> {
  const result = build(source, "m.nn");
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const module = await loadGenerated(result.models!, "m.nn");
  const Model = module[result.models![0]!.model.name] as {
    create(o: CreateOptions): Promise<CompiledModel>;
  };
  return Model.create(options);
}

const rows = 23;
const x: Tensor = {
  shape: [rows, 3],
  data: Float32Array.from({ length: rows * 3 }, (_, i) => Math.sin(1.7 * i)),
};
const data = {
  binary: {
    x,
    y: {
      shape: [rows, 1],
      data: Float32Array.from({ length: rows }, (_, i) => ((i * 5) % 3 === 0 ? 1 : 0)),
    },
  },
  classes: {
    x,
    y: { shape: [rows], data: Float32Array.from({ length: rows }, (_, i) => (i * 7) % 4) },
  },
  regression: {
    x,
    y: { shape: [rows, 2], data: Float32Array.from({ length: rows * 2 }, (_, i) => Math.cos(i)) },
  },
} satisfies Record<string, Record<string, Tensor>>;

const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);

function binaryReference(out: Float32Array, y: Float32Array): Record<string, number> {
  let [tp, predicted, actual, correct] = [0, 0, 0, 0];
  for (let r = 0; r < rows; r++) {
    const [p, t] = [out[r]! >= 0.5, y[r]! >= 0.5];
    if (p) predicted++;
    if (t) actual++;
    if (p && t) tp++;
    if (p === t) correct++;
  }
  let [pairs, wins] = [0, 0];
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < rows; j++) {
      if (y[i] !== 1 || y[j] !== 0) continue;
      pairs++;
      wins += out[i]! > out[j]! ? 1 : out[i] === out[j] ? 0.5 : 0;
    }
  }
  return {
    accuracy: correct / rows,
    precision: ratio(tp, predicted),
    recall: ratio(tp, actual),
    f1: ratio(2 * tp, predicted + actual),
    auc: wins / pairs,
  };
}

function classesReference(out: Float32Array, y: Float32Array): Record<string, number> {
  const k = 4;
  const [tp, predicted, actual] = [
    new Array(k).fill(0),
    new Array(k).fill(0),
    new Array(k).fill(0),
  ];
  let top = 0;
  for (let r = 0; r < rows; r++) {
    const row = Array.from(out.subarray(r * k, (r + 1) * k));
    const p = row.indexOf(Math.max(...row));
    const t = y[r]!;
    predicted[p]++;
    actual[t]++;
    if (p === t) tp[p]++;
    if (row.filter((v) => v > row[t]!).length < 2) top++;
  }
  const macro = (f: (c: number) => number) => [0, 1, 2, 3].reduce((s, c) => s + f(c), 0) / k;
  const sum = (a: number[]) => a.reduce((s, v) => s + v, 0);
  return {
    precision: macro((c) => ratio(tp[c], predicted[c])),
    recall: ratio(sum(tp), sum(actual)),
    f1: macro((c) => ratio(2 * tp[c], predicted[c] + actual[c])),
    top_k_accuracy: top / rows,
  };
}

function r2Reference(out: Float32Array, y: Float32Array): Record<string, number> {
  let total = 0;
  for (let c = 0; c < 2; c++) {
    let mean = 0;
    for (let r = 0; r < rows; r++) mean += y[r * 2 + c]! / rows;
    let [res, tot] = [0, 0];
    for (let r = 0; r < rows; r++) {
      res += (y[r * 2 + c]! - out[r * 2 + c]!) ** 2;
      tot += (y[r * 2 + c]! - mean) ** 2;
    }
    total += 1 - res / tot;
  }
  return { r2: total / 2 };
}

interface Case {
  readonly name: string;
  readonly source: string;
  readonly set: { readonly x: Tensor; readonly y: Tensor };
  readonly reference: (out: Float32Array, y: Float32Array) => Record<string, number>;
}

const cases: readonly Case[] = [
  { name: "binary", source: binary, set: data.binary, reference: binaryReference },
  { name: "classes", source: classes, set: data.classes, reference: classesReference },
  { name: "regression", source: regression, set: data.regression, reference: r2Reference },
];

async function check(
  { source, set, reference }: Case,
  backend: () => Promise<Backend> | Backend,
  tolerance: number,
): Promise<void> {
  {
    const model = await instantiate(source, { backend: await backend() });
    try {
      const history = await model.fit({ train: set });
      expect(history.epochs).toHaveLength(2);
      const got = await model.evaluate(set);
      const want = reference(
        (await model.predict(set.x)).data as Float32Array,
        set.y.data as Float32Array,
      );
      for (const [name, value] of Object.entries(want)) {
        expect(
          Math.abs(got[name]! - value),
          `${name}: ${got[name]} vs ${value}`,
        ).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(value)));
      }
      // the training figures of the last epoch are whole-epoch figures too
      expect(Object.keys(history.epochs[1]!.metrics).sort()).toEqual(
        Object.keys(got)
          .filter((n) => n !== "loss")
          .sort(),
      );
    } finally {
      model.dispose();
    }
  }
}

/** Compiling a model takes seconds on a loaded machine. */
const TIMEOUT = 120_000;

it.each(cases)(
  "evaluate and fit report the whole-data metrics ($name) on the js backend",
  async (c) => {
    await check(c, () => variantBackend(cpuVariants[0]!, "f64"), 1e-9);
  },
  TIMEOUT,
);

describe("on WebGPU", () => {
  let gpus: Backend[] = [];
  beforeAll(() => {
    gpus = [];
  });
  afterAll(() => {
    for (const g of gpus) g.dispose();
  });
  it.each(cases)(
    "evaluate and fit report the whole-data metrics ($name)",
    async (c) => {
      await check(
        c,
        async () => {
          const gpu = await testWebGpuBackend();
          gpus.push(gpu);
          return gpu;
        },
        1e-5,
      );
    },
    TIMEOUT,
  );
});
