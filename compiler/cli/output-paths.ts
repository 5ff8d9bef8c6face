/**
 * Output paths checked before any work: a command that would train for hours and then fail to
 * write its checkpoint fails at once instead. Assumes outputs are written the way
 * runtime/io/fs.ts's writeFileAtomic writes them (a new file in the target's folder, renamed
 * over the target), so what must hold is: the target is not a folder, its folder exists (missing
 * folders are created here), a new file can be created in it, and it is neither a file the
 * command reads nor another of its outputs. Guarantees on return that
 * each folder exists; on failure, one CliError line naming the flag, the path and the reason.
 */
import { closeSync, mkdirSync, openSync, statSync, unlinkSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fsErrorReason } from "../../runtime/io/fs.js";
import { CliError } from "./io.js";

/** An output the command will write: the flag that names it and the path as the user gave it. */
export interface OutputPath {
  readonly flag: string;
  readonly path: string;
}

/**
 * A file the command reads: `what` names it in messages (`the source`, `--data`). No output may
 * be one of these, nor another output: a typo must never overwrite a model, its data or a
 * result written by the same run.
 */
export interface InputPath {
  readonly what: string;
  readonly path: string;
}

/** Throws a one-line CliError for the first output that cannot be written; creates folders. */
export function checkOutputPaths(
  cwd: string,
  outputs: readonly OutputPath[],
  inputs: readonly InputPath[] = [],
): void {
  checkDistinct(cwd, outputs, inputs);
  for (const { flag, path } of outputs) {
    const target = resolve(cwd, path);
    const fail = (reason: string): never => {
      throw new CliError(`cannot write ${flag} ${path}: ${reason}`);
    };
    const kind = existingKind(target);
    if (kind === "directory") fail("it is a directory, not a file");
    // Renaming a new file over /dev/null (as root) would replace the device.
    if (kind === "other") fail("it is a device or pipe, not a file");
    const folder = dirname(target);
    try {
      makeFolders(folder);
    } catch (error) {
      fail(`cannot create its folder: ${fsErrorReason(error)}`);
    }
    // A probe file in the folder: permissions, read-only and virtual file systems (/proc)
    // refuse it as they would refuse the real write, also for root.
    const probe = join(folder, `.${basename(target)}.nnc-probe-${process.pid}`);
    try {
      closeSync(openSync(probe, "wx"));
    } catch (error) {
      fail(
        `cannot create a file in ${dirname(path) === "." ? "the current folder" : dirname(path)}: ${fsErrorReason(error)}`,
      );
    }
    try {
      unlinkSync(probe);
    } catch {
      // Gone already: nothing to clean.
    }
  }
}

function checkDistinct(
  cwd: string,
  outputs: readonly OutputPath[],
  inputs: readonly InputPath[],
): void {
  const read = new Map<string, InputPath>();
  for (const input of inputs) read.set(fileKey(cwd, input.path), input);
  const written = new Map<string, OutputPath>();
  for (const output of outputs) {
    const key = fileKey(cwd, output.path);
    const input = read.get(key);
    if (input !== undefined) {
      throw new CliError(
        `${output.flag} ${output.path} would overwrite ${input.what} ${input.path}; write the output to another file`,
      );
    }
    const other = written.get(key);
    if (other !== undefined) {
      throw new CliError(
        `${other.flag} and ${output.flag} both name ${output.path}; each output needs its own file`,
      );
    }
    written.set(key, output);
  }
}

/**
 * What identifies a file: device and inode for one that exists (a link or `./` spelling names
 * the same file), else its absolute path.
 */
function fileKey(cwd: string, path: string): string {
  const absolute = resolve(cwd, path);
  try {
    const stats = statSync(absolute);
    return `inode ${stats.dev}:${stats.ino}`;
  } catch {
    return `path ${absolute}`;
  }
}

/**
 * `mkdir -p` one level at a time: Node 20's `mkdirSync(path, { recursive: true })` loops
 * forever where the kernel answers ENOENT for a folder whose parent exists (under /proc).
 */
function makeFolders(folder: string): void {
  const missing: string[] = [];
  let path = folder;
  while (!exists(path)) {
    missing.push(path);
    const parent = dirname(path);
    if (parent === path) break;
    path = parent;
  }
  for (const each of missing.reverse()) mkdirSync(each);
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** What exists at `path` (links followed): a regular file, a folder, something else, nothing. */
function existingKind(path: string): "file" | "directory" | "other" | null {
  try {
    const stats = statSync(path);
    return stats.isDirectory() ? "directory" : stats.isFile() ? "file" : "other";
  } catch {
    return null;
  }
}
