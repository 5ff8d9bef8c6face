import { Random, RandomStream } from "../random.js";
import { DataError } from "./errors.js";
import { type Tensor, rowCount, sliceRows, takeRows } from "./tensor.js";

/**
 * What the training loop does to loaded data before it trains: hold out a test part
 * (`data { split }`), hold out validation rows (`train { validation_split }`), normalize
 * (`data { normalize }`), and serve batches. The intended order:
 *
 *   load -> splitTest -> splitValidation -> fitNormalizer(train rows) -> applyNormalizer
 *   (train, validation, test, and later predict data) -> BatchIterator per epoch.
 */

/** Inputs and targets with the same number of rows. */
export interface Dataset {
  readonly x: Tensor;
  readonly y: Tensor;
}

/**
 * Holds out a test part like scikit-learn's `train_test_split(test_size=test)`: the rows are
 * shuffled with the `split` stream of `seed`, the first `ceil(test * rows)` shuffled rows
 * are the test part and the rest, still in shuffled order, the training part. Throws E502
 * when either part would be empty.
 */
export function splitTest(
  data: Dataset,
  options: { readonly test: number; readonly seed: number },
): { train: Dataset; test: Dataset } {
  const rows = checkRows(data);
  // Same arithmetic as scikit-learn (ceil of the product), so the same sizes come out.
  const testRows = Math.ceil(options.test * rows);
  if (testRows <= 0 || testRows >= rows) {
    throw new DataError(
      "E502",
      `the data has ${rows} ${rows === 1 ? "row" : "rows"}: too few to hold out ${percent(options.test)} as a test set and train on the rest`,
    );
  }
  const order = new Uint32Array(rows);
  for (let i = 0; i < rows; i++) order[i] = i;
  new Random(options.seed, RandomStream.split).shuffle(order);
  const testOrder = order.subarray(0, testRows);
  const trainOrder = order.subarray(testRows);
  return {
    train: { x: takeRows(data.x, trainOrder), y: takeRows(data.y, trainOrder) },
    test: { x: takeRows(data.x, testOrder), y: takeRows(data.y, testOrder) },
  };
}

/**
 * Keras's `validation_split`: the last `rows - floor(rows * (1 - fraction))` rows, taken
 * before any shuffling, are the validation rows. Both parts are views (no copy). A fraction
 * of 0 gives no validation part; E502 when either part would be empty.
 */
export function splitValidation(
  data: Dataset,
  fraction: number,
): { train: Dataset; validation: Dataset | null } {
  const rows = checkRows(data);
  if (fraction <= 0) return { train: data, validation: null };
  const at = Math.floor(rows * (1 - fraction));
  if (at <= 0 || at >= rows) {
    throw new DataError(
      "E502",
      `the training data has ${rows} ${rows === 1 ? "row" : "rows"}: too few to hold out ${percent(fraction)} for validation (validation_split) and train on the rest`,
    );
  }
  return {
    train: { x: sliceRows(data.x, 0, at), y: sliceRows(data.y, 0, at) },
    validation: { x: sliceRows(data.x, at, rows), y: sliceRows(data.y, at, rows) },
  };
}

function checkRows(data: Dataset): number {
  const rows = rowCount(data.x);
  if (rowCount(data.y) !== rows) {
    throw new RangeError(`x has ${rows} rows but y has ${rowCount(data.y)}`);
  }
  return rows;
}

function percent(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(6))}%`;
}

/**
 * Per-feature statistics for `normalize`, kept so that the same transformation can be saved
 * and applied to validation, test and prediction data: `x' = (x - shift) / scale`.
 *
 * A feature is a position along the last axis; statistics are taken over every other axis
 * (Keras's `Normalization(axis=-1)`). For `[n, 784]` images that is per pixel, as
 * scikit-learn's scalers on a flat matrix; for `[n, 28, 28]` it is per pixel column.
 *
 * - `standard` (scikit-learn's StandardScaler): shift = mean, scale = population standard
 *   deviation (ddof 0), 1 for a constant feature.
 * - `minmax` (MinMaxScaler to 0..1): shift = min, scale = max - min, 1 for a constant feature.
 * - `none`: no statistics.
 *
 * `shift` and `scale` are float32 (what a checkpoint stores), and `applyNormalizer` uses them
 * as stored, so freshly fitted and reloaded statistics transform data identically.
 */
export type Normalizer =
  | { readonly kind: "none" }
  | {
      readonly kind: "standard" | "minmax";
      readonly shift: Float32Array;
      readonly scale: Float32Array;
    };

/** Fits `kind` statistics on `x` (pass the training rows only). */
export function fitNormalizer(x: Tensor, kind: "standard" | "minmax" | "none"): Normalizer {
  if (kind === "none") return { kind };
  const features = x.shape.length < 2 ? 1 : x.shape[x.shape.length - 1]!;
  const count = x.data.length / features;
  const min = new Float64Array(features).fill(Infinity);
  const max = new Float64Array(features).fill(-Infinity);
  const sum = new Float64Array(features);
  const data = x.data;
  for (let i = 0; i < data.length; i += features) {
    for (let f = 0; f < features; f++) {
      const v = data[i + f]!;
      sum[f]! += v;
      if (v < min[f]!) min[f] = v;
      if (v > max[f]!) max[f] = v;
    }
  }
  const shift = new Float32Array(features);
  const scale = new Float32Array(features);
  if (kind === "minmax") {
    for (let f = 0; f < features; f++) {
      const range = max[f]! - min[f]!;
      shift[f] = count > 0 ? min[f]! : 0;
      scale[f] = range > 0 ? range : 1;
    }
    return { kind, shift, scale };
  }
  // Two passes in float64: the mean first, then squared deviations from it (stable).
  const mean = sum.map((s) => (count > 0 ? s / count : 0));
  const squares = new Float64Array(features);
  for (let i = 0; i < data.length; i += features) {
    for (let f = 0; f < features; f++) {
      const d = data[i + f]! - mean[f]!;
      squares[f]! += d * d;
    }
  }
  for (let f = 0; f < features; f++) {
    // A constant feature is detected exactly (min === max): its rounded variance may not be 0.
    const constant = !(max[f]! > min[f]!);
    shift[f] = constant ? (count > 0 ? min[f]! : 0) : mean[f]!;
    const std = Math.sqrt(squares[f]! / count);
    scale[f] = constant || !(std > 0) ? 1 : std;
  }
  return { kind, shift, scale };
}

/**
 * `(x - shift) / scale` per feature, into a new tensor (or into `x` itself with `inPlace`).
 * Throws E502 when `x` has a different number of features than the statistics.
 */
export function applyNormalizer(x: Tensor, normalizer: Normalizer, inPlace = false): Tensor {
  if (normalizer.kind === "none") return x;
  const features = normalizer.shift.length;
  const last = x.shape.length < 2 ? 1 : x.shape[x.shape.length - 1]!;
  if (last !== features) {
    throw new DataError(
      "E502",
      `the normalization statistics are for ${features} features but the data has ${last}`,
    );
  }
  const out = inPlace ? x.data : new Float32Array(x.data.length);
  const { shift, scale } = normalizer;
  for (let i = 0; i < x.data.length; i += features) {
    for (let f = 0; f < features; f++) out[i + f] = (x.data[i + f]! - shift[f]!) / scale[f]!;
  }
  return inPlace ? x : { data: out, shape: x.shape };
}

/**
 * How a normalizer is saved in a checkpoint next to the parameters: `PREFIX.mean` and
 * `PREFIX.std` (standard) or `PREFIX.min` and `PREFIX.range` (minmax), each `[features]`.
 */
export function normalizerTensors(
  normalizer: Normalizer,
  prefix = "normalize",
): { name: string; shape: number[]; data: Float32Array }[] {
  if (normalizer.kind === "none") return [];
  const [shiftName, scaleName] =
    normalizer.kind === "standard" ? ["mean", "std"] : ["min", "range"];
  const shape = [normalizer.shift.length];
  return [
    { name: `${prefix}.${shiftName}`, shape, data: normalizer.shift },
    { name: `${prefix}.${scaleName}`, shape, data: normalizer.scale },
  ];
}

/** The normalizer saved by `normalizerTensors`, or `none` when the tensors are absent. */
export function normalizerFromTensors(
  tensors: ReadonlyMap<string, { readonly data: Float32Array }>,
  prefix = "normalize",
): Normalizer {
  const mean = tensors.get(`${prefix}.mean`);
  const std = tensors.get(`${prefix}.std`);
  if (mean !== undefined && std !== undefined) {
    return { kind: "standard", shift: mean.data, scale: std.data };
  }
  const min = tensors.get(`${prefix}.min`);
  const range = tensors.get(`${prefix}.range`);
  if (min !== undefined && range !== undefined) {
    return { kind: "minmax", shift: min.data, scale: range.data };
  }
  return { kind: "none" };
}

export { BatchIterator, epochOrder, gatherRows } from "./batches.js";
export type { BatchOptions, EpochOrder } from "./batches.js";
