import { resolve } from "node:path";
import type { CompiledModel, Tensor } from "../../runtime/index.js";
import { type ParsedArgs, runOptions, stringOption } from "./args.js";
import { buildFile, chooseModel } from "./build.js";
import { withModel } from "./create-model.js";
import { loadCheckpoint } from "./checkpoint.js";
import { CliError, type CliIo } from "./io.js";
import { type Runtime, loadGenerated, loadRuntime } from "./load-module.js";
import { checkOutputPaths } from "./output-paths.js";

/**
 * `nnc predict FILE --load CKPT --data PATH [-o out.csv] [--threshold P]`: the trained model's
 * outputs for every row of the data, as CSV (one column per output value, plus the predicted
 * class of a classifier, see `ClassRule`). Feature scaling saved with the checkpoint is
 * applied first.
 */
export async function predictCommand(io: CliIo, file: string, args: ParsedArgs): Promise<number> {
  const options = runOptions(args);
  const load = stringOption(args, "load");
  const data = stringOption(args, "data");
  if (load === undefined || data === undefined)
    throw new CliError("predict needs --load CKPT and --data PATH");
  const out = stringOption(args, "out");
  if (out !== undefined)
    checkOutputPaths(
      io.cwd,
      [{ flag: "-o", path: out }],
      [
        { what: "the source", path: file },
        { what: "--load", path: load },
        { what: "--data", path: data },
      ],
    );
  const built = buildFile(io, file);
  if (!built) return 1;
  const chosen = chooseModel(file, built.models, stringOption(args, "model"));
  const runtime = await loadRuntime();
  const module = await loadGenerated(built.models, file);
  return withModel(io, module[chosen.model.name], options, undefined, (model) =>
    predict(io, args, runtime, chosen, model),
  );
}

async function predict(
  io: CliIo,
  args: ParsedArgs,
  runtime: Runtime,
  chosen: ReturnType<typeof chooseModel>,
  model: CompiledModel,
): Promise<number> {
  const load = stringOption(args, "load")!;
  const data = stringOption(args, "data")!;

  const checkpoint = await loadCheckpoint(io, runtime, model, load);

  const input = model.spec.inputs[0];
  if (!input || model.spec.inputs.length !== 1)
    throw new CliError(
      `predict feeds one input, but ${chosen.model.name} has ${model.spec.inputs.length}`,
    );
  const normalizer = runtime.readNormalizeMetadata(checkpoint.metadata, load);
  const features = runtime.readFeaturesMetadata(checkpoint.metadata, load);
  let x = readFeatures(runtime, model, io.cwd, data, features);
  if (normalizer.kind !== "none") {
    const width = x.shape.length < 2 ? 1 : x.shape[x.shape.length - 1]!;
    if (normalizer.shift.length !== width) {
      throw new CliError(
        `${load}: metadata ${runtime.NORMALIZE_KEY} has statistics for ${normalizer.shift.length} features but ${data} has ${width} per row`,
      );
    }
    x = runtime.applyNormalizer(x, normalizer);
  }
  const out = await model.predict(x);
  const csv = predictionsCsv(out, classRule(model, args));
  const target = stringOption(args, "out");
  if (target === undefined) io.stdout(csv);
  else {
    try {
      runtime.writeFileAtomic(resolve(io.cwd, target), new TextEncoder().encode(csv));
    } catch (error) {
      throw new CliError(`cannot write ${target}: ${runtime.fsErrorReason(error)}`);
    }
  }
  return 0;
}

/**
 * Feature rows from a CSV (target columns, when present, are left out) or an IDX folder. With
 * the feature names a checkpoint recorded, CSV columns are matched by header name (any
 * order); a missing or unknown column is an error naming it. Without them (a checkpoint from
 * PyTorch or an older nnc), every column that is not a target or dropped is a feature, in file
 * order.
 */
function readFeatures(
  runtime: Runtime,
  model: CompiledModel,
  cwd: string,
  path: string,
  features: readonly string[] | null,
): Tensor {
  const input = model.spec.inputs[0]!;
  const shape = input.shape.map((d) => d ?? "batch");
  const full = resolve(cwd, path);
  if (runtime.isDirectory(full)) {
    const dir = runtime.readMnistDir({ path: full, displayPath: path });
    const images = dir.test?.x ?? dir.train.x;
    return runtime.imagesFor(images, { name: input.name, shape }, path);
  }
  const source = model.spec.training?.data?.source;
  const targets =
    source?.kind === "csv" && source.target ? source.target : model.spec.targets.map((t) => t.name);
  const drop = source?.kind === "csv" ? source.drop : [];
  // One read; the header as the data's own CSV reader sees it (quotes, BOM, CRLF, spaces).
  const file = { path: full, displayPath: path };
  const bytes = runtime.readDataFile(file);
  const header = runtime.parseCsvHeader(bytes, path);
  const hasTargets = targets.length > 0 && targets.every((t) => header.includes(t));
  const csv = runtime.parseCsv(bytes, path, {
    target: hasTargets ? targets : [],
    defaultTarget: [],
    drop: drop.filter((d) => header.includes(d)),
    input: { name: input.name, shape },
    ...(input.dtype === "i32"
      ? { inputIds: input.ids === undefined ? {} : { count: input.ids } }
      : {}),
    targetKind:
      hasTargets && model.spec.targets[0]?.dtype === "i32"
        ? { kind: "ids" }
        : { kind: "values", width: hasTargets ? targets.length : 0 },
    ...(features === null ? {} : { features }),
  });
  return csv.x;
}

/**
 * How the predicted class is told from the outputs: the largest output for a classifier of
 * class ids (softmax and cross-entropy), each output against `--threshold` for a sigmoid
 * classifier (a model trained with binary cross-entropy, whose outputs are probabilities),
 * none for other models.
 */
type ClassRule =
  | { readonly kind: "largest" }
  | { readonly kind: "threshold"; readonly threshold: number }
  | { readonly kind: "none" };

function classRule(model: CompiledModel, args: ParsedArgs): ClassRule {
  const raw = stringOption(args, "threshold");
  const sigmoid = model.spec.training?.targetDomain?.loss === "binary_cross_entropy";
  const ids = model.spec.targets[0]?.dtype === "i32";
  if (raw !== undefined && !sigmoid) {
    throw new CliError(
      `--threshold applies to a classifier trained with binary_cross_entropy; ${model.spec.name} ${ids ? "predicts the class of its largest output" : "has no classes"}`,
    );
  }
  if (sigmoid) {
    const threshold = raw === undefined ? 0.5 : Number(raw);
    if (
      raw !== undefined &&
      (!/^\s*[\d.eE+-]+\s*$/.test(raw) || !(threshold >= 0 && threshold <= 1))
    )
      throw new CliError(`--threshold expects a number in [0, 1], got '${raw}'`);
    return { kind: "threshold", threshold };
  }
  return ids ? { kind: "largest" } : { kind: "none" };
}

/**
 * The outputs as CSV: `output` (or `output_0`, `output_1`, ...), then the predicted class:
 * `predicted` (the largest output's index, or for one sigmoid output 1 when it is at least
 * the threshold, else 0) or, for several sigmoid outputs, `predicted_0`, `predicted_1`, ...
 */
function predictionsCsv(out: Tensor, rule: ClassRule): string {
  const rows = out.shape[0] ?? 0;
  const width = rows === 0 ? 0 : out.data.length / rows;
  const names = width === 1 ? ["output"] : Array.from({ length: width }, (_, k) => `output_${k}`);
  const classNames =
    rule.kind === "none"
      ? []
      : rule.kind === "largest" || width === 1
        ? ["predicted"]
        : names.map((_, k) => `predicted_${k}`);
  const lines = [[...names, ...classNames].join(",")];
  for (let r = 0; r < rows; r++) {
    const row = out.data.subarray(r * width, (r + 1) * width);
    const cells = [...row].map((v) => String(Number(v.toPrecision(7))));
    if (rule.kind === "largest") cells.push(predictedClass(row));
    else if (rule.kind === "threshold")
      for (const v of row) cells.push(Number.isNaN(v) ? "NaN" : v >= rule.threshold ? "1" : "0");
    lines.push(cells.join(","));
  }
  return `${lines.join("\n")}\n`;
}

/** The index of the largest output; NaN when any output is NaN (no class can be told). */
function predictedClass(row: Float32Array): string {
  let best = 0;
  for (let k = 0; k < row.length; k++) {
    if (Number.isNaN(row[k]!)) return "NaN";
    if (row[k]! > row[best]!) best = k;
  }
  return String(best);
}
