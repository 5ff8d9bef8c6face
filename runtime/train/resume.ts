/**
 * Taking a training checkpoint from a running `fit` and putting one back: the weights, the
 * optimizer state, the generators and the figures early stopping and `best.safetensors`
 * follow. See training-checkpoint.ts for the layout.
 *
 * Assumes the model is the one `fit` trains, between epochs (nothing recorded is pending but
 * what `read` waits for). Guarantees: `restoreTraining` checks every tensor (strict names and
 * shapes, as `loadStateDict`) before it writes any, throwing one CheckpointError naming what
 * does not fit; a changed batch size, seed or data is allowed and reported through `warn`, one
 * line each; with the same seed the shuffle and dropout streams continue where they stopped.
 */
import { checkCheckpoint } from "../io/checkpoint.js";
import { CheckpointError } from "../io/errors.js";
import type { CompiledModel, ParameterValue } from "../model.js";
import { Random, RandomStream, randomFromWords, randomWords } from "../random.js";
import type { TrainSettings } from "../spec.js";
import type { EpochLog } from "./fit.js";
import {
  TRAINING_PREFIX,
  stateDictPart,
  type EarlyStoppingState,
  type MonitorBest,
  type TrainedWith,
  type TrainingCheckpoint,
} from "./training-checkpoint.js";

/** What `fit` continues from: its loop state after `restoreTraining`. */
export interface RestoredTraining {
  readonly epoch: number;
  readonly logs: EpochLog[];
  readonly shuffleRandom: Random;
  readonly earlyStopping: EarlyStoppingState | null;
  readonly bestWeights: Map<string, ParameterValue> | null;
  readonly bestCheckpoint: MonitorBest | null;
}

/** The optimizer state buffers, by the model's state names. */
export async function readOptimizerState(
  model: CompiledModel,
): Promise<Map<string, ParameterValue>> {
  const out = new Map<string, ParameterValue>();
  for (const st of model.spec.state) {
    const size = st.shape.reduce((a, d) => a * d, 1);
    out.set(st.name, {
      shape: [...st.shape],
      data: Float32Array.from(await model.rt.read(model.state[st.name]!, size)),
    });
  }
  return out;
}

/** What `fit` knows at an epoch's end, beyond what `takeCheckpoint` reads from the model. */
export interface EpochEnd {
  readonly epoch: number;
  readonly trainedWith: TrainedWith;
  readonly shuffleRandom: Random;
  readonly earlyStopping: EarlyStoppingState | null;
  readonly bestCheckpoint: MonitorBest | null;
  readonly history: readonly EpochLog[];
  readonly bestWeights: ReadonlyMap<string, ParameterValue> | null;
}

/** A training checkpoint of the model now: `weights` (read already) plus its training state. */
export async function takeCheckpoint(
  model: CompiledModel,
  weights: ReadonlyMap<string, ParameterValue>,
  end: EpochEnd,
): Promise<TrainingCheckpoint> {
  return {
    weights,
    training: {
      ...end,
      shuffleRandom: randomWords(end.shuffleRandom),
      dropoutRandom: model.rt.dropoutState(),
      history: end.history.slice(),
      optimizer: await readOptimizerState(model),
    },
  };
}

/**
 * Puts `checkpoint` into `model` and returns where `fit` continues; `settings` are the run's,
 * `trainedWith` what it trains with now.
 */
export function restoreTraining(
  model: CompiledModel,
  checkpoint: TrainingCheckpoint,
  source: string,
  settings: TrainSettings,
  now: TrainedWith,
  warn: (message: string) => void,
): RestoredTraining {
  const state = checkpoint.training;
  const weightNames = model.spec.params.filter((p) => p.dtype !== "i64");
  // The weights first: a changed layer is the likeliest change, and its message names it.
  checkCheckpoint(stateDictPart(checkpoint.weights), weightNames, source);
  checkSameOptimizer(model, state.optimizer, source);
  const optimizer = [...state.optimizer].map(([name, t]) => [`${TRAINING_PREFIX}${name}`, t]);
  checkCheckpoint(
    new Map(optimizer as [string, ParameterValue][]),
    model.spec.state.map((st) => ({ name: `${TRAINING_PREFIX}${st.name}`, shape: st.shape })),
    `the optimizer state in ${source}`,
  );
  if (state.bestWeights)
    checkCheckpoint(state.bestWeights, weightNames, `the best weights in ${source}`);
  model.writeStateDict(checkpoint.weights, source);
  for (const st of model.spec.state) {
    const value = state.optimizer.get(st.name)!;
    const bad = value.data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0)
      throw new CheckpointError(source, `${source}: ${TRAINING_PREFIX}${st.name} is not finite`);
    model.rt.write(model.state[st.name]!, value.data);
  }

  const was = state.trainedWith;
  if (was.batchSize !== now.batchSize)
    warn(
      `${source} was trained with batch_size ${was.batchSize}; resuming with ${now.batchSize}, so the run will not match an uninterrupted one`,
    );
  if (was.rows !== now.rows || was.data !== now.data)
    warn(
      `the training data differs from ${source}'s (${was.rows} rows then, ${now.rows} now${was.rows === now.rows ? ", other values" : ""}); resuming on this data`,
    );
  let shuffleRandom = new Random(settings.seed, RandomStream.shuffle);
  model.rt.seedDropout(settings.seed);
  if (was.seed !== now.seed) {
    warn(
      `${source} was trained with seed ${was.seed}; resuming with seed ${now.seed}: shuffling and dropout start fresh streams from it`,
    );
  } else {
    shuffleRandom = words(() => randomFromWords(state.shuffleRandom, RandomStream.shuffle), source);
    try {
      model.rt.restoreDropoutState(state.dropoutRandom);
    } catch (error) {
      if (!(error instanceof RangeError)) throw error;
      warn(
        `${source} comes from another backend's dropout generator; dropout starts a fresh stream from seed ${now.seed}`,
      );
    }
  }

  const stopping = settings.earlyStopping;
  let earlyStopping = state.earlyStopping;
  if (stopping && earlyStopping?.best && earlyStopping.best.monitor !== stopping.monitor) {
    warn(
      `${source} stopped early on ${earlyStopping.best.monitor}, this run on ${stopping.monitor}: early stopping starts afresh`,
    );
    earlyStopping = null;
  }
  const bestWeights =
    stopping?.restoreBest && earlyStopping && state.bestWeights ? new Map(state.bestWeights) : null;
  return {
    epoch: state.epoch,
    logs: state.history.map((log) => ({ ...log, epochs: settings.epochs })),
    shuffleRandom,
    earlyStopping: stopping ? earlyStopping : null,
    bestWeights,
    bestCheckpoint: state.bestCheckpoint,
  };
}

/**
 * Refuses, in one line, optimizer state of another kind (Adam's moments for an SGD model):
 * the kinds of state tensors (the part after the parameter name) must be the model's.
 */
function checkSameOptimizer(
  model: CompiledModel,
  optimizer: ReadonlyMap<string, ParameterValue>,
  source: string,
): void {
  const params = model.spec.params.map((p) => p.name);
  const kinds = (names: Iterable<string>) =>
    [
      ...new Set(
        [...names].map((name) => {
          const owner = params.find((p) => name.startsWith(`${p}.`));
          return owner === undefined ? name : name.slice(owner.length + 1);
        }),
      ),
    ].sort();
  const held = kinds(optimizer.keys());
  const wanted = kinds(model.spec.state.map((st) => st.name));
  if (held.join() === wanted.join()) return;
  throw new CheckpointError(
    source,
    `${source} holds the state of another optimizer (${held.join(", ") || "none"}) than the model's (${wanted.join(", ") || "none"}): resume with the optimizer it was trained with, or start a new run from its weights with --init`,
  );
}

function words(make: () => Random, source: string): Random {
  try {
    return make();
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new CheckpointError(source, `${source}: ${error.message}; the file is damaged`);
  }
}
