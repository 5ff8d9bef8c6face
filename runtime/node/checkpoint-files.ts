/**
 * Node only: training checkpoints on disk. `CheckpointDir` writes what `fit`'s `onCheckpoint`
 * hands it into a folder: `last.safetensors` when due, `best.safetensors` when the monitored
 * figure improved, and `epoch-NNNN.safetensors` when due, keeping the newest `keep` of those.
 * `readTrainingCheckpointFile` reads one back for `fit`'s `resume`.
 *
 * Guarantees: every file is written atomically (temp file + rename: a crash leaves the old file
 * or the new one); rotation deletes only `epoch-NNNN.safetensors` files of the folder, after
 * the new one is in place; failures are CheckpointErrors naming the file as shown.
 */
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { CheckpointError } from "../io/errors.js";
import { fsErrorReason, readInputFile, writeFileAtomic } from "../io/fs.js";
import type { CheckpointReasons } from "../train/fit.js";
import {
  type TrainingCheckpoint,
  parseTrainingCheckpoint,
  serializeTrainingCheckpoint,
} from "../train/training-checkpoint.js";

const EPOCH_FILE = /^epoch-(\d{4,})\.safetensors$/;

/** `epoch-0007.safetensors` (four digits at least, more past 9999). */
export function epochCheckpointName(epoch: number): string {
  return `epoch-${String(epoch).padStart(4, "0")}.safetensors`;
}

export interface CheckpointDirOptions {
  /** How many `epoch-NNNN.safetensors` to keep; 0 writes none. */
  readonly keep: number;
  /** Metadata beside nnc's own (feature scaling, column names). */
  readonly metadata?: Readonly<Record<string, string>>;
  /** The folder as the user wrote it, for messages (default `dir`). */
  readonly displayDir?: string;
}

/** Writes training checkpoints into one folder (see the module comment). */
export class CheckpointDir {
  private readonly shown: string;

  /** Creates the folder (and its parents) when missing; CheckpointError when it cannot. */
  constructor(
    readonly dir: string,
    private readonly options: CheckpointDirOptions,
  ) {
    this.shown = options.displayDir ?? dir;
    try {
      mkdirSync(dir, { recursive: true });
    } catch (error) {
      throw new CheckpointError(
        this.shown,
        `cannot create the checkpoint folder ${this.shown}: ${fsErrorReason(error)}`,
      );
    }
  }

  /** Writes the files `reasons` call for; what `fit`'s `onCheckpoint` can be. */
  write(checkpoint: TrainingCheckpoint, reasons: CheckpointReasons): void {
    const bytes = serializeTrainingCheckpoint(checkpoint, this.options.metadata);
    if (reasons.due) {
      this.put("last.safetensors", bytes);
      if (this.options.keep > 0) {
        this.put(epochCheckpointName(reasons.epoch), bytes);
        this.rotate();
      }
    }
    if (reasons.best) this.put("best.safetensors", bytes);
  }

  private put(name: string, bytes: Uint8Array): void {
    try {
      writeFileAtomic(join(this.dir, name), bytes);
    } catch (error) {
      const shown = join(this.shown, name);
      throw new CheckpointError(shown, `cannot write ${shown}: ${fsErrorReason(error)}`);
    }
  }

  /** Deletes all but the newest `keep` epoch files (by epoch number). */
  private rotate(): void {
    const epochs = readdirSync(this.dir)
      .map((name) => EPOCH_FILE.exec(name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ name: m[0], epoch: Number(m[1]) }))
      .sort((a, b) => b.epoch - a.epoch);
    for (const old of epochs.slice(this.options.keep)) {
      try {
        rmSync(join(this.dir, old.name), { force: true });
      } catch (error) {
        const shown = join(this.shown, old.name);
        throw new CheckpointError(shown, `cannot remove ${shown}: ${fsErrorReason(error)}`);
      }
    }
  }
}

/** Reads a training checkpoint file; `displayPath` names it in errors (default `path`). */
export function readTrainingCheckpointFile(
  path: string,
  displayPath = path,
): ReturnType<typeof parseTrainingCheckpoint> & { readonly source: string } {
  let bytes: Uint8Array;
  try {
    bytes = readInputFile(path);
  } catch (error) {
    throw new CheckpointError(displayPath, `cannot read ${displayPath}: ${fsErrorReason(error)}`);
  }
  return { ...parseTrainingCheckpoint(bytes, displayPath), source: displayPath };
}
