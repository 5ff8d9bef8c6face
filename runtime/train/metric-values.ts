/**
 * The metrics computed from the extra sums of a metric-sums buffer (see MetricSlots in
 * runtime/backend.ts): precision, recall, f1, top-k accuracy, r2 and ROC AUC over a whole
 * epoch or data set, never averaged per batch. Definitions are Keras' and scikit-learn's
 * (test/fixtures/metrics.json holds scikit-learn's values):
 *
 * - a row's predicted class is the first maximum of its outputs; a single output column is
 *   one "positive" class, predicted when the output is >= 0.5 (as accuracy's threshold) and
 *   true when the target is >= 0.5;
 * - precision = tp / predicted, recall = tp / actual, f1 = 2 tp / (predicted + actual); a
 *   zero denominator gives 0 (scikit-learn's zero_division=0, Keras' divide_no_nan);
 * - `macro` is the unweighted mean over all the model's classes (classes never seen nor
 *   predicted count as 0, as Keras' F1Score and scikit-learn with labels=range(classes));
 *   `micro` divides the summed counts (for single-label classes, equal to accuracy);
 * - top-k accuracy: the fraction of rows whose true class has fewer than k classes scoring
 *   strictly higher (ties at the boundary count in, as tf.math.in_top_k);
 * - r2: per output column 1 - SS_res / SS_tot, uniformly averaged over columns
 *   (scikit-learn's r2_score); a constant column scores 1 when predicted exactly, else 0
 *   (force_finite); SS_tot comes from one-pass sums (sum of squares minus n times the squared
 *   mean), so targets whose spread is tiny against their mean lose precision on f32 devices;
 * - auc: the exact area under the ROC curve, ties counting half (the Mann-Whitney statistic,
 *   equal to scikit-learn's roc_auc_score); 0 when the labels are all of one kind (undefined:
 *   scikit-learn raises, Keras' AUC gives 0), NaN when a score is NaN.
 */
import { type FloatArray, type MetricLayout, type MetricSlots, MetricSum } from "../backend.js";
import type { MetricName, MetricOptions } from "../spec.js";

/** Below this share of the sum of squares, SS_tot is rounding error: the column is constant. */
const CONSTANT_COLUMN = 1e-12;

/** The value of `metric` (one that needs extra sums) from `sums`. */
export function extraMetricValue(
  metric: MetricName,
  sums: FloatArray,
  layout: MetricLayout,
  slots: MetricSlots,
  options: MetricOptions,
): number {
  const rows = sums[MetricSum.rows]!;
  switch (metric) {
    case "precision":
    case "recall":
    case "f1":
      return averaged(metric, sums, layout, slots, options.average[metric]);
    case "top_k_accuracy":
      return rows === 0 ? 0 : sums[slots.topK]! / rows;
    case "r2":
      return r2(sums, layout.classes, slots, rows);
    case "auc":
      return rocAuc(sums, slots.scores, rows);
    case "accuracy":
    case "mse":
    case "rmse":
    case "mae":
      throw new Error(`metric ${metric} comes from the basic sums`);
  }
}

function averaged(
  metric: "precision" | "recall" | "f1",
  sums: FloatArray,
  layout: MetricLayout,
  slots: MetricSlots,
  average: "macro" | "micro",
): number {
  const classes = layout.classes;
  const score = (tp: number, predicted: number, actual: number): number => {
    const [num, den] =
      metric === "precision"
        ? [tp, predicted]
        : metric === "recall"
          ? [tp, actual]
          : [2 * tp, predicted + actual];
    return den === 0 ? 0 : num / den;
  };
  const at = (offset: number, c: number) => sums[offset + c]!;
  if (average === "micro") {
    let tp = 0;
    let predicted = 0;
    let actual = 0;
    for (let c = 0; c < classes; c++) {
      tp += at(slots.truePositive, c);
      predicted += at(slots.predicted, c);
      actual += at(slots.actual, c);
    }
    return score(tp, predicted, actual);
  }
  let total = 0;
  for (let c = 0; c < classes; c++) {
    total += score(at(slots.truePositive, c), at(slots.predicted, c), at(slots.actual, c));
  }
  return classes === 0 ? 0 : total / classes;
}

function r2(sums: FloatArray, columns: number, slots: MetricSlots, rows: number): number {
  if (rows === 0 || columns === 0) return 0;
  let total = 0;
  for (let c = 0; c < columns; c++) {
    const sum = sums[slots.targetSum + c]!;
    const squares = sums[slots.targetSquares + c]!;
    const residual = sums[slots.squaredError + c]!;
    const ssTot = squares - (sum * sum) / rows;
    const constant = ssTot <= CONSTANT_COLUMN * squares;
    total += constant ? (residual === 0 ? 1 : 0) : 1 - residual / ssTot;
  }
  return total / columns;
}

/** ROC AUC of the (score, label) pairs at `sums[offset ..]`, by ranks with ties averaged. */
export function rocAuc(sums: FloatArray, offset: number, rows: number): number {
  const scores = new Float64Array(rows);
  let positives = 0;
  for (let i = 0; i < rows; i++) {
    const score = sums[offset + 2 * i]!;
    if (Number.isNaN(score)) return NaN;
    scores[i] = score;
    positives += sums[offset + 2 * i + 1]!;
  }
  const negatives = rows - positives;
  if (positives === 0 || negatives === 0) return 0;
  const order = Uint32Array.from({ length: rows }, (_, i) => i).sort(
    (a, b) => scores[a]! - scores[b]!,
  );
  // sum of the positives' ranks (1-based), each tie group sharing its mean rank
  let rankSum = 0;
  for (let start = 0; start < rows;) {
    let end = start + 1;
    while (end < rows && scores[order[end]!] === scores[order[start]!]) end++;
    const meanRank = (start + 1 + end) / 2;
    for (let i = start; i < end; i++) rankSum += meanRank * sums[offset + 2 * order[i]! + 1]!;
    start = end;
  }
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}
