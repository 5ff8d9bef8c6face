import * as ort from "onnxruntime-node";
import { expect } from "vitest";
import { loadGenerated } from "../../compiler/cli/load-module.js";
import type { ModelFunctions } from "../../compiler/emit/index.js";
import { type FeatureScaling, exportOnnx } from "../../compiler/onnx/index.js";
import { build } from "../../compiler/pipeline.js";
import type { CompiledModel } from "../../runtime/index.js";
import { mulberry32 } from "../helpers/random.js";

/**
 * The check of deliverable 2: a model's prediction exported to ONNX and run by ONNX Runtime
 * equals nnc's own `predict` on the same raw inputs, |a - b| <= 1e-5 + 1e-4 |b| per output.
 * The weights are the model's initial ones with batch norm's running statistics drawn away
 * from their 0 and 1 (so the evaluation-mode arithmetic is seen), and the feature scaling is
 * drawn too, applied by nnc to the inputs and by the graph's first nodes.
 */

export const ABSOLUTE = 1e-5;
export const RELATIVE = 1e-4;

/** Builds `source` and fails the test listing its errors. */
export function buildClean(source: string, file = "model.nn"): readonly ModelFunctions[] {
  const result = build(source, file);
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  expect(errors.map((d) => `${d.span.start.line}:${d.span.start.column} ${d.message}`)).toEqual([]);
  return result.models!;
}

interface ModelClass {
  create(options: Record<string, unknown>): Promise<CompiledModel>;
}

type Feeds = Record<string, { data: Float32Array | Int32Array; shape: number[] }>;

/** Random inputs of `rows` rows: f32 in [-2, 2), ids in [0, ids) (2 when unknown). */
function drawInputs(model: CompiledModel, rows: number, random: () => number): Feeds {
  const feeds: Feeds = {};
  for (const input of model.spec.inputs) {
    const shape = [rows, ...input.shape.slice(1).map((d) => d ?? 1)];
    const size = shape.reduce((a, d) => a * d, 1);
    feeds[input.name] =
      input.dtype === "i32"
        ? {
            data: Int32Array.from({ length: size }, () => Math.floor(random() * (input.ids ?? 2))),
            shape,
          }
        : { data: Float32Array.from({ length: size }, () => random() * 4 - 2), shape };
  }
  return feeds;
}

/** `tensors` with every running mean and variance redrawn (variances positive). */
function withRunningStats(
  tensors: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array; dtype?: string }>,
  random: () => number,
) {
  const out = new Map(tensors);
  for (const [name, t] of tensors) {
    const draw = name.endsWith(".running_mean")
      ? () => random() - 0.5
      : name.endsWith(".running_var")
        ? () => 0.5 + random()
        : null;
    if (draw) out.set(name, { ...t, data: Float32Array.from(t.data, draw) });
  }
  return out;
}

export interface CompareOptions {
  readonly opset?: number;
  /** Scale the first input's features (default: when it is f32). */
  readonly normalize?: boolean;
  readonly rows?: readonly number[];
}

/**
 * Exports every model of `source` and compares ONNX Runtime with nnc's predict for each batch
 * size of `rows` (one graph: the batch dimension is symbolic). Returns the exported bytes.
 */
export async function compareWithPredict(
  source: string,
  file = "model.nn",
  options: CompareOptions = {},
): Promise<Map<string, Uint8Array>> {
  const models = buildClean(source, file);
  const module = await loadGenerated(models, file);
  const exported = new Map<string, Uint8Array>();
  for (const functions of models) {
    const name = functions.model.name;
    const random = mulberry32(7);
    const model = await (module[name] as ModelClass).create({ backend: "js", seed: 3 });
    try {
      const tensors = withRunningStats(await model.stateDict(), random);
      await model.loadStateDict(tensors);
      const first = model.spec.inputs[0]!;
      const width = first.shape.length < 2 ? 1 : (first.shape.at(-1) ?? 1);
      const normalize: FeatureScaling | null =
        (options.normalize ?? first.dtype === "f32")
          ? {
              shift: Float32Array.from({ length: width }, () => random() * 2 - 1),
              scale: Float32Array.from({ length: width }, () => 0.5 + random() * 2),
            }
          : null;
      const result = exportOnnx(functions, tensors, {
        ...(options.opset !== undefined ? { opset: options.opset } : {}),
        normalize,
      });
      expect(result.diagnostics.map((d) => d.message)).toEqual([]);
      const bytes = result.bytes!;
      exported.set(name, bytes);
      const session = await ort.InferenceSession.create(bytes);
      expect(session.inputNames).toEqual(model.spec.inputs.map((i) => i.name));
      expect(session.outputNames).toEqual(["output"]);
      for (const rows of options.rows ?? [5, 2]) {
        const feeds = drawInputs(model, rows, random);
        // nnc takes ids as float32 whole numbers; the graph's id inputs are int32
        const nncFeeds = Object.fromEntries(
          Object.entries(feeds).map(([k, v]) => [k, { ...v, data: Float32Array.from(v.data) }]),
        ) as Feeds;
        if (normalize) {
          const x = nncFeeds[first.name]!;
          x.data = Float32Array.from(
            x.data,
            (v, i) => (v - normalize.shift[i % width]!) / normalize.scale[i % width]!,
          );
        }
        const expected = await model.predict(nncFeeds as never);
        const ortFeeds = Object.fromEntries(
          Object.entries(feeds).map(([k, v]) => [
            k,
            new ort.Tensor(v.data instanceof Int32Array ? "int32" : "float32", v.data, v.shape),
          ]),
        );
        const out = (await session.run(ortFeeds))["output"]!;
        expect(out.dims).toEqual(expected.shape);
        expectClose(out.data as Float32Array, expected.data, `${name}, ${rows} rows`);
      }
      await session.release();
    } finally {
      model.dispose();
    }
  }
  return exported;
}

/** Fails naming the first elements outside |a - b| <= 1e-5 + 1e-4 |b|. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string) {
  expect(actual.length, what).toBe(expected.length);
  const bad: string[] = [];
  for (let i = 0; i < expected.length; i++) {
    const [a, b] = [actual[i]!, expected[i]!];
    if (!(Math.abs(a - b) <= ABSOLUTE + RELATIVE * Math.abs(b))) bad.push(`[${i}] ${a} vs ${b}`);
  }
  expect(bad.slice(0, 5), `${what}: ONNX Runtime vs nnc predict`).toEqual([]);
}
