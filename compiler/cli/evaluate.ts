import { dirname, resolve } from "node:path";
import type {
  CompiledModel,
  ModelSpec,
  Normalizer,
  SafetensorsContents,
  Tensor,
} from "../../runtime/index.js";
import type { PreparedData, SourceRequest } from "../../runtime/node/index.js";
import { printable } from "../diagnostics/printable.js";
import type { Span } from "../diagnostics/span.js";
import type { ModelFunctions } from "../emit/index.js";
import { type ParsedArgs, runOptions, stringOption } from "./args.js";
import { buildFile, chooseModel } from "./build.js";
import { loadCheckpoint } from "./checkpoint.js";
import { reportDataError } from "./data-error.js";
import { withModel } from "./create-model.js";
import { CliError, type CliIo } from "./io.js";
import { type Runtime, loadGenerated, loadRuntime } from "./load-module.js";

/**
 * `nnc evaluate FILE --load CKPT [--data PATH] [--model NAME] [--json]`: the loss and every
 * metric of the model's `metrics` section on a data set, in evaluation mode (no dropout,
 * batch norm's running statistics), computed by the runtime's `measure` as `nnc train`'s test
 * line is.
 *
 * The data: by default the test part of the model's `data` section (its `split`, or the
 * source's own test set), the rows `nnc train` tests on; `--data PATH` every row of a CSV
 * with its target columns (or the test part of an IDX folder), as `predict` reads it. The
 * features are scaled by the checkpoint's `nnc.normalize` when it has one (as `predict`
 * does); otherwise, for the data section, as training scaled them (statistics of its training
 * rows), and not at all for `--data`.
 */
export async function evaluateCommand(io: CliIo, file: string, args: ParsedArgs): Promise<number> {
  const load = stringOption(args, "load");
  if (load === undefined)
    throw new CliError("evaluate needs --load CKPT: the trained parameters (safetensors)");
  const built = buildFile(io, file);
  if (!built) return 1;
  const chosen = chooseModel(
    file,
    built.models,
    stringOption(args, "model"),
    (m) => m.evaluate !== null,
  );
  if (!chosen.evaluate) {
    throw new CliError(
      `${file}:${chosen.model.span.start.line}:${chosen.model.span.start.column}: model ${chosen.model.name} cannot be evaluated: it has no loss section`,
    );
  }
  const runtime = await loadRuntime();
  const module = await loadGenerated(built.models, file);
  return withModel(io, module[chosen.model.name], runOptions(args), undefined, async (model) => {
    const checkpoint = await loadCheckpoint(io, runtime, model, load);
    const rows = evaluationRows(io, file, built.text, args, runtime, chosen, model, checkpoint);
    if (rows === null) return 1;
    const count = rows.data[model.spec.inputs[0]!.name]?.shape[0] ?? 0;
    if (count === 0) throw new CliError(`${rows.what} has no rows to evaluate on`);
    const batchSize = chosen.model.settings.train.batchSize;
    const { loss, metrics } = await model.measure(rows.data, batchSize);
    if (args.values["json"] === true) {
      const record = {
        model: model.spec.name,
        checkpoint: load,
        data: rows.what,
        rows: count,
        loss,
        metrics,
      };
      io.stdout(`${JSON.stringify(record)}\n`);
    } else {
      io.stdout(evaluationTable(model.spec.name, rows.what, count, { loss, ...metrics }));
    }
    return 0;
  });
}

/** `name  value` rows under a title line, the figures to 4 decimals as `nnc train` prints. */
function evaluationTable(
  model: string,
  what: string,
  rows: number,
  figures: Readonly<Record<string, number>>,
): string {
  const names = Object.keys(figures);
  const width = Math.max(...names.map((n) => n.length), "metric".length) + 2;
  const value = (v: number): string => (Number.isFinite(v) ? v.toFixed(4) : String(v));
  return [
    `${model} on ${printable(what)} (${rows} row${rows === 1 ? "" : "s"})`,
    `${"metric".padEnd(width)}value`,
    ...names.map((n) => `${n.padEnd(width)}${value(figures[n]!)}`),
    "",
  ].join("\n");
}

interface Rows {
  readonly data: Readonly<Record<string, Tensor>>;
  /** What the rows are, for the report: `the test split of data/iris.csv`, `new.csv`. */
  readonly what: string;
}

/** The rows to evaluate on and what they are; null after printing a data error. */
function evaluationRows(
  io: CliIo,
  file: string,
  text: string,
  args: ParsedArgs,
  runtime: Runtime,
  chosen: ModelFunctions,
  model: CompiledModel,
  checkpoint: SafetensorsContents,
): Rows | null {
  const load = stringOption(args, "load")!;
  const dataPath = stringOption(args, "data");
  const spec = model.spec;
  const training = spec.training!;
  const features = runtime.readFeaturesMetadata(checkpoint.metadata, load);
  const saved = checkpoint.metadata?.[runtime.NORMALIZE_KEY] !== undefined;
  const savedScaling = runtime.readNormalizeMetadata(checkpoint.metadata, load);
  let source: SourceRequest;
  let baseDir: string;
  let span: Span | null = null;
  let what: string;
  let where = file;
  if (dataPath !== undefined) {
    source = { kind: "path", path: dataPath, target: null };
    baseDir = io.cwd;
    what = dataPath;
  } else {
    const settings = chosen.model.settings.data;
    const declared = settings?.source;
    const at = declared?.span ?? chosen.model.span;
    where = `${file}:${at.start.line}:${at.start.column}`;
    if (!declared)
      throw new CliError(
        `${where}: model ${spec.name} has no data source to evaluate on; pass --data PATH (a CSV with its target columns)`,
      );
    // mnist("dir") and fashion_mnist() bring their own test part (checked when read).
    if (declared.kind !== "mnist" && declared.kind !== "fashion_mnist" && !settings.split)
      throw new CliError(
        `${where}: model ${spec.name}'s data has no test split; add split: { test: 0.2 } to its data section, or pass --data PATH`,
      );
    source = declared;
    baseDir = dirname(resolve(io.cwd, file));
    span = declared.span;
    what = `the test split of ${describeSource(declared)}`;
  }
  // The features as read: scaled below by the checkpoint's statistics, or as training did.
  const unscaled = dataPath !== undefined || saved;
  const readSpec: ModelSpec = {
    ...spec,
    training: {
      ...training,
      data: {
        source: training.data?.source ?? null,
        split: dataPath !== undefined ? null : (training.data?.split ?? null),
        normalize: unscaled ? "none" : (training.data?.normalize ?? "none"),
      },
    },
  };
  let prepared: PreparedData;
  try {
    prepared = runtime.prepareData(readSpec, source, baseDir, {
      validationSplit: 0,
      ...(features ? { features } : {}),
    });
  } catch (error) {
    if (!(error instanceof runtime.DataError)) throw error;
    reportDataError(io, error, span, text);
    return null;
  }
  const part = dataPath !== undefined ? (prepared.test ?? prepared.train) : prepared.test;
  if (part === null) {
    throw new CliError(
      `${where}: model ${spec.name}'s data has no test part; add split: { test: 0.2 } to its data section, or pass --data PATH`,
    );
  }
  return { data: unscaled ? scaled(runtime, spec, part, savedScaling, load, what) : part, what };
}

function scaled(
  runtime: Runtime,
  spec: ModelSpec,
  data: Readonly<Record<string, Tensor>>,
  scaling: Normalizer,
  load: string,
  what: string,
): Readonly<Record<string, Tensor>> {
  if (scaling.kind === "none") return data;
  const name = spec.inputs[0]!.name;
  const x = data[name]!;
  const width = x.shape.length < 2 ? 1 : x.shape[x.shape.length - 1]!;
  if (scaling.shift.length !== width) {
    throw new CliError(
      `${load}: metadata ${runtime.NORMALIZE_KEY} has statistics for ${scaling.shift.length} features but ${what} has ${width} per row`,
    );
  }
  return { ...data, [name]: runtime.applyNormalizer(x, scaling) };
}

function describeSource(
  source: NonNullable<ModelFunctions["model"]["settings"]["data"]>["source"],
): string {
  switch (source?.kind) {
    case "csv":
      return source.path;
    case "idx":
      return source.images;
    case "mnist":
    case "fashion_mnist":
      return source.dir === null ? `${source.kind}()` : source.dir;
    default:
      return "the data";
  }
}
