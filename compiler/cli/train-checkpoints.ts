/**
 * `nnc train`'s training checkpoints: where `--checkpoint-dir` or `train { checkpoint }` puts
 * them, reading the `--resume` file, what a resume says before training, and the located
 * error (E505, at the layer that owns the tensor) for a checkpoint the `.nn` no longer fits.
 *
 * Guarantees: `--resume` with `--init` is a CliError before anything is read; a file that is
 * not a training checkpoint is one CheckpointError line saying what it is.
 */
import { dirname, resolve } from "node:path";
import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { renderDiagnostic } from "../diagnostics/render.js";
import type { ModelFunctions } from "../emit/index.js";
import type { TrainingCheckpoint } from "../../runtime/index.js";
import type { TrainArgs } from "./args.js";
import { CliError, type CliIo, useColor } from "./io.js";
import type { Runtime } from "./load-module.js";

/** Where checkpoints go and how many epoch files stay. */
export interface CheckpointPlan {
  /** Absolute. */
  readonly dir: string;
  /** As the user wrote it (or the `.nn` file's folder joined with the setting). */
  readonly shown: string;
  readonly keep: number;
}

/** The plan of `--checkpoint-dir` (relative to the working folder) or the `.nn`'s setting. */
export function checkpointPlan(
  io: CliIo,
  file: string,
  args: TrainArgs,
  chosen: ModelFunctions,
): CheckpointPlan | null {
  const setting = chosen.model.settings.train.checkpoint;
  const keep = setting?.keep ?? 3;
  if (args.checkpointDir !== undefined)
    return { dir: resolve(io.cwd, args.checkpointDir), shown: args.checkpointDir, keep };
  if (!setting) return null;
  const shown = `${dirname(file)}/${setting.dir}`.replace(/^\.\//, "");
  return { dir: resolve(io.cwd, dirname(file), setting.dir), shown, keep };
}

export type ResumeFile = TrainingCheckpoint & {
  readonly metadata: Readonly<Record<string, string>>;
  readonly source: string;
};

/** The `--resume` checkpoint, or null without the flag. */
export function readResume(io: CliIo, runtime: Runtime, args: TrainArgs): ResumeFile | null {
  if (args.resume === undefined) return null;
  if (args.init !== undefined)
    throw new CliError(
      "--resume continues a run from its checkpoint (weights, optimizer state, epoch) and --init starts a new run from weights: give one of them",
    );
  return runtime.readTrainingCheckpointFile(resolve(io.cwd, args.resume), args.resume);
}

/** What a resume prints before training (null when it says nothing new). */
export function resumeNotice(resume: ResumeFile, epochs: number): string {
  const done = resume.training.epoch;
  if (resume.training.earlyStopping?.fired)
    return `early stopping had already stopped the run of ${resume.source} after epoch ${done}: nothing to train`;
  if (done >= epochs)
    return `${resume.source} has already trained ${done} epochs and --epochs ${epochs} counts them all: nothing to train`;
  return `resuming ${resume.source} after epoch ${done} of ${epochs}`;
}

/**
 * A CheckpointError of `--resume` rendered at the layer whose tensor does not fit (E505), or
 * null when no problem names one of the model's parameters.
 */
export function locatedResumeError(
  io: CliIo,
  error: unknown,
  text: string,
  chosen: ModelFunctions,
): string | null {
  if (!(error instanceof Error) || error.name !== "CheckpointError") return null;
  const problems = (error as { problems?: unknown }).problems;
  if (!Array.isArray(problems)) return null;
  for (const problem of problems as string[]) {
    const shape = /^(\S+): expected (\[[^\]]*\]), found (\[[^\]]*\])/.exec(problem);
    const missing = /^missing (\S+) (\[[^\]]*\])/.exec(problem);
    const name = shape?.[1] ?? missing?.[1];
    const param = chosen.model.params.find((p) => p.name === name);
    if (!param) continue;
    const source = (error as { path?: string }).path ?? "the checkpoint";
    const checkpoint = source.replace(/^the (optimizer state|best weights) in /, "");
    const detail = shape
      ? `shape of ${name} is ${shape[3]} in ${checkpoint} but ${shape[2]} in the model`
      : `${checkpoint} has no ${name} ${missing![2]}, which the model has`;
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : "";
    const d: Diagnostic = {
      code: "E505",
      severity: "error",
      message: `${detail}${more}: the .nn changed since the checkpoint; resume with the .nn it was trained with, or train anew without --resume`,
      span: param.span,
      related: [],
    };
    return renderDiagnostic(d, text, { color: useColor(io) });
  }
  return null;
}
