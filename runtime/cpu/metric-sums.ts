/**
 * Backend.accumulateMetrics for the CPU backends, whose buffers are host arrays (views on the
 * wasm memory for the wasm backend): one pass over the batch's outputs and targets in place,
 * allocating nothing. Every sum is carried in double precision and taken in the order of
 * runtime/train/metrics.ts's MetricAccumulator (rows in order, then columns), starting from
 * the running value, so the figures are bit for bit the reference's. The step count and the
 * first non-finite step (see MetricSum) are kept beside them.
 */
import { METRIC_SUM_COUNT, type FloatArray, type MetricLayout, MetricSum } from "../backend.js";
import { need } from "./checks.js";

/** A zeroed sums buffer (always f64: see Backend.allocMetricSums). */
export function allocMetricSumsHost(): Float64Array {
  return new Float64Array(METRIC_SUM_COUNT);
}

export function accumulateMetricsHost(
  sums: FloatArray,
  loss: FloatArray,
  output: FloatArray,
  target: FloatArray,
  rows: number,
  layout: MetricLayout,
): void {
  const k = layout.classes;
  const ids = layout.ids;
  need(sums, METRIC_SUM_COUNT, "accumulateMetrics", "sums");
  need(loss, 1, "accumulateMetrics", "loss");
  need(output, rows * k, "accumulateMetrics", "output");
  const step = sums[MetricSum.steps]! + 1;
  sums[MetricSum.steps] = step;
  if (sums[MetricSum.firstNonFinite] === 0 && !allFinite(loss[0]!, output, rows * k)) {
    sums[MetricSum.firstNonFinite] = step;
  }
  sums[MetricSum.loss] = sums[MetricSum.loss]! + loss[0]! * rows;
  if (!layout.metrics) {
    sums[MetricSum.rows] = sums[MetricSum.rows]! + rows;
    return;
  }
  need(target, ids ? rows : rows * k, "accumulateMetrics", "target");
  let correct = sums[MetricSum.correct]!;
  let squared = sums[MetricSum.squared]!;
  let absolute = sums[MetricSum.absolute]!;
  for (let r = 0; r < rows; r++) {
    const base = r * k;
    if (k === 1 && !ids) {
      if (output[base]! >= 0.5 === target[r]! >= 0.5) correct++;
    } else {
      let best = 0;
      for (let c = 1; c < k; c++) if (output[base + c]! > output[base + best]!) best = c;
      let truth = 0;
      if (ids) truth = target[r]!;
      else for (let c = 1; c < k; c++) if (target[base + c]! > target[base + truth]!) truth = c;
      if (best === truth) correct++;
    }
    for (let c = 0; c < k; c++) {
      const t = ids ? (target[r] === c ? 1 : 0) : target[base + c]!;
      const d = output[base + c]! - t;
      squared += d * d;
      absolute += Math.abs(d);
    }
  }
  sums[MetricSum.correct] = correct;
  sums[MetricSum.squared] = squared;
  sums[MetricSum.absolute] = absolute;
  sums[MetricSum.rows] = sums[MetricSum.rows]! + rows;
  sums[MetricSum.elements] = sums[MetricSum.elements]! + rows * k;
}

/** Whether `loss` and the first `size` outputs are finite (x - x is 0 only for finite x). */
function allFinite(loss: number, output: FloatArray, size: number): boolean {
  let bad = loss - loss;
  for (let i = 0; i < size; i++) bad += output[i]! - output[i]!;
  return bad === 0;
}
