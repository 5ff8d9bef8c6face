import type { Init } from "./init.js";

/**
 * What a generated module tells the runtime about a model: its tensors, parameters, state and
 * training settings (all defaults filled in by the compiler). Plain data, so a module is
 * self-describing and a checkpoint can be checked against it. The settings types are also the
 * compiler's (compiler/ir/settings.ts adds source spans), so they are defined only here.
 */

/** An input, target or output; `null` stands for the batch dimension. */
export interface TensorSpec {
  readonly name: string;
  readonly shape: readonly (number | null)[];
  readonly dtype: "f32" | "i32";
  /**
   * For an i32 input that `embedding` layers read: how many ids they take, so every value must
   * be a whole number in [0, ids) (the smallest vocabulary of those layers).
   */
  readonly ids?: number;
}

export interface ParamSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly init: Init;
  /** False for buffers such as batch norm's running statistics. */
  readonly trainable: boolean;
  /** `i64` for counters kept as integers in checkpoints (batch norm's `num_batches_tracked`). */
  readonly dtype?: "i64";
}

export interface StateSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly init: number;
}

/**
 * torch.nn.utils' gradient clipping, applied to the gradients before the optimizer's step (and
 * so before its weight decay): each element clamped to `[-clipGradValue, clipGradValue]`
 * first, then every gradient scaled by `min(1, clipGradNorm / (norm + 1e-6))`, `norm` the L2
 * norm of all of them together. Absent: no clipping.
 */
export interface GradientClipping {
  readonly clipGradNorm?: number;
  readonly clipGradValue?: number;
}

export type OptimizerSettings = GradientClipping &
  (
    | {
        readonly kind: "sgd";
        readonly lr: number;
        readonly momentum: number;
        readonly nesterov: boolean;
        readonly dampening: number;
        readonly weightDecay: number;
      }
    | {
        readonly kind: "adagrad";
        readonly lr: number;
        readonly eps: number;
        readonly weightDecay: number;
      }
    | {
        readonly kind: "rmsprop";
        readonly lr: number;
        readonly alpha: number;
        readonly eps: number;
        readonly momentum: number;
        readonly weightDecay: number;
      }
    | {
        readonly kind: "adadelta";
        readonly lr: number;
        readonly rho: number;
        readonly eps: number;
        readonly weightDecay: number;
      }
    | {
        readonly kind: "adam" | "adamw";
        readonly lr: number;
        readonly beta1: number;
        readonly beta2: number;
        readonly eps: number;
        readonly weightDecay: number;
      }
  );

export type MetricName =
  | "accuracy"
  | "mse"
  | "rmse"
  | "mae"
  | "precision"
  | "recall"
  | "f1"
  | "auc"
  | "top_k_accuracy"
  | "r2";

/** The metrics that average over classes: `precision(average: micro)`. */
export type AveragedMetric = "precision" | "recall" | "f1";

/** How a per-class metric averages over classes (Keras' and scikit-learn's `average`). */
export type MetricAverage = "macro" | "micro";

/** The settings of the metrics that take any (`top_k_accuracy(3)`, `f1(average: micro)`). */
export interface MetricOptions {
  /** k of `top_k_accuracy` (5 when not written, as Keras). */
  readonly topK: number;
  /** How precision, recall and f1 average over classes (macro when not written). */
  readonly average: Readonly<Record<AveragedMetric, MetricAverage>>;
}

export type LrSchedule =
  | { readonly kind: "step"; readonly every: number; readonly gamma: number }
  | { readonly kind: "exponential"; readonly gamma: number }
  | { readonly kind: "cosine"; readonly epochs: number; readonly minLr: number };

export interface EarlyStoppingSettings {
  /** `loss`, `val_loss`, or a metric with or without the `val_` prefix. */
  readonly monitor: string;
  readonly patience: number;
  readonly minDelta: number;
  readonly restoreBest: boolean;
}

/** `train { checkpoint: { dir, every, keep, monitor } }`: training checkpoints during a run. */
export interface CheckpointSettings {
  /** The folder, as written: relative to the `.nn` file (`--checkpoint-dir` replaces it). */
  readonly dir: string;
  /** `last.safetensors` after every `every` epochs (and after the run's final epoch). */
  readonly every: number;
  /** How many `epoch-NNNN.safetensors` to keep (the newest); 0 keeps none. */
  readonly keep: number;
  /** The figure `best.safetensors` follows; null: `val_loss` with validation data, else `loss`. */
  readonly monitor: string | null;
}

export interface TrainSettings {
  readonly epochs: number;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly seed: number;
  readonly validationSplit: number;
  readonly earlyStopping: EarlyStoppingSettings | null;
  readonly lrSchedule: LrSchedule | null;
  /** Absent (not null) when the `train` section has no `checkpoint`, so specs without it read as before. */
  readonly checkpoint?: CheckpointSettings;
}

export type DataSourceSettings =
  | {
      readonly kind: "csv";
      /** As written: relative to the `.nn` file. */
      readonly path: string;
      /** Target columns; null means "the model's target names". */
      readonly target: readonly string[] | null;
      readonly drop: readonly string[];
    }
  /** `mnist()` (the shipped digits, dir null) or `mnist("dir")` (IDX files in a folder). */
  | { readonly kind: "mnist"; readonly dir: string | null }
  /**
   * `fashion_mnist()` (the published 60,000 + 10,000 images from `$NNC_DATA` or Debian's
   * `dataset-fashion-mnist`, dir null) or `fashion_mnist("dir")` (those IDX files in a folder).
   */
  | { readonly kind: "fashion_mnist"; readonly dir: string | null }
  | { readonly kind: "idx"; readonly images: string; readonly labels: string };

export interface DataSettings {
  readonly source: DataSourceSettings | null;
  readonly split: { readonly test: number; readonly seed: number } | null;
  readonly normalize: "standard" | "minmax" | "none";
}

/** The smallest training batch a model accepts, and the layer that needs it. */
export interface MinBatch {
  readonly size: number;
  /** The layer, e.g. `batchnorm_1`: batch norm over one value per channel needs two samples. */
  readonly layer: string;
}

/**
 * The values a loss accepts for a target (binary cross-entropy: probabilities in [0, 1]);
 * data loaders reject anything outside before training, naming the cell.
 */
export interface TargetDomain {
  readonly target: string;
  readonly loss: string;
  readonly min: number;
  readonly max: number;
}

export interface TrainingSpec {
  readonly optimizer: OptimizerSettings;
  /** Absent when the loss takes any finite target value. */
  readonly targetDomain?: TargetDomain;
  /** Absent when any batch size trains. */
  readonly minBatch?: MinBatch;
  readonly train: TrainSettings;
  readonly metrics: readonly MetricName[];
  /** Absent when every metric takes its defaults (defaultMetricOptions). */
  readonly metricOptions?: MetricOptions;
  readonly data: DataSettings | null;
}

export interface ModelSpec {
  readonly name: string;
  /** The `.nn` file the model was compiled from, as given to the compiler. */
  readonly source: string;
  readonly inputs: readonly TensorSpec[];
  readonly targets: readonly TensorSpec[];
  readonly output: TensorSpec;
  readonly params: readonly ParamSpec[];
  readonly state: readonly StateSpec[];
  /** Scalars the training loop sets (the learning rate). */
  readonly scalars: readonly string[];
  /** Null for a model without loss and optimizer: it predicts only. */
  readonly training: TrainingSpec | null;
}
