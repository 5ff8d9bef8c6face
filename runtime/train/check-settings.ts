/**
 * The train settings `fit` runs with, checked when a program overrides them (FitOptions are
 * Partial<TrainSettings>): the compiler checks a `.nn` file's settings (E403, E409), and a
 * program calling `fit` directly gets the same guarantee here.
 *
 * Assumes `metrics` are the model's metrics (what `monitor` may name, with or without `val_`).
 * Guarantees: on return every setting has its type and range (whole epochs and batch sizes of
 * at least 1, a whole seed >= 0, booleans, a known monitor that has validation data when it is
 * a `val_` figure, finite schedule figures); otherwise one DataError (E502) line naming it.
 * Without this, a misspelt monitor reads NaN and stops training after one epoch, silently.
 */
import type { BatchIterator } from "../data/batches.js";
import { DataError } from "../data/errors.js";
import type { MetricName, MinBatch, TrainSettings } from "../spec.js";

export function checkFitSettings(
  settings: TrainSettings,
  metrics: readonly MetricName[],
  hasValidation: boolean,
): void {
  const fail = (what: string, expected: string, value: unknown): never => {
    throw new DataError("E502", `fit: ${what} must be ${expected}, not ${show(value)}`);
  };
  const whole = (what: string, value: unknown, min: number) => {
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min)
      fail(what, `a whole number of at least ${min}`, value);
  };
  const finite = (what: string, value: unknown, min: number, above = false) => {
    if (
      typeof value !== "number" ||
      !Number.isFinite(value) ||
      value < min ||
      (above && value === min)
    )
      fail(what, `a finite number ${above ? ">" : ">="} ${min}`, value);
  };
  const bool = (what: string, value: unknown) => {
    if (typeof value !== "boolean") fail(what, "true or false", value);
  };
  whole("epochs", settings.epochs, 1);
  whole("batchSize", settings.batchSize, 1);
  whole("seed", settings.seed, 0);
  bool("shuffle", settings.shuffle);
  bool("dropLast", settings.dropLast);
  const stopping = settings.earlyStopping as unknown;
  if (stopping !== null && stopping !== undefined) {
    if (typeof stopping !== "object")
      fail("earlyStopping", "null or { monitor, patience, minDelta, restoreBest }", stopping);
    const s = stopping as Record<string, unknown>;
    const monitors = ["loss", ...metrics, "val_loss", ...metrics.map((m) => `val_${m}`)];
    if (typeof s["monitor"] !== "string" || !monitors.includes(s["monitor"]))
      fail("earlyStopping.monitor", `one of ${monitors.join(", ")}`, s["monitor"]);
    if ((s["monitor"] as string).startsWith("val_") && !hasValidation)
      throw new DataError(
        "E502",
        `fit: earlyStopping monitors ${s["monitor"] as string}, but no validation data was given`,
      );
    whole("earlyStopping.patience", s["patience"], 0);
    finite("earlyStopping.minDelta", s["minDelta"], 0);
    bool("earlyStopping.restoreBest", s["restoreBest"]);
  }
  const checkpoint = settings.checkpoint as unknown;
  if (checkpoint !== undefined) {
    if (typeof checkpoint !== "object" || checkpoint === null)
      fail("checkpoint", "absent or { dir, every, keep, monitor }", checkpoint);
    const c = checkpoint as Record<string, unknown>;
    whole("checkpoint.every", c["every"], 1);
    whole("checkpoint.keep", c["keep"], 0);
    const monitor = c["monitor"];
    if (monitor !== null) {
      const monitors = ["loss", ...metrics, "val_loss", ...metrics.map((m) => `val_${m}`)];
      if (typeof monitor !== "string" || !monitors.includes(monitor))
        fail("checkpoint.monitor", `null or one of ${monitors.join(", ")}`, monitor);
      if ((monitor as string).startsWith("val_") && !hasValidation)
        throw new DataError(
          "E502",
          `fit: checkpoint monitors ${monitor as string}, but no validation data was given`,
        );
    }
  }
  const schedule = settings.lrSchedule as unknown;
  if (schedule !== null && schedule !== undefined) {
    const s = (typeof schedule === "object" ? schedule : {}) as Record<string, unknown>;
    switch (s["kind"]) {
      case "step":
        whole("lrSchedule.every", s["every"], 1);
        finite("lrSchedule.gamma", s["gamma"], 0, true);
        break;
      case "exponential":
        finite("lrSchedule.gamma", s["gamma"], 0, true);
        break;
      case "cosine":
        whole("lrSchedule.epochs", s["epochs"], 1);
        finite("lrSchedule.minLr", s["minLr"], 0);
        break;
      default:
        fail("lrSchedule", "null or a schedule of kind step, exponential or cosine", schedule);
    }
  }
}

function show(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "object" && value !== null) {
    const text = JSON.stringify(value);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
  }
  return String(value);
}

/**
 * Refuses, before the first step, batch sizes the model cannot train on: with batch norm over
 * one value per channel, a last partial batch of one sample (PyTorch stops there mid-epoch).
 */
export function checkSmallestBatch(
  min: MinBatch | undefined,
  iterator: BatchIterator,
  rows: number,
): void {
  if (!min || iterator.batchCount === 0) return;
  const smallest = iterator.batchLength(iterator.batchCount - 1);
  if (smallest >= min.size) return;
  const which = iterator.batchCount === 1 ? "the only batch" : "the last batch of each epoch";
  throw new DataError(
    "E502",
    `${min.layer} normalises each feature over the batch, so a training batch needs at least ` +
      `${min.size} samples, but ${which} has ${smallest} (${rows} training rows, batch_size ` +
      `${iterator.batchSize}): set drop_last: true in train, or choose another batch_size`,
  );
}
