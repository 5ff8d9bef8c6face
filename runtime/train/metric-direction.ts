/**
 * Whether each metric is better when higher or when lower: what early stopping's (and a
 * checkpoint's) `monitor` compares by, read from this table rather than guessed from a name.
 * The loss is always better lower.
 */
import type { MetricName } from "../spec.js";

export const METRIC_DIRECTION: Readonly<Record<MetricName, "higher" | "lower">> = {
  accuracy: "higher",
  precision: "higher",
  recall: "higher",
  f1: "higher",
  auc: "higher",
  top_k_accuracy: "higher",
  r2: "higher",
  mse: "lower",
  rmse: "lower",
  mae: "lower",
};

/** Whether a monitored figure (`loss`, `val_loss`, `NAME`, `val_NAME`) is better when higher. */
export function higherIsBetter(monitor: string): boolean {
  const name = monitor.startsWith("val_") ? monitor.slice(4) : monitor;
  return name in METRIC_DIRECTION && METRIC_DIRECTION[name as MetricName] === "higher";
}
