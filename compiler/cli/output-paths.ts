/**
 * Output paths checked before any work: a command that would train for hours and then fail to
 * write its checkpoint fails at once instead. Assumes outputs are written the way
 * runtime/io/fs.ts's writeFileAtomic writes them (a new file in the target's folder, renamed
 * over the target), so what must hold is: the target is not a folder, its folder exists (missing
 * folders are created here) and a new file can be created in it. Guarantees on return that
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

/** Throws a one-line CliError for the first output that cannot be written; creates folders. */
export function checkOutputPaths(cwd: string, outputs: readonly OutputPath[]): void {
  for (const { flag, path } of outputs) {
    const target = resolve(cwd, path);
    const fail = (reason: string): never => {
      throw new CliError(`cannot write ${flag} ${path}: ${reason}`);
    };
    if (isDirectoryPath(target)) fail("it is a directory, not a file");
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

function isDirectoryPath(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
