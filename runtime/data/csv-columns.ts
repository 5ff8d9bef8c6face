import { didYouMean } from "../text/suggest.js";
import { DataError, listNames, malformed } from "./errors.js";
import { formatShape } from "./tensor.js";

/**
 * Which CSV column feeds what: the header names resolved against `target` and `drop`, with
 * the checks that need only the header (missing or duplicated names, feature and target
 * counts). Kept apart from the row scanner so that each stays readable.
 */

/** A model tensor as messages name it: `input x is [batch, 10]`. */
export interface ModelSlot {
  readonly name: string;
  /** As declared: `shape[0]` is the batch dimension; names are symbolic dimensions. */
  readonly shape: readonly (number | string)[];
}

/**
 * What the target columns hold. `ids`: one column of class ids (an `i32[batch]` target),
 * giving `y: [n]`; every cell must be a whole number 0..classes-1 (when `classes` is known).
 * `values`: `width` columns of floats, giving `y: [n, width]`.
 */
export type TargetKind =
  | { readonly kind: "ids"; readonly classes?: number }
  | {
      readonly kind: "values";
      readonly width: number;
      /** The loss's domain: every target cell must lie in [min, max]. */
      readonly range?: TargetRange;
    };

/** `binary_cross_entropy` needs targets in [0, 1]. */
export interface TargetRange {
  readonly loss: string;
  readonly min: number;
  readonly max: number;
}

export interface ColumnPlan {
  readonly features: string[];
  readonly targets: string[];
  /** Per header column: its index among the features, or -1. */
  readonly featureSlot: Int32Array;
  /** Per header column: its index among the targets, or -1. */
  readonly targetSlot: Int32Array;
  /** Shape of one row of x: the input's non-batch dimensions. */
  readonly rowShape: number[];
}

export interface ColumnRequest {
  readonly target: readonly string[] | null;
  readonly defaultTarget: readonly string[];
  readonly drop: readonly string[];
  readonly input: ModelSlot;
  /**
   * Present when the input is i32 token ids: every feature cell must be a whole number, below
   * `count` when known (the vocabulary of the embedding reading them).
   */
  readonly inputIds?: { readonly count?: number };
  readonly targetKind: TargetKind;
  /**
   * The feature columns' header names a checkpoint was trained on, in the model's order: the
   * columns are then matched by name (any file order) and a missing or unknown one is E502.
   */
  readonly features?: readonly string[];
}

/** Resolves the header against the request; throws DataError (E502, E504) on any problem. */
export function planColumns(
  header: readonly string[],
  request: ColumnRequest,
  displayPath: string,
): ColumnPlan {
  const seen = new Map<string, number>();
  header.forEach((name, i) => {
    const first = seen.get(name);
    if (first !== undefined) {
      throw malformed(
        displayPath,
        `column ${quoteName(name)} appears twice in the header (columns ${first + 1} and ${i + 1}); give every column its own name`,
      );
    }
    seen.set(name, i);
  });

  const fromDefault = request.target === null;
  const targets = [...(request.target ?? request.defaultTarget)];
  const targetSlot = new Int32Array(header.length).fill(-1);
  targets.forEach((name, slot) => {
    const column = findColumn(header, seen, name, displayPath, fromDefault ? "default" : "target");
    if (targetSlot[column] !== -1) {
      throw malformed(displayPath, `column ${quoteName(name)} is listed twice as a target`);
    }
    targetSlot[column] = slot;
  });

  const dropped = new Uint8Array(header.length);
  for (const name of request.drop) {
    const column = findColumn(header, seen, name, displayPath, "drop");
    if (targetSlot[column] !== -1) {
      throw malformed(displayPath, `column ${quoteName(name)} is both a target and in drop`);
    }
    dropped[column] = 1;
  }

  const features: string[] = [];
  const featureSlot = new Int32Array(header.length).fill(-1);
  header.forEach((name, column) => {
    if (targetSlot[column] === -1 && dropped[column] === 0) {
      featureSlot[column] = features.length;
      features.push(name);
    }
  });
  if (request.features !== undefined) {
    const trained = request.features;
    checkTrainedFeatures(features, trained, displayPath);
    header.forEach((name, column) => {
      if (featureSlot[column] !== -1) featureSlot[column] = trained.indexOf(name);
    });
    features.splice(0, features.length, ...trained);
  }

  checkTargetCount(targets, request.targetKind, displayPath);
  const rowShape = inputRowShape(features, request.input, displayPath);
  return { features, targets, featureSlot, targetSlot, rowShape };
}

function findColumn(
  header: readonly string[],
  index: ReadonlyMap<string, number>,
  name: string,
  displayPath: string,
  role: "target" | "default" | "drop",
): number {
  const column = index.get(name);
  if (column !== undefined) return column;
  const suggestion = didYouMean(name, header);
  const where = role === "drop" ? "drop: " : "";
  const why =
    role === "default"
      ? ' (the target column defaults to the name of the model\'s target; choose one with target: "COLUMN")'
      : "";
  const list = `${suggestion === "" ? "; the" : " The"} columns are: ${listNames(header)}`;
  throw malformed(displayPath, `${where}no column ${quoteName(name)}${why}${suggestion}${list}`);
}

/** The file's feature columns are exactly the trained ones (in any order). */
function checkTrainedFeatures(
  features: readonly string[],
  trained: readonly string[],
  displayPath: string,
): void {
  const missing = trained.filter((f) => !features.includes(f));
  const extra = features.filter((f) => !trained.includes(f));
  if (missing.length === 0 && extra.length === 0) return;
  const named = (names: readonly string[]) =>
    `${names.length === 1 ? "column" : "columns"} ${listNames(names)}`;
  const parts = [
    ...(missing.length > 0 ? [`lacks ${named(missing)} the model was trained on`] : []),
    ...(extra.length > 0 ? [`has ${named(extra)} the model was not trained on`] : []),
  ];
  throw new DataError(
    "E502",
    `${displayPath} ${parts.join(" and ")}; columns are matched by their header names (the model's features: ${listNames(trained)})`,
  );
}

function checkTargetCount(targets: readonly string[], kind: TargetKind, displayPath: string): void {
  if (kind.kind === "ids") {
    if (targets.length !== 1) {
      throw new DataError(
        "E502",
        `${displayPath}: ${targets.length} target columns (${listNames(targets)}) for a target of class ids, which takes exactly one column`,
      );
    }
  } else if (targets.length !== kind.width) {
    throw new DataError(
      "E502",
      `${displayPath}: ${plural(targets.length, "target column")} (${listNames(targets)}) but the model's target takes ${plural(kind.width, "value")} per row`,
    );
  }
}

/**
 * The shape of one row of x: the input's declared non-batch dimensions, whose product must be
 * the feature count. A single symbolic dimension (`[batch, n]`) takes whatever the file has.
 */
function inputRowShape(
  features: readonly string[],
  input: ModelSlot,
  displayPath: string,
): number[] {
  const dims = input.shape.slice(1);
  if (dims.length === 1 && typeof dims[0] === "string") return [features.length];
  const numeric = dims.filter((d): d is number => typeof d === "number");
  const width = numeric.reduce((a, b) => a * b, 1);
  if (numeric.length !== dims.length || width !== features.length) {
    throw new DataError(
      "E502",
      `${displayPath} has ${plural(features.length, "feature column")} (${listNames(features)}) but input ${input.name} is ${formatShape(input.shape)}; every column that is not a target or in drop is a feature`,
    );
  }
  return numeric;
}

/** Names in messages: backquoted like the compiler's, `""` for an empty header cell. */
export function quoteName(name: string): string {
  return name === "" ? '""' : `\`${name}\``;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
