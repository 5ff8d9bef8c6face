/**
 * `nnc train A.nn B.nn ...` (or `nnc train FILE.nn --compare`): trains several models in turn,
 * each exactly as `nnc train` would alone with the same options (its own data section, seed
 * and settings; `--epochs`, `--batch-size`, `--seed`, `--data` and the backend options apply
 * to every one), prints a table of the runs side by side (summaryTable), overlays their
 * learning curves in one `--plot` (compare-curves.ts) and writes every run to one `--history`
 * file.
 *
 * Which models: with `--model NAME`, that model of each file; otherwise every trainable model
 * (one with loss and optimizer sections) of each file, in file order. Every file is compiled
 * and every output path checked before the first model trains, so that a typo in the last
 * file fails at once. The options that name one model's files (`--save`, `--init`,
 * `--checkpoint-dir`, `--resume`) are refused in one line: each model would need its own.
 * A model that fails (a data error, a divergence) is reported and the others still train (exit
 * 1); an interrupt stops the comparison (exit 130 or 143) without writing the plot.
 */
import { basename, resolve } from "node:path";
import type { ModelFunctions } from "../emit/index.js";
import type { TrainArgs } from "./args.js";
import { buildFile, chooseModel } from "./build.js";
import { type ComparedRun, comparisonSpec } from "./compare-curves.js";
import { CliError, type CliIo } from "./io.js";
import { loadRuntime } from "./load-module.js";
import { checkOutputPaths } from "./output-paths.js";
import { plotFormat, renderPlot } from "./plot.js";
import { type FinishedRun, trainModel } from "./train.js";

interface Entry {
  readonly file: string;
  readonly built: NonNullable<ReturnType<typeof buildFile>>;
  readonly chosen: ModelFunctions;
}

/** The flags that write or read one model's weights, which a comparison cannot share. */
const singleModelFlags = [
  ["--save", "save"],
  ["--init", "init"],
  ["--checkpoint-dir", "checkpointDir"],
  ["--resume", "resume"],
] as const;

export async function compareCommand(
  io: CliIo,
  files: readonly string[],
  args: TrainArgs,
): Promise<number> {
  const how = files.length > 1 ? `${files.length} files` : "--compare";
  for (const [flag, key] of singleModelFlags) {
    if (args[key] !== undefined) {
      throw new CliError(
        `${flag} is for one model, and ${how} trains several; train each model alone (nnc train FILE.nn --model NAME ${flag} ...)`,
      );
    }
  }
  const seen = new Map<string, string>();
  for (const file of files) {
    const again = seen.get(resolve(io.cwd, file));
    if (again !== undefined) throw new CliError(`${file} is ${again} again; give each file once`);
    seen.set(resolve(io.cwd, file), file);
  }
  if (args.plot !== undefined) plotFormat(args.plot);
  checkOutputPaths(
    io.cwd,
    [
      ...(args.history !== undefined ? [{ flag: "--history", path: args.history }] : []),
      ...(args.plot !== undefined ? [{ flag: "--plot", path: args.plot }] : []),
    ],
    [
      ...files.map((path) => ({ what: "the source", path })),
      ...(args.data !== undefined ? [{ what: "the data", path: args.data }] : []),
    ],
  );

  const entries: Entry[] = [];
  for (const file of files) {
    const built = buildFile(io, file);
    if (!built) return 1;
    const models =
      args.model !== undefined
        ? [chooseModel(file, built.models, args.model)]
        : built.models.filter((m) => m.train !== null);
    if (models.length === 0) {
      throw new CliError(
        `${file} has no model to train (a model needs loss and optimizer sections)`,
      );
    }
    for (const chosen of models) entries.push({ file, built, chosen });
  }

  const labels = runLabels(entries, files);
  const single: TrainArgs = withoutOutputs(args);
  const runs: { entry: Entry; label: string; run: FinishedRun }[] = [];
  let status = 0;
  for (const [i, entry] of entries.entries()) {
    const label = labels[i]!;
    io.stdout(`== ${entry.chosen.model.name} (${entry.file}) ==\n`);
    let code: number;
    try {
      code = await trainModel(io, entry.file, entry.built, entry.chosen, single, (run) =>
        runs.push({ entry, label, run }),
      );
    } catch (error) {
      if (!(error instanceof CliError)) throw error;
      io.stderr(`nnc: ${error.message}\n`);
      code = 1;
    }
    if (code === 130 || code === 143) return code;
    if (code !== 0) status = 1;
  }

  if (!args.quiet && runs.length > 1) io.stdout(summaryTable(runs));
  if (args.history !== undefined) {
    const record = {
      runs: runs.map(({ entry, label, run }) => ({
        label,
        file: entry.file,
        model: entry.chosen.model.name,
        epochs: run.history.epochs,
        stoppedEarly: run.history.stoppedEarly,
        restoredEpoch: run.history.restoredEpoch,
        ...(run.history.diverged ? { diverged: run.history.diverged } : {}),
        test: run.test,
      })),
    };
    await writeOutput(
      io,
      args.history,
      new TextEncoder().encode(`${JSON.stringify(record, null, 2)}\n`),
    );
  }
  if (args.plot !== undefined) {
    const compared: ComparedRun[] = runs.map(({ label, run }) => ({
      label,
      epochs: run.history.epochs,
    }));
    const title = `${files.map((f) => basename(f)).join(", ")}: learning curves of ${runs.length} model${runs.length === 1 ? "" : "s"}`;
    await writeOutput(
      io,
      args.plot,
      await renderPlot(comparisonSpec(compared, title), plotFormat(args.plot)),
    );
  }
  return status;
}

/**
 * The legend's names: the file names when each file gives one model (their base names, or the
 * paths as given when two base names are the same); otherwise the model names, each prefixed
 * with its file's base name (`a.nn:Adam`) when two models share a name.
 */
export function runLabels(
  entries: readonly {
    readonly file: string;
    readonly chosen: { readonly model: { readonly name: string } };
  }[],
  files: readonly string[],
): string[] {
  if (entries.length === files.length) {
    const names = files.map((f) => basename(f));
    return new Set(names).size === names.length ? names : [...files];
  }
  const models = entries.map((e) => e.chosen.model.name);
  if (new Set(models).size === models.length) return models;
  return entries.map((e) => `${basename(e.file)}:${e.chosen.model.name}`);
}

/** `args` without the outputs a comparison writes for all its models together. */
function withoutOutputs(args: TrainArgs): TrainArgs {
  const copy: Record<string, unknown> = { ...args, compare: false };
  delete copy["plot"];
  delete copy["history"];
  return copy as unknown as TrainArgs;
}

/** Writes an output atomically, as `nnc train` does; a one-line CliError on failure. */
async function writeOutput(io: CliIo, path: string, bytes: Uint8Array): Promise<void> {
  const runtime = await loadRuntime();
  try {
    runtime.writeFileAtomic(resolve(io.cwd, path), bytes);
  } catch (error) {
    throw new CliError(`cannot write ${path}: ${runtime.fsErrorReason(error)}`);
  }
}

/**
 * The runs side by side, after the last one: each model's last epoch (loss, val_loss when some
 * run validated) and its test figures (when some run has a test part). Absent figures are `-`.
 */
export function summaryTable(
  runs: readonly { readonly label: string; readonly run: FinishedRun }[],
): string {
  const last = (r: FinishedRun) => r.history.epochs.at(-1);
  const validated = runs.some(({ run }) => (last(run)?.valLoss ?? null) !== null);
  const testMetrics = [...new Set(runs.flatMap(({ run }) => Object.keys(run.test?.metrics ?? {})))];
  const tested = runs.some(({ run }) => run.test !== null);
  const header = [
    "model",
    "epochs",
    "loss",
    ...(validated ? ["val_loss"] : []),
    ...(tested ? ["test_loss", ...testMetrics.map((m) => `test_${m}`)] : []),
  ];
  const value = (v: number | null | undefined) =>
    v === null || v === undefined || !Number.isFinite(v) ? "-" : v.toFixed(4);
  const rows = runs.map(({ label, run }) => [
    label,
    String(run.history.epochs.length),
    value(last(run)?.loss),
    ...(validated ? [value(last(run)?.valLoss)] : []),
    ...(tested
      ? [value(run.test?.loss), ...testMetrics.map((m) => value(run.test?.metrics[m]))]
      : []),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows]
    .map((cells) =>
      cells
        .map((c, i) => c.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join("");
}
