// Issue 10: the model API misused as a hostile new user would, each a one-line error that names
// the call, the tensor, the element and the value (runtime/train/check-data.ts), never a silent
// wrong number, a hang or a TypeError from inside the runtime.
import { beforeAll, describe, expect, it } from "vitest";
import { loadGenerated } from "../../../compiler/cli/load-module.js";
import { build } from "../../../compiler/pipeline.js";
import type { Tensor } from "../../../runtime/data/tensor.js";
import type { CompiledModel, CreateOptions } from "../../../runtime/index.js";

interface ModelClass {
  create(options?: CreateOptions): Promise<CompiledModel>;
}

const bce = `model Xor {
  input  x: [batch, 2]
  target y: [batch, 1]
  forward { x -> dense(3) -> tanh -> dense(1) -> sigmoid }
  loss binary_cross_entropy
  optimizer sgd(lr: 0.5)
  train { epochs: 1, batch_size: 4 }
}`;

const ids = `model Ids {
  input  constructor: [batch, 4]
  target toString: i32[batch]
  forward { constructor -> dense(3) -> softmax }
  loss cross_entropy
  optimizer adam(lr: 0.01)
  train { epochs: 1, batch_size: 2 }
}`;

const tokens = `model Tokens {
  input  words: i32[batch, 3]
  target y: i32[batch]
  forward { words -> embedding(5, 2) -> flatten -> dense(2) -> softmax }
  loss cross_entropy
  optimizer adam(lr: 0.01)
  train { epochs: 1, batch_size: 2 }
}`;

async function modelClass(text: string): Promise<ModelClass> {
  const result = build(text, "m.nn");
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const module = await loadGenerated(result.models!, "m.nn");
  return module[result.models![0]!.model.name] as ModelClass;
}

const t = (shape: number[], values: number[]): Tensor => ({
  shape,
  data: Float32Array.from(values),
});
const x = t([4, 2], [0, 0, 0, 1, 1, 0, 1, 1]);
const y = t([4, 1], [0, 1, 1, 0]);
const features = t([2, 4], [1, 2, 3, 4, 4, 3, 2, 1]);

let Xor: ModelClass;
let Ids: ModelClass;

beforeAll(async () => {
  Xor = await modelClass(bce);
  Ids = await modelClass(ids);
});

type Use = (model: CompiledModel) => Promise<unknown>;

/** Each misuse and the one-line message it must give. */
const xorMisuses: Readonly<Record<string, readonly [Use, RegExp]>> = {
  "a BCE target of 2": [
    (m) => m.fit({ train: { x, y: t([4, 1], [0, 1, 2, 0]) } }),
    /^fit: train data: y\[2, 0\] is 2, outside \[0, 1\], the targets binary_cross_entropy takes$/,
  ],
  "a NaN target": [
    (m) => m.evaluate({ x, y: t([4, 1], [0, NaN, 1, 0]) }),
    /^evaluate: y\[1, 0\] is NaN; targets must be finite numbers$/,
  ],
  "a bad validation target": [
    (m) => m.fit({ train: { x, y }, validation: { x: t([1, 2], [0, 0]), y: t([1, 1], [-1]) } }),
    /^fit: validation data: y\[0, 0\] is -1/,
  ],
  "rows of the wrong width": [
    (m) => m.predict(t([2, 3], [0, 0, 0, 1, 1, 1])),
    /^predict: x has shape \[2, 3\] but the model takes \[batch, 2\]$/,
  ],
  "data shorter than its shape": [
    (m) => m.predict(t([4, 2], [0, 0, 0, 1, 1])),
    /^predict: x has shape \[4, 2\] \(8 values\) but its data holds 5$/,
  ],
  "a missing target": [
    (m) => m.fit({ train: { x } }),
    /^fit: train data: no tensor for y \(given: x\)$/,
  ],
  "row counts that differ": [
    (m) => m.trainStep({ x, y: t([3, 1], [0, 1, 1]) }),
    /^trainStep: x has 4 rows but y has 3/,
  ],
  "no rows to fit": [
    (m) => m.fit({ train: { x: t([0, 2], []), y: t([0, 1], []) } }),
    /^fit: train data: no rows$/,
  ],
  "null for predict": [
    (m) => m.predict(null as never),
    /^predict: expected tensors by name, not null$/,
  ],
  "a plain array as data": [
    (m) => m.predict({ x: { shape: [1, 2], data: [0, 1] as never } }),
    /^predict: x\.data is an array, not a Float32Array$/,
  ],
  "batch size 0 (an endless loop before)": [
    (m) => m.predict(x, { batchSize: 0 }),
    /^predict: batchSize must be a whole number of at least 1, not 0$/,
  ],
  "batch size 1.5": [
    (m) => m.evaluate({ x, y }, { batchSize: 1.5 }),
    /^evaluate: batchSize must be/,
  ],
  "fit with epochs -1": [
    (m) => m.fit({ train: { x, y } }, { epochs: -1 }),
    /^fit: epochs must be a whole number of at least 1, not -1$/,
  ],
  "fit with epochs 1.5": [
    (m) => m.fit({ train: { x, y } }, { epochs: 1.5 }),
    /^fit: epochs must be/,
  ],
  "fit with batch size 0": [
    (m) => m.fit({ train: { x, y } }, { batchSize: 0 }),
    /^fit: batchSize must be/,
  ],
  "a NaN seed": [
    () => Xor.create({ backend: "js", seed: NaN }),
    /^the seed must be a whole number >= 0, not NaN$/,
  ],
  "shuffle as a string": [
    (m) => m.fit({ train: { x, y } }, { shuffle: "yes" as never }),
    /^fit: shuffle must be true or false, not "yes"$/,
  ],
  "a misspelt early-stopping monitor (stopped after one epoch, silently)": [
    (m) =>
      m.fit(
        { train: { x, y } },
        {
          epochs: 3,
          earlyStopping: { monitor: "los", patience: 0, minDelta: 0, restoreBest: false },
        },
      ),
    /^fit: earlyStopping\.monitor must be one of loss, val_loss, not "los"$/,
  ],
  "early stopping on val_loss without validation data": [
    (m) =>
      m.fit(
        { train: { x, y } },
        { earlyStopping: { monitor: "val_loss", patience: 1, minDelta: 0, restoreBest: true } },
      ),
    /^fit: earlyStopping monitors val_loss, but no validation data was given$/,
  ],
  "an unknown schedule": [
    (m) => m.fit({ train: { x, y } }, { lrSchedule: { kind: "linear" } as never }),
    /^fit: lrSchedule must be null or a schedule of kind step, exponential or cosine/,
  ],
  "shape given as strings": [
    (m) => m.predict({ x: { shape: ["4", "2"] as never, data: x.data } }),
    /^predict: x has shape \["4","2"\]; a shape is whole numbers >= 0, rows first$/,
  ],
  "a NaN learning rate": [
    async (m) => m.setLearningRate(NaN),
    /^the learning rate must be a finite number >= 0, not NaN$/,
  ],
  "a state dict with NaN weights": [
    async (m) => {
      const state = await m.stateDict();
      const [name, value] = [...state][0]!;
      state.set(name, { ...value, data: value.data.map(() => NaN) });
      await m.loadStateDict(state);
    },
    /^state dict: \S+ holds NaN at index 0; weights must be finite$/,
  ],
  "a state dict whose data does not fill its shape": [
    async (m) => {
      const state = await m.stateDict();
      const [name, value] = [...state][0]!;
      state.set(name, { ...value, data: value.data.subarray(1) });
      await m.loadStateDict(state);
    },
    /^state dict: \S+ has shape \[\d+(, \d+)*\] \(\d+ values\) but its data holds \d+$/,
  ],
  "a state dict with a __proto__ tensor": [
    async (m) => {
      const state = await m.stateDict();
      state.set("__proto__", t([1], [0]));
      await m.loadStateDict(state);
    },
    /unexpected __proto__ \[1\]: the model has no such tensor/,
  ],
  "stateDict after dispose": [
    async (m) => {
      m.dispose();
      await m.stateDict();
    },
    /^model Xor was disposed$/,
  ],
  "load after dispose": [
    async (m) => {
      const bytes = await m.save();
      m.dispose();
      await m.load(bytes);
    },
    /^model Xor was disposed$/,
  ],
  "garbage bytes to load": [(m) => m.load(new Uint8Array([1, 2, 3])), /is not a safetensors file/],
};

describe("the model API given bad data", () => {
  it.each(Object.entries(xorMisuses))("%s", async (_name, [use, message]) => {
    const model = await Xor.create({ backend: "js", seed: 1 });
    try {
      const error = await use(model).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).name).toMatch(/^(DataError|ModelError|CheckpointError)$/);
      expect((error as Error).message).toMatch(message);
    } finally {
      model.dispose();
    }
  });

  it("checks class ids, with inputs and targets named like Object's properties", async () => {
    const model = await Ids.create({ backend: "js", seed: 1 });
    const data = (labels: number[]) => ({ constructor: features, toString: t([2], labels) });
    await expect(model.fit({ train: data([0, 3]) })).rejects.toThrow(
      /^fit: train data: toString\[1\] is 3, not a class id \(a whole number in \[0, 2\]\)$/,
    );
    await expect(model.evaluate(data([1.5, 0]))).rejects.toThrow(
      /^evaluate: toString\[0\] is 1\.5, not a class id/,
    );
    await expect(model.evaluate(data([0, -1]))).rejects.toThrow(/toString\[1\] is -1/);
    // Object's own constructor and toString are never taken for the model's tensors.
    await expect(model.predict({})).rejects.toThrow(
      /^predict: no tensor for constructor \(given: none\)$/,
    );
    await expect(model.fit({ train: { constructor: features } })).rejects.toThrow(
      /^fit: train data: no tensor for toString \(given: constructor\)$/,
    );
    // Valid ids, as [n] or [n, 1], train and evaluate.
    const history = await model.fit({ train: data([0, 2]) });
    expect(Number.isFinite(history.epochs[0]!.loss)).toBe(true);
    const figures = await model.evaluate({ constructor: features, toString: t([2, 1], [2, 0]) });
    expect(Number.isFinite(figures["loss"])).toBe(true);
    model.dispose();
  });

  it("checks token ids against the embedding's vocabulary, in predict too", async () => {
    const model = await (await modelClass(tokens)).create({ backend: "js", seed: 1 });
    const words = (values: number[]) => t([2, 3], values);
    const labels = t([2], [0, 1]);
    await expect(
      model.fit({ train: { words: words([0, 1, 5, 2, 3, 4]), y: labels } }),
    ).rejects.toThrow(
      /^fit: train data: words\[0, 2\] is 5, not a token id \(a whole number in \[0, 4\]\)$/,
    );
    await expect(model.predict({ words: words([0, 1, 2, 3, 4, 1.5]) })).rejects.toThrow(
      /^predict: words\[1, 2\] is 1\.5, not a token id/,
    );
    await expect(model.evaluate({ words: words([-1, 0, 0, 0, 0, 0]), y: labels })).rejects.toThrow(
      /words\[0, 0\] is -1/,
    );
    await expect(model.predict({ words: words([0, 1, 2, 3, 4, Number.NaN]) })).rejects.toThrow(
      /words\[1, 2\] is NaN, not a token id/,
    );
    const out = await model.predict({ words: words([0, 1, 2, 3, 4, 4]) });
    expect(out.shape).toEqual([2, 2]);
    model.dispose();
  });
});
