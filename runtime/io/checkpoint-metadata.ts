import type { Normalizer } from "../data/dataset.js";
import { CheckpointError } from "./errors.js";

/**
 * What nnc writes into a checkpoint's safetensors `__metadata__` beside the weights (PyTorch
 * ignores it), and the strict reading of it back:
 *
 * - `nnc.normalize`: JSON `{"kind": "standard" | "minmax", "shift": [...], "scale": [...]}`,
 *   the feature scaling `x' = (x - shift) / scale` fitted on the training rows;
 * - `nnc.features`: JSON array of the CSV header names of the feature columns, in the order
 *   the model saw them, so that prediction data is matched by name rather than by position.
 *
 * Guarantees: a key nnc reads either parses into exactly what nnc wrote or throws a one-line
 * CheckpointError naming the file and the key; an absent key means "not recorded", never a
 * damaged one read as a default.
 */

export const NORMALIZE_KEY = "nnc.normalize";
export const FEATURES_KEY = "nnc.features";

/** The metadata entries for a normalizer and the feature column names (either may be absent). */
export function checkpointMetadata(
  normalizer: Normalizer,
  features: readonly string[] | null,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (normalizer.kind !== "none") {
    out[NORMALIZE_KEY] = JSON.stringify({
      kind: normalizer.kind,
      shift: [...normalizer.shift],
      scale: [...normalizer.scale],
    });
  }
  if (features !== null) out[FEATURES_KEY] = JSON.stringify(features);
  return out;
}

type Metadata = Readonly<Record<string, string>> | null;

/** The normalizer saved under `nnc.normalize`, `none` when absent; throws CheckpointError. */
export function readNormalizeMetadata(metadata: Metadata, displayPath: string): Normalizer {
  const text = metadata?.[NORMALIZE_KEY];
  if (text === undefined) return { kind: "none" };
  const fail = (why: string) =>
    new CheckpointError(
      displayPath,
      `${displayPath}: metadata ${NORMALIZE_KEY} ${why}; nnc writes {"kind": "standard" or "minmax", "shift": [numbers], "scale": [numbers]}`,
    );
  const value = parseJson(text, () => fail("is not JSON"));
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw fail("is not a JSON object");
  }
  const record = value as Record<string, unknown>;
  const kind = record["kind"];
  if (kind !== "standard" && kind !== "minmax") {
    throw fail(`has kind ${JSON.stringify(kind) ?? "missing"}`);
  }
  const shift = numberList(record["shift"], "shift", fail);
  const scale = numberList(record["scale"], "scale", fail);
  if (shift.length !== scale.length) {
    throw fail(`has ${shift.length} shift values but ${scale.length} scale values`);
  }
  // x / 0 would be an infinite or NaN feature, silently: nnc writes 1 for a constant feature.
  const zero = scale.findIndex((s) => s === 0);
  if (zero !== -1) throw fail(`has scale 0 for feature ${zero}`);
  return { kind, shift, scale };
}

/** The feature column names saved under `nnc.features`, null when absent; throws CheckpointError. */
export function readFeaturesMetadata(metadata: Metadata, displayPath: string): string[] | null {
  const text = metadata?.[FEATURES_KEY];
  if (text === undefined) return null;
  const fail = (why: string) =>
    new CheckpointError(
      displayPath,
      `${displayPath}: metadata ${FEATURES_KEY} ${why}; nnc writes a JSON array of column names`,
    );
  const value = parseJson(text, () => fail("is not JSON"));
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === "string")) {
    throw fail("is not an array of strings");
  }
  if (new Set(value).size !== value.length) throw fail("names a column twice");
  return value;
}

function parseJson(text: string, fail: () => CheckpointError): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw fail();
  }
}

function numberList(
  value: unknown,
  field: string,
  fail: (why: string) => CheckpointError,
): Float32Array {
  if (!Array.isArray(value)) throw fail(`has no ${field} list`);
  const out = new Float32Array(value.length);
  value.forEach((v, i) => {
    // Float32 like the stored statistics: a value beyond float32 would divide to 0 or infinity.
    out[i] = typeof v === "number" ? v : NaN;
    if (!Number.isFinite(out[i]!)) {
      throw fail(`has ${field}[${i}] = ${JSON.stringify(v) ?? String(v)}, not a finite number`);
    }
  });
  return out;
}
