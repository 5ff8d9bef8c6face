import type { Span } from "../diagnostics/span.js";

/**
 * The training-related sections of a model (`optimizer`, `metrics`, `train`, `data`),
 * validated and with every default filled in. Spans are kept so that problems found only
 * when training (a missing file, a missing column) can still point at the source.
 */

export type OptimizerSpec =
  | {
      readonly kind: "sgd";
      readonly lr: number;
      readonly momentum: number;
      readonly nesterov: boolean;
      readonly dampening: number;
      readonly weightDecay: number;
      readonly span: Span;
    }
  | {
      readonly kind: "adagrad";
      readonly lr: number;
      readonly eps: number;
      readonly weightDecay: number;
      readonly span: Span;
    }
  | {
      readonly kind: "rmsprop";
      readonly lr: number;
      readonly alpha: number;
      readonly eps: number;
      readonly momentum: number;
      readonly weightDecay: number;
      readonly span: Span;
    }
  | {
      readonly kind: "adadelta";
      readonly lr: number;
      readonly rho: number;
      readonly eps: number;
      readonly weightDecay: number;
      readonly span: Span;
    }
  | {
      readonly kind: "adam" | "adamw";
      readonly lr: number;
      readonly beta1: number;
      readonly beta2: number;
      readonly eps: number;
      readonly weightDecay: number;
      readonly span: Span;
    };

export type OptimizerKind = OptimizerSpec["kind"];

export type MetricName = "accuracy" | "mse" | "rmse" | "mae";

export type LrSchedule =
  | { readonly kind: "step"; readonly every: number; readonly gamma: number }
  | { readonly kind: "exponential"; readonly gamma: number }
  | { readonly kind: "cosine"; readonly epochs: number; readonly minLr: number };

export interface EarlyStopping {
  /** `loss`, `val_loss`, or a metric with or without the `val_` prefix. */
  readonly monitor: string;
  readonly patience: number;
  readonly minDelta: number;
  readonly restoreBest: boolean;
  readonly span: Span;
}

export interface TrainSpec {
  readonly epochs: number;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly seed: number;
  readonly validationSplit: number;
  readonly earlyStopping: EarlyStopping | null;
  readonly lrSchedule: LrSchedule | null;
}

export type DataSource =
  | {
      readonly kind: "csv";
      /** As written: relative to the `.nn` file. */
      readonly path: string;
      /** Target columns; null means "the model's target names". */
      readonly target: readonly string[] | null;
      readonly drop: readonly string[];
      readonly span: Span;
    }
  /** `mnist()` (the shipped digits, dir null) or `mnist("dir")` (IDX files in a folder). */
  | { readonly kind: "mnist"; readonly dir: string | null; readonly span: Span }
  | { readonly kind: "idx"; readonly images: string; readonly labels: string; readonly span: Span };

export type Normalization = "standard" | "minmax" | "none";

export interface DataSpec {
  readonly source: DataSource | null;
  readonly split: { readonly test: number; readonly seed: number } | null;
  readonly normalize: Normalization;
  readonly span: Span;
}

export interface TrainingSettings {
  readonly optimizer: OptimizerSpec | null;
  readonly metrics: readonly MetricName[];
  readonly train: TrainSpec;
  readonly data: DataSpec | null;
}

export const defaultTrainSpec: TrainSpec = {
  epochs: 10,
  batchSize: 32,
  shuffle: true,
  dropLast: false,
  seed: 0,
  validationSplit: 0,
  earlyStopping: null,
  lrSchedule: null,
};
