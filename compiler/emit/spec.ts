import type { IrFunction } from "../ir/function.js";
import type { Spanned, TrainingSettings } from "../ir/settings.js";
import type { TensorDecl, TypedModel } from "../ir/types.js";
import { dimsEqual } from "../shapes/dims.js";
import type {
  DataSourceSettings,
  MetricOptions,
  MinBatch,
  ModelSpec,
  TargetDomain,
  TensorSpec,
  TrainingSpec,
} from "../../runtime/spec.js";

/**
 * The `spec` a generated class carries: the runtime's ModelSpec, built from the typed model
 * (the type system checks the two agree). Spans are left out: the runtime does not need them.
 */
export function modelSpec(model: TypedModel, source: string, train: IrFunction | null): ModelSpec {
  const batch = model.inputs[0]?.type.shape[0] ?? null;
  const vocabularies = idCounts(model);
  const tensor = (t: TensorDecl): TensorSpec => {
    const ids = vocabularies.get(t.name);
    return {
      name: t.name,
      shape: t.type.shape.map((d) =>
        batch !== null && dimsEqual(d, batch) ? null : (d as number),
      ),
      dtype: t.type.dtype,
      ...(ids === undefined ? {} : { ids }),
    };
  };
  const output = model.types.get(model.output)!;
  return {
    name: model.name,
    source,
    inputs: model.inputs.map(tensor),
    targets: model.targets.map(tensor),
    output: tensor({ name: "output", type: output, span: model.span }),
    params: model.params.map((p) => ({
      name: p.name,
      shape: p.shape,
      init: p.init,
      trainable: p.trainable,
      ...(p.dtype === "i64" ? { dtype: "i64" as const } : {}),
    })),
    state: train?.state.map((s) => ({ name: s.name, shape: s.shape, init: s.init })) ?? [],
    scalars: train?.scalars ?? [],
    training: training(model.settings, minBatch(model), targetDomain(model)),
  };
}

/** Ops that pass ids through unchanged (only their layout changes). */
const ID_LAYOUT_OPS: ReadonlySet<string> = new Set([
  "reshape",
  "flatten",
  "reshape_as",
  "broadcast_to",
  "slice",
  "transpose",
]);

/**
 * For each input read by `embedding` layers (directly or through layout changes), the smallest
 * vocabulary among them: the ids the data may hold, which the runtime checks before training
 * or predicting (an id outside the table would silently read a zero row).
 */
function idCounts(model: TypedModel): Map<string, number> {
  const producers = new Map(model.eqns.map((e) => [e.out, e]));
  const counts = new Map<string, number>();
  for (const layer of model.layers) {
    if (layer.kind !== "embedding") continue;
    let source = layer.input;
    for (let eqn = producers.get(source); eqn && ID_LAYOUT_OPS.has(eqn.op);) {
      const first = eqn.args[0];
      if (first?.kind !== "value") break;
      source = first.name;
      eqn = producers.get(source);
    }
    const known = counts.get(source);
    counts.set(source, Math.min(known ?? Infinity, layer.args.vocab));
  }
  return counts;
}

/**
 * Batch norm over `[batch, c]` (or spatial dims all 1) averages one value per channel per
 * sample, so a batch of one has no variance to normalise by and its unbiased running variance
 * divides by zero; PyTorch refuses it ("Expected more than 1 value per channel when training").
 */
function minBatch(model: TypedModel): MinBatch | null {
  for (const layer of model.layers) {
    if (layer.kind !== "batchnorm") continue;
    const shape = model.types.get(layer.input)?.shape ?? [];
    const perSample = shape
      .slice(2)
      .reduce<number>((p, d) => p * (typeof d === "number" ? d : 2), 1);
    if (perSample === 1) return { size: 2, layer: layer.name };
  }
  return null;
}

/**
 * Binary cross-entropy's target is a probability: a value outside [0, 1] gives a loss that is
 * unbounded below, which trains to nonsense without any error.
 */
function targetDomain(model: TypedModel): TargetDomain | null {
  const targets = new Set(model.targets.map((t) => t.name));
  for (const eqn of model.eqns) {
    if (eqn.op !== "binary_cross_entropy" && eqn.op !== "sigmoid_binary_cross_entropy") continue;
    const target = eqn.args[1];
    if (target?.kind === "value" && targets.has(target.name)) {
      return { target: target.name, loss: "binary_cross_entropy", min: 0, max: 1 };
    }
  }
  return null;
}

function training(
  settings: TrainingSettings,
  min: MinBatch | null,
  domain: TargetDomain | null,
): TrainingSpec | null {
  if (settings.optimizer === null) return null;
  const { span: _optimizerSpan, ...optimizer } = settings.optimizer;
  const data = settings.data;
  return {
    optimizer,
    ...(min === null ? {} : { minBatch: min }),
    ...(domain === null ? {} : { targetDomain: domain }),
    train: settings.train,
    metrics: settings.metrics,
    ...(usesDefaults(settings.metricOptions) ? {} : { metricOptions: settings.metricOptions }),
    data: data === null ? null : { ...data, source: data.source && sourceSettings(data.source) },
  };
}

/** Whether every metric setting is Keras' default (the spec then leaves them out). */
function usesDefaults(options: MetricOptions): boolean {
  const { topK, average } = options;
  return topK === 5 && Object.values(average).every((a) => a === "macro");
}

function sourceSettings({
  span: _span,
  ...source
}: Spanned<DataSourceSettings>): DataSourceSettings {
  return source;
}
