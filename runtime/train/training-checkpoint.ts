/**
 * Training checkpoints as bytes: a safetensors file holding the model's state_dict (the names
 * `--save` writes) plus the training state, so that `fit` can continue a run exactly.
 *
 * Layout: tensors `training.<state name>` hold the optimizer state (moments, `optimizer.step`)
 * and `training.best.<parameter>` the best weights early stopping would restore; metadata
 * `nnc.format` = `nnc-training-checkpoint`, `nnc.format_version` = `1`, and `nnc.training`,
 * JSON of the scalars: epochs finished, the settings and data it trained with, the RNG streams'
 * words, the early-stopping and best-checkpoint figures and the history. Scalars live in JSON
 * because F32 tensors would round the float64 figures early stopping compares and the 32-bit
 * generator words.
 *
 * Guarantees: `parseTrainingCheckpoint` returns a state every field of which has its type
 * (or throws one CheckpointError naming the file and what is wrong), and a plain state_dict is
 * told apart by its missing `nnc.format`. Browser-safe.
 */
import { CheckpointError } from "../io/errors.js";
import {
  type NamedTensor,
  type SafetensorsContents,
  parseSafetensors,
  serializeSafetensors,
} from "../io/safetensors.js";
import type { ParameterValue } from "../model-state.js";
import type { EpochLog } from "./fit.js";

export const TRAINING_PREFIX = "training.";
export const BEST_PREFIX = "training.best.";
export const FORMAT_KEY = "nnc.format";
export const FORMAT_VERSION_KEY = "nnc.format_version";
export const TRAINING_KEY = "nnc.training";
export const TRAINING_CHECKPOINT_FORMAT = "nnc-training-checkpoint";
export const TRAINING_CHECKPOINT_VERSION = 1;

/** The best value of a monitored figure so far, and the epoch (1-based) that reached it. */
export interface MonitorBest {
  readonly monitor: string;
  readonly value: number;
  readonly epoch: number;
}

export interface EarlyStoppingState {
  readonly best: MonitorBest | null;
  /** Epochs since the last improvement. */
  readonly waited: number;
  /** True once patience ran out: training would have stopped after `epoch`. */
  readonly fired: boolean;
}

/** What the run was trained with, to warn when a resume differs. */
export interface TrainedWith {
  readonly batchSize: number;
  readonly seed: number;
  readonly rows: number;
  /** A digest of the training tensors (see dataDigest). */
  readonly data: string;
}

/** Everything beyond the weights that `fit` needs to continue a run exactly. */
export interface TrainingState {
  /** Epochs finished. */
  readonly epoch: number;
  readonly trainedWith: TrainedWith;
  /** The shuffle stream's generator words. */
  readonly shuffleRandom: readonly number[];
  /** The backend's dropout stream (Backend.dropoutState). */
  readonly dropoutRandom: readonly number[];
  readonly earlyStopping: EarlyStoppingState | null;
  /** What `best.safetensors` holds, when checkpoints follow a figure. */
  readonly bestCheckpoint: MonitorBest | null;
  readonly history: readonly EpochLog[];
  /** The optimizer state by the model's state names (`dense_1.weight.exp_avg`, `optimizer.step`). */
  readonly optimizer: ReadonlyMap<string, ParameterValue>;
  /** The weights early stopping restores (restore_best), by state_dict names. */
  readonly bestWeights: ReadonlyMap<string, ParameterValue> | null;
}

export interface TrainingCheckpoint {
  /** The state_dict, as `--save` writes it. */
  readonly weights: ReadonlyMap<string, ParameterValue>;
  readonly training: TrainingState;
}

/** The checkpoint's bytes; `metadata` (feature scaling, column names) is kept beside nnc's keys. */
export function serializeTrainingCheckpoint(
  checkpoint: TrainingCheckpoint,
  metadata: Readonly<Record<string, string>> = {},
): Uint8Array {
  const { training } = checkpoint;
  const tensors: NamedTensor[] = [];
  const add = (prefix: string, map: ReadonlyMap<string, ParameterValue>) => {
    for (const [name, t] of map) {
      tensors.push({
        name: `${prefix}${name}`,
        shape: t.shape,
        data: t.data,
        ...(t.dtype === "I64" ? { dtype: "I64" } : {}),
      });
    }
  };
  add("", checkpoint.weights);
  add(TRAINING_PREFIX, training.optimizer);
  if (training.bestWeights) add(BEST_PREFIX, training.bestWeights);
  const scalars: ScalarState = {
    epoch: training.epoch,
    trainedWith: training.trainedWith,
    shuffleRandom: training.shuffleRandom,
    dropoutRandom: training.dropoutRandom,
    earlyStopping: training.earlyStopping,
    bestCheckpoint: training.bestCheckpoint,
    history: training.history,
  };
  return serializeSafetensors(tensors, {
    ...metadata,
    [FORMAT_KEY]: TRAINING_CHECKPOINT_FORMAT,
    [FORMAT_VERSION_KEY]: String(TRAINING_CHECKPOINT_VERSION),
    [TRAINING_KEY]: JSON.stringify(scalars, (_key, value: unknown) =>
      typeof value === "number" && !Number.isFinite(value) ? String(value) : value,
    ),
  });
}

/** True when safetensors metadata says the file is a training checkpoint. */
export function isTrainingCheckpoint(metadata: Readonly<Record<string, string>> | null): boolean {
  return metadata?.[FORMAT_KEY] === TRAINING_CHECKPOINT_FORMAT;
}

/** Parses a training checkpoint's bytes (see the module comment); throws CheckpointError. */
export function parseTrainingCheckpoint(
  bytes: Uint8Array,
  source: string,
): TrainingCheckpoint & { readonly metadata: Readonly<Record<string, string>> } {
  return trainingCheckpointOf(parseSafetensors(bytes, source), source);
}

/** A parsed safetensors file as a training checkpoint; throws CheckpointError. */
export function trainingCheckpointOf(
  contents: SafetensorsContents,
  source: string,
): TrainingCheckpoint & { readonly metadata: Readonly<Record<string, string>> } {
  const metadata = contents.metadata ?? {};
  if (!isTrainingCheckpoint(metadata)) {
    throw new CheckpointError(
      source,
      `${source} is a state_dict (weights only), not a training checkpoint: it holds no training state to resume; start from its weights with --init (load() in the model API), or resume from a file --checkpoint-dir wrote`,
    );
  }
  const version = metadata[FORMAT_VERSION_KEY];
  if (version !== String(TRAINING_CHECKPOINT_VERSION)) {
    throw new CheckpointError(
      source,
      `${source}: training checkpoint format version ${version ?? "(missing)"} is not ${TRAINING_CHECKPOINT_VERSION}, the one this nnc reads`,
    );
  }
  const scalars = readScalars(metadata[TRAINING_KEY], source);
  const weights = new Map<string, ParameterValue>();
  const optimizer = new Map<string, ParameterValue>();
  const best = new Map<string, ParameterValue>();
  for (const [name, t] of contents.tensors) {
    const value: ParameterValue = {
      shape: t.shape,
      data: t.data,
      ...(t.dtype === "I64" ? { dtype: "I64" } : {}),
    };
    if (name.startsWith(BEST_PREFIX)) best.set(name.slice(BEST_PREFIX.length), value);
    else if (name.startsWith(TRAINING_PREFIX))
      optimizer.set(name.slice(TRAINING_PREFIX.length), value);
    else weights.set(name, value);
  }
  return {
    weights,
    metadata,
    training: { ...scalars, optimizer, bestWeights: best.size > 0 ? best : null },
  };
}

/** The state_dict part of a checkpoint of either kind: every name outside `training.`. */
export function stateDictPart<T>(tensors: ReadonlyMap<string, T>): Map<string, T> {
  return new Map([...tensors].filter(([name]) => !name.startsWith(TRAINING_PREFIX)));
}

/**
 * A digest of the training tensors (FNV-1a over their names, shapes and float32 bits): equal
 * digests mean, with overwhelming likelihood, the same rows in the same order.
 */
export function dataDigest(
  tensors: Readonly<
    Record<string, { readonly shape: readonly number[]; readonly data: ArrayLike<number> }>
  >,
): string {
  let hash = 0x811c9dc5;
  const mix = (word: number) => {
    hash = Math.imul(hash ^ (word & 0xff), 0x01000193);
    hash = Math.imul(hash ^ ((word >>> 8) & 0xff), 0x01000193);
    hash = Math.imul(hash ^ ((word >>> 16) & 0xff), 0x01000193);
    hash = Math.imul(hash ^ (word >>> 24), 0x01000193);
  };
  const bits = new Uint32Array(1);
  const float = new Float32Array(bits.buffer);
  for (const name of Object.keys(tensors).sort()) {
    const t = tensors[name]!;
    for (let i = 0; i < name.length; i++) mix(name.charCodeAt(i));
    for (const d of t.shape) mix(d);
    for (let i = 0; i < t.data.length; i++) {
      float[0] = t.data[i]!;
      mix(bits[0]!);
    }
  }
  return (hash >>> 0).toString(16).padStart(8, "0");
}

type ScalarState = Omit<TrainingState, "optimizer" | "bestWeights">;

/** The `nnc.training` JSON, every field checked. */
function readScalars(text: string | undefined, source: string): ScalarState {
  const fail = (why: string) =>
    new CheckpointError(source, `${source}: metadata ${TRAINING_KEY} ${why}; the file is damaged`);
  if (text === undefined) throw fail("is missing");
  let value: unknown;
  try {
    value = JSON.parse(text, (_key, v: unknown) =>
      v === "NaN" ? NaN : v === "Infinity" ? Infinity : v === "-Infinity" ? -Infinity : v,
    );
  } catch {
    throw fail("is not JSON");
  }
  const r = record(value, "", fail);
  const whole = (v: unknown, what: string, min = 0): number => {
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min)
      throw fail(`has ${what} ${JSON.stringify(v) ?? "missing"}, not a whole number >= ${min}`);
    return v;
  };
  const words = (v: unknown, what: string): number[] => {
    if (!Array.isArray(v) || v.length === 0 || v.length > 16)
      throw fail(`has no ${what} list of words`);
    return v.map((w, i) => {
      const n = whole(w, `${what}[${i}]`);
      if (n >= 2 ** 32) throw fail(`has ${what}[${i}] beyond 32 bits`);
      return n;
    });
  };
  const monitorBest = (v: unknown, what: string): MonitorBest | null => {
    if (v === null) return null;
    const m = record(v, what, fail);
    if (typeof m["monitor"] !== "string") throw fail(`has no ${what}.monitor`);
    if (typeof m["value"] !== "number") throw fail(`has no ${what}.value`);
    return {
      monitor: m["monitor"],
      value: m["value"],
      epoch: whole(m["epoch"], `${what}.epoch`, 1),
    };
  };
  const w = record(r["trainedWith"], "trainedWith", fail);
  if (typeof w["data"] !== "string") throw fail("has no trainedWith.data");
  const trainedWith: TrainedWith = {
    batchSize: whole(w["batchSize"], "trainedWith.batchSize", 1),
    seed: whole(w["seed"], "trainedWith.seed"),
    rows: whole(w["rows"], "trainedWith.rows"),
    data: w["data"],
  };
  let earlyStopping: EarlyStoppingState | null = null;
  if (r["earlyStopping"] !== null) {
    const e = record(r["earlyStopping"], "earlyStopping", fail);
    if (typeof e["fired"] !== "boolean") throw fail("has no earlyStopping.fired");
    earlyStopping = {
      best: monitorBest(e["best"], "earlyStopping.best"),
      waited: whole(e["waited"], "earlyStopping.waited"),
      fired: e["fired"],
    };
  }
  const epoch = whole(r["epoch"], "epoch", 1);
  const history = r["history"];
  if (!Array.isArray(history) || history.length !== epoch)
    throw fail(
      `has a history of ${Array.isArray(history) ? history.length : "no"} epochs, not ${epoch}`,
    );
  history.forEach((log, i) => {
    const l = record(log, `history[${i}]`, fail);
    if (l["epoch"] !== i + 1 || typeof l["loss"] !== "number" || typeof l["lr"] !== "number")
      throw fail(`has history[${i}] without its epoch, loss and lr`);
  });
  return {
    epoch,
    trainedWith,
    shuffleRandom: words(r["shuffleRandom"], "shuffleRandom"),
    dropoutRandom: words(r["dropoutRandom"], "dropoutRandom"),
    earlyStopping,
    bestCheckpoint: monitorBest(r["bestCheckpoint"], "bestCheckpoint"),
    history: history as EpochLog[],
  };
}

function record(
  value: unknown,
  what: string,
  fail: (why: string) => CheckpointError,
): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw fail(what === "" ? "is not a JSON object" : `has no ${what} object`);
  return value as Record<string, unknown>;
}
