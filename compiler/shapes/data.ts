import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { diagnostic } from "../diagnostics/diagnostic.js";
import type { DataSourceSettings } from "../../runtime/spec.js";
import type { Model, TensorType } from "../ir/types.js";
import { formatType, shapesEqual } from "./dims.js";

/**
 * Whether the `data` source can feed the model's inputs and targets (E502). Only what is
 * known without reading files: (Fashion-)MNIST's fixed shapes, and a CSV's column counts where the
 * target columns are named. The rest is checked when the files are read.
 */
export function checkDataSource(
  model: Model,
  types: ReadonlyMap<string, TensorType>,
): Diagnostic[] {
  const source = model.settings.data?.source;
  if (!source) return [];
  const problem = sourceProblem(source, model, types);
  return problem ? [diagnostic("E502", source.span, { detail: problem })] : [];
}

function sourceProblem(
  source: DataSourceSettings,
  model: Model,
  types: ReadonlyMap<string, TensorType>,
): string | null {
  const inputs = model.inputs;
  const targets = model.targets;
  if (inputs.length !== 1)
    return `${source.kind} data feeds one input, but ${model.name} has ${inputs.length}`;
  if (targets.length > 1)
    return `${source.kind} data feeds one target, but ${model.name} has ${targets.length}`;
  const input = inputs[0]!;
  const target = targets[0];
  const inputType = types.get(input.name) ?? input.type;
  switch (source.kind) {
    case "idx":
      return null;
    case "mnist":
    case "fashion_mnist": {
      const images = [[784], [28, 28], [1, 28, 28]];
      if (!images.some((s) => shapesEqual(inputType.shape.slice(1), s))) {
        return `${source.kind} images are 28x28: input ${input.name} must be [batch, 784], [batch, 28, 28] or [batch, 1, 28, 28], not ${formatType(inputType)}`;
      }
      if (target) {
        const t = target.type;
        const ids = t.dtype === "i32" && t.shape.length === 1;
        const oneHot = t.dtype === "f32" && shapesEqual(t.shape.slice(1), [10]);
        if (!ids && !oneHot) {
          return `${source.kind} labels are ${source.kind === "mnist" ? "digits" : "classes"} 0..9: target ${target.name} must be i32[batch] or [batch, 10] (one-hot), not ${formatType(t)}`;
        }
      }
      return null;
    }
    case "csv": {
      if (inputType.shape.length !== 2) {
        return `csv rows are flat: input ${input.name} must be [batch, features], not ${formatType(inputType)}`;
      }
      if (!target) return null;
      const t = target.type;
      const width = t.shape.length === 1 ? 1 : t.shape.length === 2 ? t.shape[1] : null;
      if (width === null || typeof width !== "number") {
        return `csv targets are columns: target ${target.name} must be [batch], [batch, k] or i32[batch], not ${formatType(t)}`;
      }
      if (t.dtype === "i32" && width !== 1)
        return `i32 class ids come from one csv column, but ${target.name} is ${formatType(t)}`;
      const named = source.target;
      if (named === null && width !== 1) {
        return `target ${target.name} is ${formatType(t)}: name its ${width} columns, e.g. target: ["c1", "c2", ...]`;
      }
      if (named !== null && named.length !== width) {
        return `csv target names ${named.length} column${named.length === 1 ? "" : "s"}, but target ${target.name} ${formatType(t)} needs ${width}`;
      }
      return null;
    }
  }
}
