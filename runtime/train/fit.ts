import type { Tensor } from "../data/tensor.js";
import { BatchIterator } from "../data/batches.js";
import type { CompiledModel, ParameterValue } from "../model.js";
import { Random, RandomStream } from "../random.js";
import type { TrainSettings } from "../spec.js";
import { MetricSum } from "../backend.js";
import { checkFitSettings, checkSmallestBatch } from "./check-settings.js";
import { improves } from "./metric-direction.js";
import { meanLoss } from "./metrics.js";
import { restoreTraining, takeCheckpoint } from "./resume.js";
import { scheduledLr } from "./schedule.js";
import {
  type MonitorBest,
  type TrainedWith,
  type TrainingCheckpoint,
  dataDigest,
} from "./training-checkpoint.js";

/** The figures of one epoch. */
export interface EpochLog {
  readonly epoch: number;
  readonly epochs: number;
  /** Mean training loss over the epoch's samples. */
  readonly loss: number;
  readonly metrics: Readonly<Record<string, number>>;
  readonly valLoss: number | null;
  readonly valMetrics: Readonly<Record<string, number>> | null;
  readonly lr: number;
  readonly seconds: number;
  readonly samplesPerSecond: number;
  /**
   * Present only when the loss or an output became NaN or infinite during the epoch: the
   * 1-based step (batch) at which it first did.
   */
  readonly nonFiniteStep?: number;
}

export interface History {
  readonly epochs: readonly EpochLog[];
  /** True when early stopping ended training before the last epoch. */
  readonly stoppedEarly: boolean;
  /** The epoch whose weights the model holds after early stopping restored them, else null. */
  readonly restoredEpoch: number | null;
  /** Where the loss or the weights first stopped being finite, when that stopped training. */
  readonly diverged: Divergence | null;
  /** True when `signal` aborted training (after the step running then). */
  readonly interrupted: boolean;
  /**
   * With `keepFinishedWeights`: a copy of the weights after the last finished epoch whose loss
   * and weights were all finite (null before the first one); otherwise null.
   */
  readonly finishedWeights: {
    readonly epoch: number;
    readonly weights: Map<string, ParameterValue>;
  } | null;
  /**
   * With `resume`: the epochs the checkpoint had finished, and whether early stopping had
   * already fired there (then no epoch ran). Null for a fresh run.
   */
  readonly resumed: { readonly epoch: number; readonly stopped: boolean } | null;
}

/** Why `onCheckpoint` is called after an epoch (either or both). */
export interface CheckpointReasons {
  /** 1-based. */
  readonly epoch: number;
  /** Every `checkpoint.every` epochs, and after the run's final epoch: `last.safetensors`. */
  readonly due: boolean;
  /** The monitored figure improved: `best.safetensors`. */
  readonly best: boolean;
}

/**
 * The first non-finite figure of a run that `stopOnNonFinite` ended. The epoch it names is
 * unfinished when the loss diverged (History.epochs ends before it); a weight is checked after
 * its epoch's log.
 */
export interface Divergence {
  /** 1-based, as EpochLog's. */
  readonly epoch: number;
  /** The 1-based step whose loss or output was first NaN or infinite (the last step for weights). */
  readonly step: number;
  /** `loss`: the loss or an output; `weights`: a parameter after the epoch's last step. */
  readonly what: "loss" | "weights";
  /** The last finite mean loss read (at a progress update or an epoch's end), if any. */
  readonly lastFiniteLoss: {
    readonly loss: number;
    readonly epoch: number;
    readonly step: number;
  } | null;
}

export interface FitData {
  readonly train: Readonly<Record<string, Tensor>>;
  readonly validation?: Readonly<Record<string, Tensor>> | null;
}

/** Where training is within an epoch (see FitOptions.onProgress). */
export interface FitProgress {
  /** 1-based, as EpochLog's. */
  readonly epoch: number;
  /** Steps (batches) of the epoch done, 1 to `steps`. */
  readonly step: number;
  readonly steps: number;
  /** Mean training loss over the epoch's samples so far. */
  readonly loss: number;
}

export interface FitOptions extends Partial<TrainSettings> {
  /** Stops training after the step running when it is aborted; `fit` resolves to the epochs completed. */
  readonly signal?: AbortSignal;
  readonly onEpoch?: (log: EpochLog) => void;
  /**
   * Progress within an epoch, at most every PROGRESS_INTERVAL_MS and after its last step (each
   * call reads the device's running sums once).
   */
  readonly onProgress?: (progress: FitProgress) => void;
  /**
   * Stops training at the first progress update (or epoch end) whose device-side flag
   * (MetricSum.firstNonFinite) says a loss or output became NaN or infinite; History.diverged
   * says where. With it, progress updates happen (and read the sums) even without `onProgress`.
   */
  readonly stopOnNonFinite?: boolean;
  /**
   * Copies the weights after each finished epoch whose loss and weights are finite (one read of
   * the parameters per epoch) into History.finishedWeights: what an interrupted or diverged
   * run can still save.
   */
  readonly keepFinishedWeights?: boolean;
  /**
   * Continues the run a training checkpoint stopped (parseTrainingCheckpoint): its weights,
   * optimizer state, generators, early stopping and history; `epochs` counts the total, so
   * only epochs after the checkpoint's run. `source` names it in errors and warnings.
   */
  readonly resume?: TrainingCheckpoint & { readonly source?: string };
  /**
   * Receives a training checkpoint after every `checkpoint.every` epochs (and the final one),
   * and whenever the monitored figure improves (see CheckpointReasons); `fit` waits for it.
   * serializeTrainingCheckpoint turns it into bytes; runtime/node's CheckpointDir writes files.
   */
  readonly onCheckpoint?: (
    checkpoint: TrainingCheckpoint,
    reasons: CheckpointReasons,
  ) => void | Promise<void>;
  /** One-line warnings, such as a resume with another batch size, seed or data. */
  readonly onWarning?: (message: string) => void;
}

/**
 * The shortest time between two progress updates: `onProgress` calls (each reads the running
 * sums back) and, with `onProgress` or `signal`, yields to the event loop (a page repaints, an
 * abort is heard).
 */
export const PROGRESS_INTERVAL_MS = 100;

/**
 * Trains `model` on `data` for the model's `train` settings (each overridable): batches in
 * a fresh order per epoch (seeded), the learning-rate schedule stepped per epoch, training
 * loss and metrics averaged over the epoch's samples, validation in evaluation mode, and
 * early stopping on the monitored figure (restoring the best weights when asked).
 *
 * A step reads nothing back and allocates nothing: the loss and metric sums accumulate in a
 * device buffer (Backend.accumulateMetrics), read once per progress update and once per
 * epoch; awaiting happens only there. The same read carries the device's non-finite flag, so
 * `stopOnNonFinite` costs no step a wait. Guarantees: weights kept or restored (best epoch,
 * `finishedWeights`) are all finite; an aborted `signal` ends training before the next step.
 */
export async function fit(
  model: CompiledModel,
  data: FitData,
  options: FitOptions = {},
): Promise<History> {
  const training = model.requireTraining("train");
  const settings: TrainSettings = { ...training.train, ...definedOnly(options) };
  const rows = model.rowsOf(data?.train, "inputs and targets", "fit: train data");
  if (data.validation) model.rowsOf(data.validation, "inputs and targets", "fit: validation data");
  checkFitSettings(settings, training.metrics, Boolean(data.validation));
  const resume = options.resume ?? null;
  const onCheckpoint = options.onCheckpoint;
  const trainedWith: TrainedWith = {
    batchSize: settings.batchSize,
    seed: settings.seed,
    rows,
    data: resume || onCheckpoint ? dataDigest(data.train) : "",
  };
  let shuffleRandom = new Random(settings.seed, RandomStream.shuffle);
  model.rt.seedDropout(settings.seed);
  const restored = resume
    ? restoreTraining(
        model,
        resume,
        resume.source ?? "the checkpoint",
        settings,
        trainedWith,
        options.onWarning ?? (() => {}),
      )
    : null;
  if (restored) shuffleRandom = restored.shuffleRandom;
  const iterator = new BatchIterator(rows, {
    batchSize: settings.batchSize,
    shuffle: settings.shuffle,
    dropLast: settings.dropLast,
    rng: shuffleRandom,
  });
  checkSmallestBatch(training.minBatch, iterator, rows);
  const onProgress = options.onProgress;
  const signal = options.signal;
  const stopOnNonFinite = options.stopOnNonFinite === true;
  const reading = onProgress !== undefined || stopOnNonFinite;
  const ticking = reading || signal !== undefined;
  const stopping = settings.earlyStopping;
  const logs: EpochLog[] = restored?.logs ?? [];
  const resumedStopping = restored?.earlyStopping ?? null;
  let best: { value: number; epoch: number; weights: Map<string, ParameterValue> | null } | null =
    resumedStopping?.best
      ? { ...resumedStopping.best, weights: restored?.bestWeights ?? null }
      : null;
  let waited = resumedStopping?.waited ?? 0;
  const alreadyStopped = resumedStopping?.fired === true;
  let stoppedEarly = alreadyStopped && logs.length < settings.epochs;
  const every = settings.checkpoint?.every ?? 1;
  const checkpointMonitor = settings.checkpoint?.monitor ?? (data.validation ? "val_loss" : "loss");
  let checkpointBest: MonitorBest | null =
    restored?.bestCheckpoint?.monitor === checkpointMonitor ? restored.bestCheckpoint : null;
  let diverged: Divergence | null = null;
  let interrupted = false;
  let lastFiniteLoss: Divergence["lastFiniteLoss"] = null;
  let finishedWeights: History["finishedWeights"] = null;

  const firstEpoch = alreadyStopped ? settings.epochs : (restored?.epoch ?? 0);
  epochs: for (let epoch = firstEpoch; epoch < settings.epochs; epoch++) {
    const started = performance.now();
    const lr = scheduledLr(training.optimizer.lr, settings.lrSchedule, epoch);
    model.setLearningRate(lr);
    const order = iterator.nextEpoch();
    const sums = model.zeroedMetricSums("train", rows);
    const batches = iterator.batchCount;
    let seen = 0;
    let reported = started;
    for (let b = 0; b < batches; b++) {
      if (signal?.aborted) {
        interrupted = true;
        break epochs;
      }
      const n = iterator.batchLength(b);
      const plan = model.plan("train", n);
      model.loadBatch(plan, data.train, order, iterator.batchStart(b), n);
      model.runTrainStep(n, plan);
      model.accumulateMetrics(sums, plan, n);
      seen += n;
      if (ticking) {
        const now = performance.now();
        if (now - reported >= PROGRESS_INTERVAL_MS || b + 1 === batches) {
          reported = now;
          if (reading) {
            const read = await model.readMetricSumsHead(sums);
            const step = read[MetricSum.firstNonFinite]!;
            if (stopOnNonFinite && step > 0) {
              diverged = { epoch: epoch + 1, step, what: "loss", lastFiniteLoss };
              break epochs;
            }
            const loss = meanLoss(read);
            if (Number.isFinite(loss)) lastFiniteLoss = { loss, epoch: epoch + 1, step: b + 1 };
            onProgress?.({ epoch: epoch + 1, step: b + 1, steps: batches, loss });
          }
          await nextTask();
        }
      }
    }
    const { sums: totals, metrics: trainMetrics } = await model.readMetrics(sums, seen);
    const loss = meanLoss(totals);
    const nonFiniteStep = totals[MetricSum.firstNonFinite]!;
    const validation = data.validation
      ? await model.measure(data.validation, settings.batchSize)
      : null;
    const seconds = (performance.now() - started) / 1000;
    const log: EpochLog = {
      epoch: epoch + 1,
      epochs: settings.epochs,
      loss,
      metrics: trainMetrics,
      valLoss: validation?.loss ?? null,
      valMetrics: validation?.metrics ?? null,
      lr,
      seconds,
      samplesPerSecond: seconds > 0 ? seen / seconds : 0,
      ...(nonFiniteStep > 0 ? { nonFiniteStep } : {}),
    };
    logs.push(log);
    options.onEpoch?.(log);
    if (stopOnNonFinite && nonFiniteStep > 0) {
      diverged = { epoch: epoch + 1, step: nonFiniteStep, what: "loss", lastFiniteLoss };
      break;
    }
    if (Number.isFinite(loss)) lastFiniteLoss = { loss, epoch: epoch + 1, step: batches };
    // An epoch with a non-finite loss, monitored figure or weight is never the best, so NaN
    // weights are never restored; weights are copied (and checked) only when someone keeps them.
    const finite = nonFiniteStep === 0 && Number.isFinite(loss);
    const value = stopping ? monitored(log, stopping.monitor) : NaN;
    let candidate = false;
    if (stopping && finite && Number.isFinite(value)) {
      candidate = best === null || improves(stopping.monitor, value, best.value, stopping.minDelta);
    }
    let weights: Map<string, ParameterValue> | null = null;
    const checkpointValue = onCheckpoint ? monitored(log, checkpointMonitor) : NaN;
    const checkpointImproved =
      finite &&
      Number.isFinite(checkpointValue) &&
      (checkpointBest === null ||
        improves(checkpointMonitor, checkpointValue, checkpointBest.value));
    if (
      finite &&
      (options.keepFinishedWeights || (candidate && stopping?.restoreBest) || onCheckpoint)
    ) {
      weights = await model.stateDict();
      if (!allFinite(weights)) {
        weights = null;
        candidate = false;
        if (stopOnNonFinite) {
          diverged = { epoch: epoch + 1, step: batches, what: "weights", lastFiniteLoss };
          break;
        }
      } else if (options.keepFinishedWeights) {
        finishedWeights = { epoch: epoch + 1, weights };
      }
    }

    let fired = false;
    if (stopping) {
      if (candidate) {
        best = { value, epoch: epoch + 1, weights: stopping.restoreBest ? weights : null };
        waited = 0;
      } else if (++waited > stopping.patience) {
        fired = true;
      }
    }
    if (onCheckpoint && weights !== null) {
      if (checkpointImproved)
        checkpointBest = { monitor: checkpointMonitor, value: checkpointValue, epoch: epoch + 1 };
      const due = (epoch + 1) % every === 0 || epoch + 1 === settings.epochs || fired;
      if (due || checkpointImproved) {
        const checkpoint = await takeCheckpoint(model, weights, {
          epoch: epoch + 1,
          trainedWith,
          shuffleRandom,
          earlyStopping: stopping && {
            best: best && { monitor: stopping.monitor, value: best.value, epoch: best.epoch },
            waited,
            fired,
          },
          bestCheckpoint: checkpointBest,
          history: logs,
          bestWeights: best?.weights ?? null,
        });
        await onCheckpoint(checkpoint, { epoch: epoch + 1, due, best: checkpointImproved });
      }
    }
    if (fired) {
      stoppedEarly = epoch + 1 < settings.epochs;
      break;
    }
  }
  let restoredEpoch: number | null = null;
  // An interrupted run keeps the weights it has; a diverged one gets its best finite ones back.
  if (!interrupted && stopping?.restoreBest && best?.weights) {
    if (diverged !== null || best.epoch !== logs.length) {
      await model.loadStateDict(best.weights);
      restoredEpoch = best.epoch;
    }
  }
  return {
    epochs: logs,
    stoppedEarly,
    restoredEpoch,
    diverged,
    interrupted,
    finishedWeights,
    resumed: restored ? { epoch: restored.epoch, stopped: alreadyStopped } : null,
  };
}

/** True when every value of every parameter is finite. */
function allFinite(weights: ReadonlyMap<string, ParameterValue>): boolean {
  for (const value of weights.values()) {
    const data = value.data;
    for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) return false;
  }
  return true;
}

/** Resolves in a later task of the event loop (after pending I/O, repaints and events). */
function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** `loss`, `val_loss`, `accuracy`, `val_accuracy`, ... of an epoch. */
function monitored(log: EpochLog, name: string): number {
  if (name === "loss") return log.loss;
  if (name === "val_loss") return log.valLoss ?? NaN;
  if (name.startsWith("val_")) return log.valMetrics?.[name.slice(4)] ?? NaN;
  return log.metrics[name] ?? NaN;
}

/** FitOptions that are not TrainSettings. */
const notSettings: ReadonlySet<string> = new Set([
  "signal",
  "stopOnNonFinite",
  "keepFinishedWeights",
  "resume",
]);

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(value).filter(
      ([k, v]) => v !== undefined && typeof v !== "function" && !notSettings.has(k),
    ),
  ) as Partial<T>;
}
