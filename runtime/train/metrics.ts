import { type FloatArray, type MetricLayout, MetricSum, metricSlots } from "../backend.js";
import type { MetricName, MetricOptions, TensorSpec } from "../spec.js";
import { extraMetricValue } from "./metric-values.js";

/** The settings of metrics written without any (Keras' defaults). */
export const defaultMetricOptions: MetricOptions = {
  topK: 5,
  average: { precision: "macro", recall: "macro", f1: "macro" },
};

/** How Backend.accumulateMetrics reads a model's outputs and targets. */
export function metricLayout(
  metrics: readonly MetricName[],
  output: TensorSpec,
  target: TensorSpec,
  options: MetricOptions = defaultMetricOptions,
): MetricLayout {
  const has = (m: MetricName) => metrics.includes(m);
  return {
    classes: output.shape.slice(1).reduce<number>((p, d) => p * (d ?? 1), 1),
    ids: target.dtype === "i32",
    metrics: metrics.length > 0,
    topK: has("top_k_accuracy") ? options.topK : 0,
    confusion: has("precision") || has("recall") || has("f1"),
    r2: has("r2"),
    scores: has("auc"),
  };
}

/** Mean loss over the rows of a metric-sums buffer (NaN before any row). */
export function meanLoss(sums: FloatArray): number {
  const rows = sums[MetricSum.rows]!;
  return rows === 0 ? NaN : sums[MetricSum.loss]! / rows;
}

/**
 * The metrics of a metric-sums buffer (Backend.accumulateMetrics): accuracy and the errors as
 * MetricAccumulator's `result` computes them from the same sums, the others from the extra
 * sums of `layout` (see metric-values.ts), which metrics other than those four need.
 */
export function metricsFromSums(
  metrics: readonly MetricName[],
  sums: FloatArray,
  layout?: MetricLayout,
  options: MetricOptions = defaultMetricOptions,
): Record<string, number> {
  const out = metricValues(
    metrics,
    sums[MetricSum.correct]!,
    sums[MetricSum.rows]!,
    sums[MetricSum.squared]!,
    sums[MetricSum.absolute]!,
    sums[MetricSum.elements]!,
  );
  for (const m of metrics) {
    if (m in out) continue;
    if (layout === undefined) throw new Error(`metric ${m} needs the layout of its sums`);
    const slots = metricSlots(layout, sums[MetricSum.rows]!);
    out[m] = extraMetricValue(m, sums, layout, slots, options);
  }
  return out;
}

function metricValues(
  metrics: readonly MetricName[],
  correct: number,
  rows: number,
  squared: number,
  absolute: number,
  elements: number,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of metrics) {
    switch (m) {
      case "accuracy":
        out[m] = rows === 0 ? 0 : correct / rows;
        break;
      case "mse":
        out[m] = elements === 0 ? 0 : squared / elements;
        break;
      case "rmse":
        out[m] = elements === 0 ? 0 : Math.sqrt(squared / elements);
        break;
      case "mae":
        out[m] = elements === 0 ? 0 : absolute / elements;
        break;
      default:
        // the others need the extra sums: metricsFromSums
        break;
    }
  }
  return out;
}

/**
 * Running metrics over the batches of an epoch. Accuracy takes the argmax of the output
 * against class ids or the argmax of one-hot targets; a single output column (a sigmoid) is
 * thresholded at 0.5. mse, rmse and mae compare every output element with its target (class
 * ids count as one-hot rows). The reference definition: training and evaluation sum the same
 * figures on the device (Backend.accumulateMetrics), tested against this.
 */
export class MetricAccumulator {
  private correct = 0;
  private rows = 0;
  private squared = 0;
  private absolute = 0;
  private elements = 0;
  private readonly classes: number;
  private readonly ids: boolean;

  constructor(
    readonly metrics: readonly MetricName[],
    output: TensorSpec,
    target: TensorSpec,
  ) {
    this.classes = output.shape.slice(1).reduce<number>((p, d) => p * (d ?? 1), 1);
    this.ids = target.dtype === "i32";
  }

  reset(): void {
    this.correct = this.rows = this.squared = this.absolute = this.elements = 0;
  }

  /** Adds `count` rows: outputs `[count, classes]` and targets (ids `[count]` or `[count, classes]`). */
  add(output: FloatArray, target: FloatArray, count: number): void {
    if (this.metrics.length === 0) return;
    const k = this.classes;
    for (let r = 0; r < count; r++) {
      const base = r * k;
      if (k === 1 && !this.ids) {
        if (output[base]! >= 0.5 === target[r]! >= 0.5) this.correct++;
      } else {
        let best = 0;
        for (let c = 1; c < k; c++) if (output[base + c]! > output[base + best]!) best = c;
        let truth = 0;
        if (this.ids) truth = target[r]!;
        else for (let c = 1; c < k; c++) if (target[base + c]! > target[base + truth]!) truth = c;
        if (best === truth) this.correct++;
      }
      for (let c = 0; c < k; c++) {
        const t = this.ids ? (target[r] === c ? 1 : 0) : target[base + c]!;
        const d = output[base + c]! - t;
        this.squared += d * d;
        this.absolute += Math.abs(d);
      }
    }
    this.rows += count;
    this.elements += count * k;
  }

  result(): Record<string, number> {
    return metricValues(
      this.metrics,
      this.correct,
      this.rows,
      this.squared,
      this.absolute,
      this.elements,
    );
  }
}
