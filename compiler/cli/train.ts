import { dirname, join, resolve } from "node:path";
import type { ModelFunctions } from "../emit/index.js";
import { printable } from "../diagnostics/printable.js";
import type { Span } from "../diagnostics/span.js";
import type {
  CompiledModel,
  DataSourceSettings,
  EpochLog,
  FitOptions,
  FitProgress,
  History,
  ParameterValue,
  SafetensorsContents,
} from "../../runtime/index.js";
import type { PreparedData, SourceRequest } from "../../runtime/node/index.js";
import { buildFile, chooseModel } from "./build.js";
import { withModel } from "./create-model.js";
import { CliError, type CliIo } from "./io.js";
import { type GeneratedModule, type Runtime, loadGenerated, loadRuntime } from "./load-module.js";
import { learningCurvesSpec } from "./learning-curves.js";
import { plotFormat, renderPlot } from "./plot.js";
import { ProgressBar, formatEpoch, formatTest } from "./report.js";
import type { TrainArgs } from "./args.js";
import { checkOutputPaths } from "./output-paths.js";
import { reportDataError } from "./data-error.js";
import {
  checkpointPlan,
  locatedResumeError,
  readResume,
  resumeNotice,
} from "./train-checkpoints.js";
import {
  divergenceMessage,
  interruptedMessage,
  lastFinitePath,
  watchSignals,
} from "./train-stop.js";

/**
 * `nnc train FILE [options]`: compile in memory, train, report, optionally save. Several files,
 * or `--compare`, train every model in turn and overlay their curves (train-compare.ts).
 */
export async function trainCommand(
  io: CliIo,
  files: readonly string[],
  args: TrainArgs,
): Promise<number> {
  if (files.length > 1 || args.compare) {
    const { compareCommand } = await import("./train-compare.js");
    return compareCommand(io, files, args);
  }
  const file = files[0]!;
  const built = buildFile(io, file);
  if (!built) return 1;
  const chosen = chooseModel(file, built.models, args.model, (m) => m.train !== null);
  return trainModel(io, file, built, chosen, args);
}

/** What a finished (or stopped) run leaves for a comparison: its history and test figures. */
export interface FinishedRun {
  readonly history: History;
  readonly test: { readonly loss: number; readonly metrics: Record<string, number> } | null;
}

/**
 * Trains `chosen`, a model of `file` as `buildFile` built it, as `nnc train` does: prints the
 * epoch lines and writes what `args` asks. `finished` receives the run once it ended (also a
 * diverged or interrupted one).
 */
export async function trainModel(
  io: CliIo,
  file: string,
  built: NonNullable<ReturnType<typeof buildFile>>,
  chosen: ModelFunctions,
  args: TrainArgs,
  finished?: (run: FinishedRun) => void,
): Promise<number> {
  if (!chosen.train) {
    throw new CliError(
      `model ${chosen.model.name} cannot be trained: it has no loss and optimizer sections`,
    );
  }
  // Before any work: hours of training are never lost to a typo in an output path.
  // --init may be --save (training on from a checkpoint); the source and data never are.
  checkOutputPaths(
    io.cwd,
    [
      ...(args.save !== undefined ? [{ flag: "--save", path: args.save }] : []),
      ...(args.history !== undefined ? [{ flag: "--history", path: args.history }] : []),
      ...(args.plot !== undefined ? [{ flag: "--plot", path: args.plot }] : []),
    ],
    [
      { what: "the source", path: file },
      ...(args.data !== undefined
        ? [{ what: "the data", path: args.data }]
        : dataFiles(chosen.model.settings.data?.source ?? null).map((path) => ({
            what: "the data",
            path: join(dirname(file), path),
          }))),
    ],
  );
  if (args.plot !== undefined) plotFormat(args.plot);
  const runtime = await loadRuntime();
  const module = await generatedModule(built, file);
  const seed = args.seed ?? chosen.model.settings.train.seed;
  return withModel(io, module[chosen.model.name], args, seed, async (model) => {
    const signals = watchSignals();
    try {
      return await trainWatched(io, file, args, runtime, built.text, chosen, model, seed, signals, {
        ...(finished ? { finished } : {}),
      });
    } finally {
      signals.stop();
    }
  });
}

async function trainWatched(
  io: CliIo,
  file: string,
  args: TrainArgs,
  runtime: Runtime,
  text: string,
  chosen: ModelFunctions,
  model: CompiledModel,
  seed: number,
  signals: ReturnType<typeof watchSignals>,
  report: { readonly finished?: (run: FinishedRun) => void },
): Promise<number> {
  const spec = chosen.model;
  // The checkpoint first: the CSV's columns are matched to the feature names it records.
  const resume = readResume(io, runtime, args);
  const init = args.init === undefined ? null : readCheckpoint(io, runtime, args.init);
  const features = init
    ? runtime.readFeaturesMetadata(init.metadata, args.init!)
    : resume && runtime.readFeaturesMetadata(resume.metadata, resume.source);
  const prepared = prepare(io, runtime, file, text, chosen, model, args, features);
  if (!prepared) return 1;
  if (init !== null) await model.loadStateDict(init.tensors, args.init!);
  const metadata = runtime.checkpointMetadata(
    prepared.normalizer,
    prepared.columns ? prepared.columns.features : null,
  );
  const plan = checkpointPlan(io, file, args, chosen);
  const checkpoints = plan
    ? new runtime.CheckpointDir(plan.dir, { keep: plan.keep, metadata, displayDir: plan.shown })
    : null;

  // What it runs on, once, above the epoch lines on a terminal (piped output keeps one line per
  // epoch); --history records it either way.
  const runsOn = runtime.describeBackend(model.rt);
  if (io.isTty && !args.quiet) io.stdout(`${runsOn}\n`);
  const lines: string[] = [];
  const epochs = args.epochs ?? spec.settings.train.epochs;
  // Said once the checkpoint fits (before the first epoch, or after a fit with none to run).
  let notice = resume && !args.quiet ? resumeNotice(resume, epochs) : null;
  const sayNotice = () => {
    if (notice !== null) io.stdout(`${notice}\n`);
    notice = null;
  };
  const bar =
    io.isTty && !args.quiet
      ? new ProgressBar(io.stderr, args.batchSize ?? spec.settings.train.batchSize)
      : null;
  const fitting = model.fit(
    { train: prepared.train, validation: prepared.validation },
    {
      ...(resume ? { resume } : {}),
      ...(checkpoints
        ? { onCheckpoint: checkpoints.write.bind(checkpoints) as FitOptions["onCheckpoint"] }
        : {}),
      onWarning: (message: string) => {
        bar?.clear();
        io.stderr(`nnc: warning: ${printable(message)}\n`);
      },
      ...(args.epochs !== undefined ? { epochs: args.epochs } : {}),
      ...(args.batchSize !== undefined ? { batchSize: args.batchSize } : {}),
      seed,
      signal: signals.signal,
      stopOnNonFinite: true,
      keepFinishedWeights: args.save !== undefined,
      ...(bar
        ? {
            onProgress: (p: FitProgress) =>
              bar.update(p.epoch - 1, epochs, p.step - 1, p.steps, p.loss),
          }
        : {}),
      onEpoch: (log: EpochLog) => {
        bar?.clear();
        sayNotice();
        const line = formatEpoch(log);
        lines.push(line);
        if (!args.quiet) io.stdout(`${line}\n`);
      },
    },
  );
  let history: History;
  try {
    history = await fitting;
  } catch (error) {
    const located = resume && locatedResumeError(io, error, text, chosen);
    if (!located) throw error;
    io.stderr(`${located}\n`);
    return 1;
  }
  bar?.clear();
  sayNotice();
  const save = (path: string, weights: ReadonlyMap<string, ParameterValue>) => {
    const tensors = [...weights].map(([name, t]) => ({
      name,
      shape: t.shape,
      data: t.data,
      ...(t.dtype === "I64" ? { dtype: "I64" as const } : {}),
    }));
    runtime.writeSafetensors(resolve(io.cwd, path), tensors, {
      displayPath: path,
      // Feature scaling and column names beside the weights (PyTorch ignores metadata).
      metadata,
    });
  };
  const writeBytes = (path: string, bytes: Uint8Array): void => {
    try {
      runtime.writeFileAtomic(resolve(io.cwd, path), bytes);
    } catch (error) {
      throw new CliError(`cannot write ${path}: ${runtime.fsErrorReason(error)}`);
    }
  };
  const writeText = (path: string, text: string): void =>
    writeBytes(path, new TextEncoder().encode(text));
  const writeRecords = async (test: FinishedRun["test"]): Promise<void> => {
    report.finished?.({ history, test });
    if (args.history !== undefined) {
      const record = {
        model: spec.name,
        backend: runsOn,
        epochs: history.epochs,
        stoppedEarly: history.stoppedEarly,
        restoredEpoch: history.restoredEpoch,
        ...(history.diverged ? { diverged: history.diverged } : {}),
        ...(history.interrupted ? { interrupted: true } : {}),
        ...(history.resumed ? { resumed: history.resumed } : {}),
        test,
      };
      writeText(args.history, `${JSON.stringify(record, null, 2)}\n`);
    }
    if (args.plot !== undefined) {
      const curves = learningCurvesSpec({ model: spec.name, ...history });
      writeBytes(args.plot, await renderPlot(curves, plotFormat(args.plot)));
    }
  };

  // A stopped run saves only finite weights of a finished epoch, never where --save points
  // after a divergence (that file keeps what it held).
  const kept = history.finishedWeights;
  if (history.diverged || history.interrupted) {
    let savedTo: string | null = null;
    if (args.save !== undefined && kept) {
      savedTo = history.diverged ? lastFinitePath(args.save) : args.save;
      save(savedTo, kept.weights);
    }
    await writeRecords(null);
    if (history.diverged) {
      io.stderr(
        `nnc: ${divergenceMessage(history.diverged, kept && savedTo ? { epoch: kept.epoch, path: savedTo } : null)}\n`,
      );
      return 1;
    }
    const caught = signals.caught ?? "SIGINT";
    io.stderr(
      `nnc: ${interruptedMessage(caught, history.epochs.length, args.save, kept && savedTo ? kept.epoch : null)}\n`,
    );
    return caught === "SIGTERM" ? 143 : 130;
  }

  if (history.stoppedEarly && !history.resumed?.stopped && !args.quiet) {
    const restored =
      history.restoredEpoch === null ? "" : `; weights of epoch ${history.restoredEpoch} restored`;
    io.stdout(`early stopping after epoch ${history.epochs.length}${restored}\n`);
  }
  let test: { loss: number; metrics: Record<string, number> } | null = null;
  if (prepared.test) {
    test = await model.measure(prepared.test, spec.settings.train.batchSize);
    io.stdout(`${formatTest(test)}\n`);
  } else if (args.quiet && lines.length > 0) {
    io.stdout(`${lines.at(-1)!}\n`);
  }

  if (args.save !== undefined) {
    const weights = await model.stateDict();
    if (!allFinite(weights)) {
      throw new CliError(
        `the trained weights are not all finite, so ${args.save} was not written; try a lower learning rate or normalising the data`,
      );
    }
    save(args.save, weights);
  }
  await writeRecords(test);
  return 0;
}

/**
 * The generated module of a built file, made once per file: a comparison trains several
 * models of one file, and generating (and transpiling) the module is most of a small model's
 * start-up time.
 */
const generatedModules = new WeakMap<object, Promise<GeneratedModule>>();
function generatedModule(
  built: NonNullable<ReturnType<typeof buildFile>>,
  file: string,
): Promise<GeneratedModule> {
  let module = generatedModules.get(built);
  if (module === undefined) {
    module = loadGenerated(built.models, file);
    generatedModules.set(built, module);
  }
  return module;
}

/** The model's data, loaded and split; null after printing a data error at its source. */
function prepare(
  io: CliIo,
  runtime: Runtime,
  file: string,
  text: string,
  chosen: ModelFunctions,
  model: CompiledModel,
  args: TrainArgs,
  features: readonly string[] | null,
): PreparedData | null {
  const settings = chosen.model.settings.data;
  const target = args.target?.split(",").map((t) => t.trim());
  let source: SourceRequest;
  let baseDir: string;
  let span: Span | null = null;
  if (args.data !== undefined) {
    source = { kind: "path", path: args.data, target: target ?? null };
    baseDir = io.cwd;
  } else if (settings?.source) {
    const s = settings.source;
    source = s.kind === "csv" && target ? { ...s, target } : s;
    baseDir = dirname(resolve(io.cwd, file));
    span = s.span;
  } else {
    throw new CliError(
      `${file}: model ${chosen.model.name} has no data source; add data { source: csv("...") } or pass --data PATH`,
    );
  }
  try {
    return runtime.prepareData(model.spec, source, baseDir, features ? { features } : {});
  } catch (error) {
    if (!(error instanceof runtime.DataError)) throw error;
    reportDataError(io, error, span, text);
    return null;
  }
}

function readCheckpoint(io: CliIo, runtime: Runtime, path: string): SafetensorsContents {
  let bytes: Uint8Array;
  try {
    bytes = runtime.readInputFile(resolve(io.cwd, path));
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${runtime.fsErrorReason(error)}`);
  }
  return runtime.parseSafetensors(bytes, path);
}

function allFinite(weights: ReadonlyMap<string, ParameterValue>): boolean {
  for (const t of weights.values()) if (!t.data.every(Number.isFinite)) return false;
  return true;
}

/** The files a data section reads, relative to its `.nn` file. */
function dataFiles(source: DataSourceSettings | null): string[] {
  if (source === null) return [];
  switch (source.kind) {
    case "csv":
      return [source.path];
    case "idx":
      return [source.images, source.labels];
    case "mnist":
    case "fashion_mnist":
      return [];
  }
}
