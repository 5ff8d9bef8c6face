/**
 * Backend.accumulateMetrics for the CPU backends, whose buffers are host arrays (views on the
 * wasm memory for the wasm backend): one pass over the batch's outputs and targets in place,
 * allocating nothing. Every sum is carried in double precision and taken in the order of
 * runtime/train/metrics.ts's MetricAccumulator (rows in order, then columns), starting from
 * the running value, so the figures are bit for bit the reference's. The step count and the
 * first non-finite step (see MetricSum) are kept beside them.
 */
import {
  METRIC_SUM_COUNT,
  type FloatArray,
  type MetricLayout,
  MetricSum,
  metricSlots,
} from "../backend.js";
import { need } from "./checks.js";

/** A zeroed sums buffer (always f64: see Backend.allocMetricSums). */
export function allocMetricSumsHost(size = METRIC_SUM_COUNT): Float64Array {
  return new Float64Array(size);
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
      const truth = ids ? target[r]! : argmax(target, base, k);
      if (argmax(output, base, k) === truth) correct++;
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
  if (layout.topK > 0 || layout.confusion || layout.r2 || layout.scores) {
    accumulateExtras(sums, output, target, rows, layout);
  }
  sums[MetricSum.rows] = sums[MetricSum.rows]! + rows;
  sums[MetricSum.elements] = sums[MetricSum.elements]! + rows * k;
}

/**
 * The extra sums of a layout (see MetricSlots), before `rows` counts this batch: the scores go
 * after the rows accumulated so far. A row's class is the first maximum of its outputs (of its
 * one-hot target), as accuracy's; a single output column is one class, positive at >= 0.5.
 */
function accumulateExtras(
  sums: FloatArray,
  output: FloatArray,
  target: FloatArray,
  rows: number,
  layout: MetricLayout,
): void {
  const k = layout.classes;
  const ids = layout.ids;
  const binary = k === 1 && !ids;
  const slots = metricSlots(layout, sums[MetricSum.rows]! + rows);
  need(sums, slots.size, "accumulateMetrics", "sums");
  const seen = sums[MetricSum.rows]!;
  for (let r = 0; r < rows; r++) {
    const base = r * k;
    const truth = ids
      ? target[r]!
      : binary
        ? target[r]! >= 0.5
          ? 0
          : -1
        : argmax(target, base, k);
    if (layout.confusion) {
      const predicted = binary ? (output[base]! >= 0.5 ? 0 : -1) : argmax(output, base, k);
      if (predicted >= 0) sums[slots.predicted + predicted]! += 1;
      if (truth >= 0 && truth < k) sums[slots.actual + truth]! += 1;
      if (predicted >= 0 && predicted === truth) sums[slots.truePositive + predicted]! += 1;
    }
    if (layout.topK > 0 && truth >= 0 && truth < k) {
      // in the top k when fewer than k classes score strictly higher (ties count in, as Keras')
      const score = output[base + truth]!;
      let higher = 0;
      for (let c = 0; c < k; c++) if (output[base + c]! > score) higher++;
      if (higher < layout.topK) sums[slots.topK]! += 1;
    }
    if (layout.r2) {
      for (let c = 0; c < k; c++) {
        const t = ids ? (target[r] === c ? 1 : 0) : target[base + c]!;
        const d = output[base + c]! - t;
        sums[slots.targetSum + c]! += t;
        sums[slots.targetSquares + c]! += t * t;
        sums[slots.squaredError + c]! += d * d;
      }
    }
    if (layout.scores) {
      const at = slots.scores + 2 * (seen + r);
      sums[at] = output[base]!;
      sums[at + 1] = target[r]! >= 0.5 ? 1 : 0;
    }
  }
}

/** The index of the first maximum of `values[base .. base + k)`. */
function argmax(values: FloatArray, base: number, k: number): number {
  let best = 0;
  for (let c = 1; c < k; c++) if (values[base + c]! > values[base + best]!) best = c;
  return best;
}

/** Whether `loss` and the first `size` outputs are finite (x - x is 0 only for finite x). */
function allFinite(loss: number, output: FloatArray, size: number): boolean {
  let bad = loss - loss;
  for (let i = 0; i < size; i++) bad += output[i]! - output[i]!;
  return bad === 0;
}
