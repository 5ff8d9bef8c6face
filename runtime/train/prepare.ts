import {
  type Dataset,
  type Normalizer,
  applyNormalizer,
  fitNormalizer,
  splitTest,
  splitValidation,
} from "../data/dataset.js";
import { DataError } from "../data/errors.js";
import { type SourceRequest, loadDataSource } from "../data/load.js";
import type { Tensor } from "../data/tensor.js";
import type { ModelSpec, TensorSpec, TrainingSpec } from "../spec.js";

/** Data ready for `fit`: tensors by the model's input and target names. */
export interface PreparedData {
  readonly train: Readonly<Record<string, Tensor>>;
  readonly validation: Readonly<Record<string, Tensor>> | null;
  readonly test: Readonly<Record<string, Tensor>> | null;
  /** Feature scaling fitted on the training rows; apply it to anything predicted later. */
  readonly normalizer: Normalizer;
  readonly columns: {
    readonly features: readonly string[];
    readonly targets: readonly string[];
  } | null;
}

export interface PrepareOptions {
  /** Overrides the model's `validation_split`. */
  readonly validationSplit?: number;
  /**
   * The feature columns a checkpoint was trained on (`nnc.features`): a CSV's columns are
   * matched to them by header name.
   */
  readonly features?: readonly string[];
}

/**
 * Loads a model's data and readies it, as language.md orders it: the source's own test part
 * or a held-out one (`data { split }`), validation rows from the end (`validation_split`),
 * then normalization with statistics of the training rows alone. Paths are relative to
 * `baseDir`. Throws DataError for anything wrong with the data.
 */
export function prepareData(
  spec: ModelSpec,
  source: SourceRequest,
  baseDir: string,
  options: PrepareOptions = {},
): PreparedData {
  const training = spec.training;
  if (!training)
    throw new DataError(
      "E502",
      `model ${spec.name} has no loss and optimizer, so it cannot be trained`,
    );
  const input = spec.inputs[0];
  const target = spec.targets[0];
  if (!input || !target || spec.inputs.length !== 1 || spec.targets.length !== 1) {
    throw new DataError(
      "E502",
      `data sources feed one input and one target, but ${spec.name} has ${spec.inputs.length} inputs and ${spec.targets.length} targets`,
    );
  }
  const classes = target.dtype === "i32" ? spec.output.shape.at(-1) : undefined;
  const domain = training.targetDomain;
  const loaded = loadDataSource(source, baseDir, {
    input: { name: input.name, shape: withBatch(input.shape), ...idsOf(input) },
    target: {
      name: target.name,
      shape: withBatch(target.shape),
      kind: target.dtype === "i32" ? "ids" : "values",
      ...(domain?.target === target.name ? { range: domain } : {}),
    },
    ...(typeof classes === "number" ? { classes } : {}),
    ...(options.features === undefined ? {} : { features: options.features }),
  });
  let rest: Dataset = loaded.data;
  let test: Dataset | null = loaded.test;
  const split = training.data?.split ?? null;
  if (test === null && split !== null) {
    const parts = splitTest(rest, split);
    rest = parts.train;
    test = parts.test;
  }
  const validationSplit = options.validationSplit ?? training.train.validationSplit;
  const { train, validation } = splitValidation(rest, validationSplit);
  // Token ids are positions in a table, not measurements: they are never rescaled.
  const normalizer = fitNormalizer(
    train.x,
    input.dtype === "i32" ? "none" : normalizeKind(training),
  );
  const named = (d: Dataset | null): Record<string, Tensor> | null =>
    d === null ? null : { [input.name]: applyNormalizer(d.x, normalizer), [target.name]: d.y };
  return {
    train: named(train)!,
    validation: named(validation),
    test: named(test),
    normalizer,
    columns: loaded.columns,
  };
}

/** The CSV loader's `ids` for an i32 input of token ids (their count when known). */
function idsOf(input: TensorSpec): { ids?: { count?: number } } {
  if (input.dtype !== "i32") return {};
  return { ids: input.ids === undefined ? {} : { count: input.ids } };
}

function normalizeKind(training: TrainingSpec): "standard" | "minmax" | "none" {
  return training.data?.normalize ?? "none";
}

/** A spec shape (`null` for the batch dimension) as the data loaders name it. */
function withBatch(shape: readonly (number | null)[]): (number | string)[] {
  return shape.map((d) => d ?? "batch");
}
