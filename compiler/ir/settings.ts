import type { Span } from "../diagnostics/span.js";
import type {
  DataSettings,
  DataSourceSettings,
  MetricName,
  MetricOptions,
  OptimizerSettings,
  TrainSettings,
} from "../../runtime/spec.js";

/**
 * The training-related sections of a model (`optimizer`, `metrics`, `train`, `data`),
 * validated and with every default filled in. The settings types are the runtime's
 * (runtime/spec.ts), their one home; the compiler adds the span of the two parts whose
 * problems surface after lowering, so that they still point at the source: the optimizer (the
 * origin of its update equations) and the data source (its files are read only when training).
 */

/** A value of the runtime's settings and where it was written. */
export type Spanned<T> = T & { readonly span: Span };

/** The `optimizer` section: its span is the origin of the update equations. */
export type OptimizerSpec = Spanned<OptimizerSettings>;

/** The `data` section, its source located. */
export interface LocatedDataSettings extends Omit<DataSettings, "source"> {
  readonly source: Spanned<DataSourceSettings> | null;
}

export interface TrainingSettings {
  readonly optimizer: OptimizerSpec | null;
  readonly metrics: readonly MetricName[];
  readonly metricOptions: MetricOptions;
  /** Where each metric is written (with its settings), for compiler/shapes/metrics.ts. */
  readonly metricSpans: ReadonlyMap<MetricName, Span>;
  /** The metrics written with settings (`f1(average: micro)`). */
  readonly metricsWithSettings: ReadonlySet<MetricName>;
  readonly train: TrainSettings;
  readonly data: LocatedDataSettings | null;
}

export const defaultTrainSettings: TrainSettings = {
  epochs: 10,
  batchSize: 32,
  shuffle: true,
  dropLast: false,
  seed: 0,
  validationSplit: 0,
  earlyStopping: null,
  lrSchedule: null,
};
