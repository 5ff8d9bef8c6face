import { initializerNames } from "./lower/arg-reader.js";
import { builtinSpecs, type BuiltinKind } from "./lower/builtins.js";
import { layerSpecs } from "./lower/layers.js";
import { dataSignature, sourceSignatures } from "./lower/settings/data.js";
import { metricArgs, metricNames } from "./lower/settings/metrics.js";
import { defaultLr, optimizerArgs } from "./lower/settings/optimizer.js";
import { checkpointKeys, schedules, trainSignature } from "./lower/settings/train.js";
import { keywordGroups, keywords } from "./syntax/tokens.js";

/**
 * The language's vocabulary as tools see it: every built-in name with its kind and argument
 * names, read from the tables the compiler itself checks against, so that editor highlighting
 * and completion cannot drift from what `nnc check` accepts.
 */

export type BuiltinNameKind =
  "layer" | BuiltinKind | "optimizer" | "metric" | "data-source" | "lr-schedule";

export interface BuiltinName {
  readonly name: string;
  readonly kind: BuiltinNameKind;
  /** Argument names in positional order; required ones first where the callee has any. */
  readonly params: readonly string[];
  /** The names of the required arguments. */
  readonly required: readonly string[];
}

function fromSignature(
  name: string,
  kind: BuiltinNameKind,
  params: readonly { readonly name: string; readonly required: boolean }[],
): BuiltinName {
  return {
    name,
    kind,
    params: params.map((p) => p.name),
    required: params.filter((p) => p.required).map((p) => p.name),
  };
}

/** Every built-in name, grouped by kind in the order of language.md. */
export const builtinNames: readonly BuiltinName[] = [
  ...[...layerSpecs].map(([name, spec]) => fromSignature(name, "layer", spec.signature.params)),
  ...[...builtinSpecs].map(([name, spec]) => fromSignature(name, spec.kind, spec.signature.params)),
  ...(Object.keys(optimizerArgs) as (keyof typeof optimizerArgs)[]).map((name) => ({
    name,
    kind: "optimizer" as const,
    params: optimizerArgs[name],
    // Optimizers without a default rate (PyTorch's SGD) require one.
    required: defaultLr[name] === null ? ["lr"] : [],
  })),
  ...metricNames.map((name) => ({
    name,
    kind: "metric" as const,
    params: metricArgs[name] ?? [],
    required: [],
  })),
  ...Object.entries(sourceSignatures).map(([name, sig]) =>
    fromSignature(name, "data-source", sig.params),
  ),
  ...Object.entries(schedules).map(([name, sig]) => fromSignature(name, "lr-schedule", sig.params)),
];

/** The keys of the `train` and `data` sections, and of `early_stopping: { ... }` and `checkpoint: { ... }`. */
export const sectionKeys = {
  train: trainSignature.params.map((p) => p.name),
  data: dataSignature.params.map((p) => p.name),
  earlyStopping: ["monitor", "patience", "min_delta", "restore_best"],
  checkpoint: checkpointKeys,
  split: ["test", "seed"],
} as const;

/** Words with a fixed meaning as values: element types, normalisations, initialisers. */
export const valueWords = {
  dtypes: ["f32", "i32"],
  normalize: ["standard", "minmax", "none"],
  initializers: initializerNames,
  /** Names the language defines inside a model: its output, and every layer weight (`l2(weights)`). */
  implicit: ["output", "weights"],
} as const;

export { keywordGroups, keywords };
