/**
 * The metrics against scikit-learn's values on the inputs of test/fixtures/metrics.json
 * (written by scripts/metric-fixtures.py): summed on each backend's device, in batches of 7
 * rows, read once, within 1e-6 relative. Inputs are multiples of 1/256, exact in f32.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Backend,
  type FloatArray,
  type MetricLayout,
  metricSlots,
} from "../../../runtime/backend.js";
import type { MetricAverage, MetricName } from "../../../runtime/spec.js";
import { defaultMetricOptions, metricsFromSums } from "../../../runtime/train/metrics.js";
import type { WebGpuBackend } from "../../../runtime/webgpu/webgpu-backend.js";
import { backendFor } from "../cpu/helpers.js";
import { testWebGpuBackend } from "../../helpers/webgpu.js";

interface Case {
  readonly name: string;
  readonly kind: "binary" | "multiclass" | "regression";
  readonly classes: number;
  readonly top_k?: number;
  readonly output: readonly number[];
  readonly target: readonly number[];
  readonly expected: Readonly<Record<string, number>>;
}

const fixtures = JSON.parse(
  readFileSync(new URL("../../fixtures/metrics.json", import.meta.url), "utf8"),
) as { readonly cases: readonly Case[] };

const BATCH = 7;

/** The case's targets as the backend reads them: class ids, or one-hot rows when `oneHot`. */
function targets(c: Case, oneHot: boolean): number[] {
  if (!oneHot) return [...c.target];
  return c.target.flatMap((id) => Array.from({ length: c.classes }, (_, k) => (k === id ? 1 : 0)));
}

function metricsOf(c: Case): MetricName[] {
  switch (c.kind) {
    case "binary":
      return ["accuracy", "precision", "recall", "f1", "auc"];
    case "multiclass":
      return ["accuracy", "precision", "recall", "f1", "top_k_accuracy"];
    case "regression":
      return ["r2"];
  }
}

/** Sums the case on `backend` in batches of BATCH rows; the buffer read back once. */
async function sumsOf(
  backend: Backend,
  c: Case,
  layout: MetricLayout,
  target: readonly number[],
): Promise<FloatArray> {
  const k = c.classes;
  const rows = c.output.length / k;
  const width = layout.ids ? 1 : k;
  const size = metricSlots(layout, rows).size;
  const sums = backend.allocMetricSums(size);
  const loss = backend.alloc(1);
  backend.write(loss, [0.5]);
  for (let start = 0; start < rows; start += BATCH) {
    const n = Math.min(BATCH, rows - start);
    const output = backend.alloc(n * k);
    backend.write(output, c.output.slice(start * k, (start + n) * k));
    const labels = backend.alloc(n * width);
    backend.write(labels, target.slice(start * width, (start + n) * width));
    backend.accumulateMetrics(sums, loss, output, labels, n, layout);
  }
  return backend.read(sums, size);
}

function expectClose(got: Record<string, number>, want: Record<string, number>): void {
  for (const [name, value] of Object.entries(want)) {
    const actual = got[name];
    expect(actual, name).toBeDefined();
    expect(Math.abs(actual! - value), `${name}: ${actual} vs ${value}`).toBeLessThanOrEqual(
      1e-6 * Math.max(1, Math.abs(value)),
    );
  }
}

async function checkCase(backend: Backend, c: Case, oneHot: boolean): Promise<void> {
  const metrics = metricsOf(c);
  const layout: MetricLayout = {
    classes: c.classes,
    ids: c.kind === "multiclass" && !oneHot,
    metrics: true,
    topK: c.top_k ?? 0,
    confusion: c.kind !== "regression",
    r2: c.kind === "regression",
    scores: c.kind === "binary",
  };
  const sums = await sumsOf(backend, c, layout, targets(c, oneHot && c.kind === "multiclass"));
  if (c.kind !== "multiclass") {
    expectClose(metricsFromSums(metrics, sums, layout), c.expected);
    return;
  }
  for (const average of ["macro", "micro"] as const satisfies readonly MetricAverage[]) {
    const options = {
      topK: c.top_k!,
      average: { precision: average, recall: average, f1: average },
    };
    const got = metricsFromSums(metrics, sums, layout, options);
    const want: Record<string, number> = {
      accuracy: c.expected.accuracy!,
      top_k_accuracy: c.expected.top_k_accuracy!,
    };
    for (const m of ["precision", "recall", "f1"]) want[m] = c.expected[`${m}_${average}`]!;
    expectClose(got, want);
  }
}

describe.each([
  ["js", "f32"],
  ["js", "f64"],
  ["wasm", "f32"],
] as const)("metrics against scikit-learn (%s, %s)", (variant, precision) => {
  it.each(fixtures.cases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const backend = backendFor(precision, variant);
    await checkCase(backend, c, false);
    if (c.kind === "multiclass") await checkCase(backend, c, true);
  });
});

describe("metrics against scikit-learn (webgpu)", () => {
  let gpu: WebGpuBackend;
  beforeAll(async () => {
    gpu = await testWebGpuBackend();
  });
  afterAll(() => gpu?.dispose());

  it.each(fixtures.cases.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    await checkCase(gpu, c, false);
    if (c.kind === "multiclass") await checkCase(gpu, c, true);
  });
});

it("leaves the settings of metrics written without any at Keras' defaults", () => {
  expect(defaultMetricOptions).toEqual({
    topK: 5,
    average: { precision: "macro", recall: "macro", f1: "macro" },
  });
});
