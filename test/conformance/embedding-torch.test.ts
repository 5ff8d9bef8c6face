import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadGenerated } from "../../compiler/cli/load-module.js";
import { build } from "../../compiler/pipeline.js";
import type { CompiledModel, CreateOptions, ParameterValue } from "../../runtime/index.js";
import { cpuVariants, variantBackend } from "../helpers/backends.js";

/**
 * embedding against torch.nn.Embedding (scripts/embedding-fixtures.py, torch 1.13): the
 * forward probabilities, the gradient of every parameter (the weight's rows summed over repeated
 * ids) and three Adam steps, for embedding -> flatten -> dense and embedding -> mean -> dense,
 * on the float64 CPU backends from the fixture's initial parameters.
 */

interface TorchCase {
  readonly reduce: "flatten" | "mean";
  readonly init: Readonly<Record<string, number[]>>;
  readonly probabilities: number[];
  readonly loss: number;
  readonly grads: Readonly<Record<string, number[]>>;
  readonly adam_steps: readonly { loss: number; params: Readonly<Record<string, number[]>> }[];
}

const fixture = JSON.parse(
  readFileSync(new URL("../fixtures/embedding-torch.json", import.meta.url), "utf8"),
) as { ids: number[][]; y: number[]; cases: TorchCase[] };

interface ModelClass {
  create(options?: CreateOptions): Promise<CompiledModel>;
}

function source(reduce: TorchCase["reduce"], optimizer: string): string {
  const pooled = reduce === "flatten" ? "flatten" : "mean(axis: 1)";
  return `
model Bag {
  input  ids: i32[batch, 4]
  target y: i32[batch]
  forward { ids -> embedding(6, 3) -> ${pooled} -> dense(3) -> softmax }
  loss      cross_entropy
  optimizer ${optimizer}
}`;
}

async function modelOf(text: string, options: CreateOptions): Promise<CompiledModel> {
  const result = build(text, "bag.nn");
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const module = await loadGenerated(result.models!, "bag.nn");
  return (module["Bag"] as ModelClass).create(options);
}

const batch = {
  ids: { shape: [5, 4], data: Float32Array.from(fixture.ids.flat()) },
  y: { shape: [5], data: Float32Array.from(fixture.y) },
};

function stateOf(values: Readonly<Record<string, number[]>>, like: Map<string, ParameterValue>) {
  return new Map(
    [...like].map(([name, p]) => [
      name,
      { shape: p.shape, data: Float32Array.from(values[name]!) },
    ]),
  );
}

/** |got - want| <= 1e-6 (1 + |want|) for every element. */
function expectClose(what: string, got: ArrayLike<number>, want: readonly number[]): void {
  expect(got.length, what).toBe(want.length);
  const far = want.flatMap((w, i) =>
    Math.abs(got[i]! - w) <= 1e-6 * (1 + Math.abs(w)) ? [] : [`${what}[${i}] ${got[i]} vs ${w}`],
  );
  expect(far).toEqual([]);
}

describe.each(cpuVariants)("embedding against PyTorch ($name, f64)", (variant) => {
  const options = (): CreateOptions => ({ backend: variantBackend(variant, "f64"), seed: 1 });

  for (const c of fixture.cases) {
    it(`${c.reduce}: forward, gradients (repeated ids summed) and three Adam steps`, async () => {
      // One SGD step of rate 1 from the initial parameters moves each by minus its gradient.
      const sgd = await modelOf(source(c.reduce, "sgd(lr: 1)"), options());
      const init = stateOf(c.init, await sgd.stateDict());
      await sgd.loadStateDict(init);
      const probabilities = await sgd.predict({ ids: batch.ids });
      expectClose("probabilities", probabilities.data, c.probabilities);
      expect(await sgd.trainStep(batch)).toBeCloseTo(c.loss, 6);
      for (const [name, after] of await sgd.stateDict()) {
        const before = init.get(name)!.data;
        expectClose(
          `d ${name}`,
          after.data.map((v, i) => before[i]! - v),
          c.grads[name]!,
        );
      }
      sgd.dispose();

      const adam = await modelOf(source(c.reduce, "adam(lr: 0.1)"), options());
      await adam.loadStateDict(init);
      for (const [k, step] of c.adam_steps.entries()) {
        expect(await adam.trainStep(batch), `loss of step ${k + 1}`).toBeCloseTo(step.loss, 6);
        for (const [name, value] of await adam.stateDict())
          expectClose(`${name} after step ${k + 1}`, value.data, step.params[name]!);
      }
      adam.dispose();
    });
  }
});
