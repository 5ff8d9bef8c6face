/**
 * Data handed to the model API (`fit`, `evaluate`, `trainStep`, `predict`) checked against the
 * model's spec before any of it reaches a backend: the CLI's loaders check their files (E502 at
 * a cell), and a program calling the API directly gets the same guarantee here.
 *
 * Assumes: spec shapes hold `null` only for the batch dimension (or a dimension any size fits).
 * Guarantees: on return every named tensor is an own property of `data`, has numeric `data`
 * of exactly the size its shape says, a row the size of its spec's row, and the same row count
 * as the others; with targets, every target value is finite and in its loss's domain (class ids
 * integers in [0, classes), binary cross-entropy targets in [0, 1]). Otherwise one DataError
 * (E502) line that names the call, the tensor, the element (`y[2, 0]`) and its value. An
 * i32 input holds token ids: whole numbers in [0, ids) (TensorSpec.ids), with or without targets.
 * Inputs may hold NaN: `fit` reports where a loss stops being finite (stopOnNonFinite) and
 * `predict` returns NaN rows, as PyTorch does.
 */
import { DataError } from "../data/errors.js";
import { type Tensor, formatShape } from "../data/tensor.js";
import type { ModelSpec, TensorSpec } from "../spec.js";

/** What the data feeds: inputs only (`predict`) or inputs and targets (the rest). */
export type DataUse = "inputs" | "inputs and targets";

/**
 * The row count of `data` after checking it for `spec` (see the module comment); `what` names
 * the call and the part in messages (`fit: validation data`).
 */
export function checkModelData(spec: ModelSpec, data: unknown, use: DataUse, what: string): number {
  if (typeof data !== "object" || data === null)
    throw new DataError("E502", `${what}: expected tensors by name, not ${describe(data)}`);
  const record = data as Readonly<Record<string, unknown>>;
  const wanted = use === "inputs" ? spec.inputs : [...spec.inputs, ...spec.targets];
  let rows: number | null = null;
  let first = "";
  for (const tensorSpec of wanted) {
    const name = tensorSpec.name;
    if (!Object.hasOwn(record, name)) {
      const given = Object.keys(record);
      throw new DataError(
        "E502",
        `${what}: no tensor for ${name} (given: ${given.length === 0 ? "none" : given.join(", ")})`,
      );
    }
    const tensor = checkTensor(record[name], tensorSpec, what);
    if (tensorSpec.dtype === "i32" && spec.inputs.includes(tensorSpec))
      checkIds(tensorSpec, tensor, what);
    const count = tensor.shape[0]!;
    if (rows === null) {
      rows = count;
      first = name;
    } else if (count !== rows) {
      throw new DataError(
        "E502",
        `${what}: ${first} has ${rows} rows but ${name} has ${count}; every tensor needs one row per sample`,
      );
    }
  }
  if (use === "inputs and targets") {
    if (rows === 0) throw new DataError("E502", `${what}: no rows`);
    for (const target of spec.targets)
      checkTargetValues(spec, target, record[target.name] as Tensor, what);
  }
  return rows ?? 0;
}

/** `value` when it is a whole number of rows of at least 1 (a batch size); else a DataError. */
export function checkBatchSize(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1)
    throw new DataError(
      "E502",
      `${what}: batchSize must be a whole number of at least 1, not ${describe(value)}`,
    );
  return value;
}

function checkTensor(value: unknown, spec: TensorSpec, what: string): Tensor {
  const name = spec.name;
  const tensor = value as Partial<Tensor> | null;
  if (typeof tensor !== "object" || tensor === null || !Array.isArray(tensor.shape))
    throw new DataError(
      "E502",
      `${what}: ${name} is not a tensor ({ data, shape }): ${describe(value)}`,
    );
  const shape = tensor.shape;
  if (shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d >= 0))
    throw new DataError(
      "E502",
      `${what}: ${name} has shape ${JSON.stringify(shape)}; a shape is whole numbers >= 0, rows first`,
    );
  const data = tensor.data as unknown;
  if (!(data instanceof Float32Array || data instanceof Float64Array))
    throw new DataError("E502", `${what}: ${name}.data is ${describe(data)}, not a Float32Array`);
  const size = shape.reduce((p, d) => p * d, 1);
  if (data.length !== size)
    throw new DataError(
      "E502",
      `${what}: ${name} has shape ${formatShape(shape)} (${size} values) but its data holds ${data.length}`,
    );
  const expected = spec.shape.slice(1);
  const given = shape.slice(1);
  const rowOf = (dims: readonly (number | null)[]) =>
    dims.reduce<number>((p, d) => p * (d ?? 1), 1);
  // A row of the right size is accepted in any layout ([n, 784] for [batch, 28, 28, 1]), as
  // loaders reshape; ids may come as [n] or [n, 1].
  const fits =
    rowOf(given) === rowOf(expected) &&
    (expected.every((d) => d !== null) || given.length === expected.length);
  if (!fits)
    throw new DataError(
      "E502",
      `${what}: ${name} has shape ${formatShape(shape)} but the model takes ${formatShape(spec.shape.map((d, i) => d ?? (i === 0 ? "batch" : "any")))}`,
    );
  return tensor as Tensor;
}

/** `y[2, 0]` for element i of a tensor, or `y[2]` for one of rank 1. */
function elementName(name: string, tensor: Tensor): (i: number) => string {
  const width = tensor.shape.slice(1).reduce((p, d) => p * d, 1);
  return (i) =>
    tensor.shape.length === 1 ? `${name}[${i}]` : `${name}[${Math.floor(i / width)}, ${i % width}]`;
}

/** An i32 input's values are whole numbers in [0, ids) (any count when `ids` is unknown). */
function checkIds(spec: TensorSpec, tensor: Tensor, what: string): void {
  const ids = spec.ids ?? Infinity;
  const data = tensor.data;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (Number.isInteger(v) && v >= 0 && v < ids) continue;
    const range = ids === Infinity ? "0, 1, 2, ..." : `[0, ${ids - 1}]`;
    throw new DataError(
      "E502",
      `${what}: ${elementName(spec.name, tensor)(i)} is ${v}, not a token id (a whole number in ${range})`,
    );
  }
}

function checkTargetValues(
  spec: ModelSpec,
  target: TensorSpec,
  tensor: Tensor,
  what: string,
): void {
  const at = elementName(target.name, tensor);
  const classes = target.dtype === "i32" ? spec.output.shape.at(-1) : undefined;
  const domain = spec.training?.targetDomain;
  const range = domain?.target === target.name ? domain : undefined;
  const data = tensor.data;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!Number.isFinite(v))
      throw new DataError("E502", `${what}: ${at(i)} is ${v}; targets must be finite numbers`);
    if (target.dtype === "i32") {
      if (!Number.isInteger(v) || v < 0 || (typeof classes === "number" && v >= classes))
        throw new DataError(
          "E502",
          `${what}: ${at(i)} is ${v}, not a class id (a whole number in [0, ${typeof classes === "number" ? classes - 1 : "classes"}])`,
        );
    } else if (range && (v < range.min || v > range.max)) {
      throw new DataError(
        "E502",
        `${what}: ${at(i)} is ${v}, outside [${range.min}, ${range.max}], the targets ${range.loss} takes`,
      );
    }
  }
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "number") return String(value);
  if (typeof value === "string")
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  return typeof value === "object" ? (value.constructor?.name ?? "an object") : typeof value;
}
