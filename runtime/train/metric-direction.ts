/**
 * Which way each figure improves: the one table behind `early_stopping` and checkpoint
 * `monitor` (never a guess from the name's suffix). Keyed by metric name without `val_`;
 * rows for metrics the language does not have yet are harmless, and a metric added to
 * MetricName without a row fails to type-check below.
 *
 * Guarantees: `improves` is a strict comparison (ties never improve) with `minDelta` applied
 * in the figure's direction; an unknown figure is a RangeError, never a silent default.
 */
import type { MetricName } from "../spec.js";

export type Direction = "higher" | "lower";

const directions = {
  loss: "lower",
  mse: "lower",
  mae: "lower",
  rmse: "lower",
  accuracy: "higher",
  precision: "higher",
  recall: "higher",
  f1: "higher",
  auc: "higher",
  r2: "higher",
  top_k_accuracy: "higher",
} as const satisfies Readonly<Record<string, Direction>>;

// Every metric the language has must have a row.
const everyMetricHasARow: Readonly<Record<MetricName | "loss", Direction>> = directions;
void everyMetricHasARow;

/** The direction of `monitor` (`loss`, `val_accuracy`, `top_5_accuracy`, ...). */
export function directionOf(monitor: string): Direction {
  const name = monitor.startsWith("val_") ? monitor.slice(4) : monitor;
  const key = /^top_\d+_accuracy$/.test(name) ? "top_k_accuracy" : name;
  const direction = (directions as Readonly<Record<string, Direction>>)[key];
  if (direction === undefined)
    throw new RangeError(`no direction is known for the figure ${monitor}`);
  return direction;
}

/** True when `value` beats `best` by more than `minDelta` in `monitor`'s direction. */
export function improves(monitor: string, value: number, best: number, minDelta = 0): boolean {
  return directionOf(monitor) === "higher" ? value > best + minDelta : value < best - minDelta;
}
