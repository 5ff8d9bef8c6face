import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { diagnostic } from "../diagnostics/diagnostic.js";
import type { Model, TensorType } from "../ir/types.js";

/**
 * Whether each metric fits the model's output and target (E411), once their shapes are known:
 * `auc` is binary (one output column against 0/1 targets); `top_k_accuracy` needs class
 * scores and k below the number of classes; an `average` needs classes to average over; `r2`
 * compares values, not class ids. Skipped when the output's width is not a known number.
 */
export function checkMetrics(model: Model, types: ReadonlyMap<string, TensorType>): Diagnostic[] {
  const settings = model.settings;
  const outputType = model.output === null ? undefined : types.get(model.output);
  const target = model.targets[0];
  if (settings.metrics.length === 0 || outputType === undefined || target === undefined) return [];
  const dims = outputType.shape.slice(1);
  if (!dims.every((d): d is number => typeof d === "number")) return [];
  const columns = dims.reduce((p, d) => p * d, 1);
  const ids = (types.get(target.name) ?? target.type).dtype === "i32";
  const classes = ids ? columns : columns === 1 ? 2 : columns;
  const out: Diagnostic[] = [];
  const report = (metric: (typeof settings.metrics)[number], detail: string) => {
    const span = settings.metricSpans.get(metric);
    if (span) out.push(diagnostic("E411", span, { detail }));
  };
  for (const metric of settings.metrics) {
    switch (metric) {
      case "auc":
        if (columns !== 1 || ids) {
          report(
            metric,
            `auc is binary: it needs one output column (a sigmoid's probability) and 0/1 targets, but the output has ${columns} columns${ids ? ` and \`${target.name}\` holds class ids` : ""}; for classes use f1 or top_k_accuracy`,
          );
        }
        break;
      case "top_k_accuracy": {
        const k = settings.metricOptions.topK;
        if (columns === 1) {
          report(metric, "top_k_accuracy ranks class scores, but the output has one column");
        } else if (k >= classes) {
          report(
            metric,
            `top_k_accuracy(k: ${k}) needs k below the number of classes (${classes}): with k = ${k} every row counts; write e.g. top_k_accuracy(${Math.max(1, classes - 1)})`,
          );
        }
        break;
      }
      case "precision":
      case "recall":
      case "f1":
        if (columns === 1 && !ids && settings.metricsWithSettings.has(metric)) {
          report(
            metric,
            `${metric}(average: ...) averages over classes, but the output has one column: a single sigmoid output's ${metric} is binary; write ${metric}`,
          );
        }
        break;
      case "r2":
        if (ids) {
          report(
            metric,
            `r2 compares outputs with regression targets, but \`${target.name}\` holds class ids; use accuracy or f1`,
          );
        }
        break;
      case "accuracy":
      case "mse":
      case "rmse":
      case "mae":
        break;
    }
  }
  return out;
}
