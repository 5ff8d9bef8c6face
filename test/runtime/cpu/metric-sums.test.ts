import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { METRIC_SUM_COUNT, MetricSum } from "../../../runtime/backend.js";
import type { MetricName, TensorSpec } from "../../../runtime/spec.js";
import {
  MetricAccumulator,
  meanLoss,
  metricLayout,
  metricsFromSums,
} from "../../../runtime/train/metrics.js";
import { backendFor, configurations } from "./helpers.js";

const allMetrics: readonly MetricName[] = ["accuracy", "mse", "rmse", "mae"];

/** A batch: outputs [rows, classes], targets (class ids, or [rows, classes] values), a loss. */
interface Batch {
  readonly rows: number;
  readonly output: number[];
  readonly target: number[];
  readonly loss: number;
}

const spec = (shape: (number | null)[], dtype: "f32" | "i32"): TensorSpec =>
  ({ name: "t", shape, dtype }) as unknown as TensorSpec;

/** Values with ties and both sides of the 0.5 threshold, NaN now and then. */
const value = fc.oneof(
  { weight: 8, arbitrary: fc.double({ min: -2, max: 2, noNaN: true }) },
  { weight: 2, arbitrary: fc.constantFrom(0, 0.5, 1) },
  { weight: 1, arbitrary: fc.constant(NaN) },
);

function batches(classes: number, ids: boolean): fc.Arbitrary<Batch[]> {
  const batch = fc.integer({ min: 0, max: 9 }).chain((rows) =>
    fc.record({
      rows: fc.constant(rows),
      output: fc.array(value, { minLength: rows * classes, maxLength: rows * classes }),
      target: ids
        ? fc.array(fc.integer({ min: 0, max: classes - 1 }), { minLength: rows, maxLength: rows })
        : fc.array(value, { minLength: rows * classes, maxLength: rows * classes }),
      loss: fc.double({ min: 0, max: 10, noNaN: true }),
    }),
  );
  return fc.array(batch, { minLength: 1, maxLength: 4 });
}

describe.each(configurations)("accumulateMetrics (%s, %s)", (variant, precision) => {
  const backend = backendFor(precision, variant);

  it.each([
    ["one sigmoid column", 1, false],
    ["class ids", 4, true],
    ["one-hot rows", 3, false],
  ] as const)("sums the reference's figures bit for bit: %s", (_name, classes, ids) => {
    const output = spec([null, classes], "f32");
    const target = ids ? spec([null], "i32") : spec([null, classes], "f32");
    const layout = metricLayout(allMetrics, output, target);
    fc.assert(
      fc.property(batches(classes, ids), (drawn) => {
        const reference = new MetricAccumulator(allMetrics, output, target);
        const sums = backend.allocMetricSums();
        let total = 0;
        let rows = 0;
        let firstNonFinite = 0;
        for (const [step, b] of drawn.entries()) {
          const out = backend.alloc(Math.max(b.output.length, 1));
          const tgt = backend.alloc(Math.max(b.target.length, 1));
          const loss = backend.alloc(1);
          backend.write(out, b.output);
          backend.write(tgt, b.target);
          backend.write(loss, [b.loss]);
          backend.accumulateMetrics(sums, loss, out, tgt, b.rows, layout);
          // The reference sees what the device holds (values rounded to its precision).
          reference.add(out, tgt, b.rows);
          total += loss[0]! * b.rows;
          rows += b.rows;
          const outputs = Array.from(out.subarray(0, b.rows * classes));
          if (firstNonFinite === 0 && !outputs.every(Number.isFinite)) firstNonFinite = step + 1;
        }
        const read = backend.view(sums, METRIC_SUM_COUNT);
        expect(metricsFromSums(allMetrics, read)).toEqual(reference.result());
        expect(read[MetricSum.rows]).toBe(rows);
        expect(meanLoss(read)).toBe(rows === 0 ? NaN : total / rows);
        expect(read[MetricSum.steps]).toBe(drawn.length);
        expect(read[MetricSum.firstNonFinite]).toBe(firstNonFinite);
      }),
      { seed: 8, numRuns: 60 },
    );
  });

  it("sums only the loss and rows when no metric is asked for", () => {
    const layout = {
      classes: 2,
      ids: false,
      metrics: false,
      topK: 0,
      confusion: false,
      r2: false,
      scores: false,
    };
    const sums = backend.allocMetricSums();
    const loss = backend.alloc(1);
    backend.write(loss, [0.25]);
    backend.accumulateMetrics(sums, loss, backend.alloc(8), backend.alloc(0), 4, layout);
    backend.accumulateMetrics(sums, loss, backend.alloc(4), backend.alloc(0), 2, layout);
    const read = backend.view(sums, METRIC_SUM_COUNT);
    expect([read[MetricSum.loss], read[MetricSum.rows], read[MetricSum.elements]]).toEqual([
      1.5, 6, 0,
    ]);
    expect([read[MetricSum.steps], read[MetricSum.firstNonFinite]]).toEqual([2, 0]);
  });

  it("records the first step whose loss or outputs are not finite, and only the first", () => {
    const layout = {
      classes: 2,
      ids: true,
      metrics: true,
      topK: 0,
      confusion: false,
      r2: false,
      scores: false,
    };
    const sums = backend.allocMetricSums();
    const output = backend.alloc(4);
    const target = backend.alloc(2);
    const loss = backend.alloc(1);
    const step = (lossValue: number, outputs: number[]): number[] => {
      backend.write(loss, [lossValue]);
      backend.write(output, outputs);
      backend.accumulateMetrics(sums, loss, output, target, 2, layout);
      const read = backend.view(sums, METRIC_SUM_COUNT);
      return [read[MetricSum.steps]!, read[MetricSum.firstNonFinite]!];
    };
    expect(step(0.5, [0, 1, 1, 0])).toEqual([1, 0]);
    expect(step(0.5, [0, 1, 1, 0])).toEqual([2, 0]);
    expect(step(NaN, [0, 1, 1, 0])).toEqual([3, 3]);
    expect(step(0.5, [0, Infinity, 1, 0])).toEqual([4, 3]);
    backend.fill(sums, 0, METRIC_SUM_COUNT);
    expect(step(0.5, [0, 1, -Infinity, 0])).toEqual([1, 1]);
  });

  it("keeps its sums in double precision and rejects short buffers", () => {
    const sums = backend.allocMetricSums();
    expect(sums).toBeInstanceOf(Float64Array);
    expect(sums.length).toBeGreaterThanOrEqual(METRIC_SUM_COUNT);
    const layout = {
      classes: 3,
      ids: false,
      metrics: true,
      topK: 0,
      confusion: false,
      r2: false,
      scores: false,
    };
    const loss = backend.alloc(1);
    expect(() =>
      backend.accumulateMetrics(sums, loss, backend.alloc(5), backend.alloc(6), 2, layout),
    ).toThrow(/accumulateMetrics: output holds 5 elements, needs 6/);
  });
});
