import { resolve } from "node:path";
import type { DataSourceSettings } from "../spec.js";
import { isDirectory } from "../io/fs.js";
import type { ModelSlot, TargetRange } from "./csv-columns.js";
import { readCsv } from "./csv-file.js";
import type { Dataset } from "./dataset.js";
import { DataError } from "./errors.js";
import { fashionMnistDir } from "./fashion-mnist.js";
import { readIdx, readMnistDir } from "./idx.js";
import { loadShippedMnist } from "./mnist-package.js";
import { type Tensor, formatShape, reshape } from "./tensor.js";

/**
 * From a `data { source: ... }` (or `--data PATH`) to tensors shaped for the model: the one
 * entry point the training command needs. Paths are relative to `baseDir` (the `.nn` file's
 * folder) and appear in messages as written.
 */

/** A `data { source: ... }` as the model's spec carries it, or a bare `--data PATH`. */
export type SourceRequest =
  | DataSourceSettings
  /** `--data PATH`: a folder is read as `mnist("PATH")`, anything else as a CSV. */
  | { readonly kind: "path"; readonly path: string; readonly target: readonly string[] | null };

/** The model's data slots. */
export interface ModelDataSlots {
  /** `ids` when the input is i32 token ids (with their count when known). */
  readonly input: ModelSlot & { readonly ids?: { readonly count?: number } };
  /** `ids` for an `i32` target of class ids; `values` for a float target. */
  readonly target: ModelSlot & {
    readonly kind: "ids" | "values";
    /** The loss's domain for a float target (binary cross-entropy: [0, 1]). */
    readonly range?: TargetRange;
  };
  /** Number of classes when known (the output's last dimension), to check ids against. */
  readonly classes?: number;
  /** A CSV's feature column names from a checkpoint: matched by name (see ColumnRequest). */
  readonly features?: readonly string[];
}

export interface LoadedData {
  /** x `[rows, ...input dims]`, y `[rows, ...target dims]` (`[rows]` for ids). */
  readonly data: Dataset;
  /**
   * The source's own test part (`mnist("dir")` with `t10k-*` files, `fashion_mnist()`'s
   * published 10,000), else null.
   */
  readonly test: Dataset | null;
  /** For a CSV: the feature and target columns used. */
  readonly columns: { readonly features: string[]; readonly targets: string[] } | null;
}

/** Loads `source` and shapes it for `model`; throws DataError (E502-E504). */
export function loadDataSource(
  source: SourceRequest,
  baseDir: string,
  model: ModelDataSlots,
): LoadedData {
  const file = (path: string) => ({ path: resolve(baseDir, path), displayPath: path });
  if (source.kind === "path") {
    return isDirectory(resolve(baseDir, source.path))
      ? loadDataSource({ kind: "mnist", dir: source.path }, baseDir, model)
      : loadDataSource({ ...source, kind: "csv", drop: [] }, baseDir, model);
  }
  if (source.kind === "csv") {
    const targetDims = model.target.shape.slice(1);
    const width = targetDims.reduce<number>((a, d) => a * (typeof d === "number" ? d : 1), 1);
    const csv = readCsv(file(source.path), {
      target: source.target,
      defaultTarget: [model.target.name],
      drop: source.drop,
      input: model.input,
      ...(model.input.ids === undefined ? {} : { inputIds: model.input.ids }),
      ...(model.features === undefined ? {} : { features: model.features }),
      targetKind:
        model.target.kind === "ids"
          ? { kind: "ids", ...(model.classes === undefined ? {} : { classes: model.classes }) }
          : { kind: "values", width, ...(model.target.range ? { range: model.target.range } : {}) },
    });
    const y = model.target.kind === "ids" ? csv.y : targetView(csv.y, model.target);
    return { data: { x: csv.x, y }, test: null, columns: csv.columns };
  }
  const what =
    source.kind === "idx"
      ? source.images
      : source.dir !== null
        ? source.dir
        : source.kind === "mnist"
          ? "the shipped MNIST digits"
          : "Fashion-MNIST";
  const fit = (d: { x: Tensor; y: Tensor }): Dataset => ({
    x: imagesFor(d.x, model.input, what),
    y: labelsFor(d.y, model, what),
  });
  if (source.kind === "idx") {
    return {
      data: fit(readIdx(file(source.images), file(source.labels))),
      test: null,
      columns: null,
    };
  }
  if (source.kind === "mnist" && source.dir === null)
    return { data: fit(loadShippedMnist()), test: null, columns: null };
  const dir = readMnistDir(source.dir === null ? fashionMnistDir() : file(source.dir));
  return { data: fit(dir.train), test: dir.test === null ? null : fit(dir.test), columns: null };
}

/** y `[rows, width]` viewed as the target's declared shape (`[rows]` for `[batch]`). */
function targetView(y: Tensor, target: ModelSlot): Tensor {
  const dims = target.shape.slice(1);
  if (!dims.every((d) => typeof d === "number")) return y;
  return reshape(y, [y.shape[0]!, ...(dims as number[])]);
}

/**
 * Images `[n, ...]` viewed as the input's shape when the pixel counts agree (no copy); E502
 * naming `what` otherwise.
 */
export function imagesFor(x: Tensor, input: ModelSlot, what: string): Tensor {
  const dims = input.shape.slice(1);
  const pixels = x.shape.slice(1).reduce((a, b) => a * b, 1);
  const numeric = dims.every((d): d is number => typeof d === "number");
  if (!numeric || dims.reduce((a, b) => a * b, 1) !== pixels) {
    throw new DataError(
      "E502",
      `${what}: the images are ${describeImage(x.shape.slice(1))} but input ${input.name} is ${formatShape(input.shape)}`,
    );
  }
  return reshape(x, [x.shape[0]!, ...dims]);
}

/** `28 x 28 (784 values each)`, or `784 values each` for flattened images. */
function describeImage(dims: readonly number[]): string {
  const values = `${dims.reduce((a, b) => a * b, 1)} values each`;
  return dims.length > 1 ? `${dims.join(" x ")} (${values})` : values;
}

/** Class ids for an ids target; one-hot rows (Keras's `to_categorical`) for a float target. */
function labelsFor(y: Tensor, model: ModelDataSlots, what: string): Tensor {
  const { target } = model;
  const largest = y.data.reduce((a, b) => Math.max(a, b), 0);
  if (target.kind === "ids") {
    if (model.classes !== undefined && largest >= model.classes) {
      throw new DataError(
        "E502",
        `${what}: the labels go up to ${largest} but the model has ${model.classes} classes (0..${model.classes - 1})`,
      );
    }
    return y;
  }
  const dims = target.shape.slice(1);
  const width = dims[0];
  if (dims.length !== 1 || typeof width !== "number") {
    throw new DataError(
      "E502",
      `${what}: the data has class labels but target ${target.name} is ${formatShape(target.shape)}; declare it i32[batch] (class ids) or [batch, CLASSES] (one-hot)`,
    );
  }
  if (largest >= width) {
    throw new DataError(
      "E502",
      `${what}: the labels go up to ${largest} but target ${target.name} is ${formatShape(target.shape)}, one-hot over ${width} classes`,
    );
  }
  const rows = y.data.length;
  const oneHot = new Float32Array(rows * width);
  for (let i = 0; i < rows; i++) oneHot[i * width + y.data[i]!] = 1;
  return { data: oneHot, shape: [rows, width] };
}
