import {
  closeSync,
  fstatSync,
  fsyncSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { randomBytes } from "node:crypto";
import { basename, dirname, join } from "node:path";

/**
 * File-system helpers shared by the data loaders and the checkpoint writer. Their job is to
 * turn Node's errors (`ENOENT: no such file or directory, open '/abs/path'`) into short
 * reasons a student understands; callers prefix the path as the user wrote it.
 */

/** The errno code of a Node file-system error, or undefined for anything else. */
export function errnoCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null || !("code" in error)) return undefined;
  const code = (error as { code: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

const reasons: Readonly<Record<string, string>> = {
  ENOENT: "no such file or directory",
  EISDIR: "it is a directory, not a file",
  ENOTDIR: "a part of the path is not a directory",
  EACCES: "permission denied",
  EPERM: "permission denied",
  EMFILE: "too many open files",
  ENAMETOOLONG: "the path is too long",
  ELOOP: "too many symbolic links in the path",
  ENOSPC: "no space left on the device",
  EROFS: "the file system is read-only",
  EBUSY: "the file is busy",
  ENOTREG: "it is a device, not a file",
};

/**
 * A one-line reason for a file-system error, without the absolute path or stack that Node's
 * own message carries. Errors that are not file-system errors are rethrown: they are bugs.
 */
export function fsErrorReason(error: unknown): string {
  const code = errnoCode(error);
  if (code === undefined) throw error;
  return reasons[code] ?? `system error ${code}`;
}

/**
 * Reads a whole input file. A device is refused (an errno-style error, code ENOTREG): /dev/zero
 * or /dev/urandom would be read until memory runs out, /dev/tty would wait for typing.
 */
export function readInputFile(path: string): Buffer {
  const fd = openSync(path, "r");
  try {
    const stats = fstatSync(fd);
    if (stats.isCharacterDevice() || stats.isBlockDevice()) {
      throw Object.assign(new Error(reasons["ENOTREG"]), { code: "ENOTREG" });
    }
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** True when `path` exists and is a directory (false for anything unreadable). */
export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** True when `path` exists and is a regular file (false for anything unreadable). */
export function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Writes `bytes` to `path` so that readers see either the old file or the whole new one:
 * the bytes go to `path.tmp-<pid>-<random>` in the same directory (so the rename stays on
 * one file system), are flushed, and the temporary file is renamed over `path`. On failure
 * the temporary file is removed and the error rethrown untouched for the caller to word.
 * A process killed mid-write (`kill -9`) cannot remove its temporary file: the next write to
 * the same path removes those left by processes that no longer run.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  removeStaleTemps(path);
  const temp = `${path}.tmp-${process.pid}-${randomBytes(6).toString("hex")}`;
  let fd: number | null = null;
  try {
    fd = openSync(temp, "wx");
    let written = 0;
    while (written < bytes.length) {
      written += writeSync(fd, bytes, written, bytes.length - written);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(temp, path);
  } catch (error) {
    if (fd !== null) closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {
      // The temporary file was never created, or is already gone: nothing to clean.
    }
    throw error;
  }
}

/**
 * Removes `path.tmp-<pid>-<12 hex>` files (writeFileAtomic's names) whose writer process is
 * gone. A live pid (ours, or another writer's, even one we may not signal) keeps its file.
 */
export function removeStaleTemps(path: string): void {
  const prefix = `${basename(path)}.tmp-`;
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return; // An unreadable folder: the write itself will report why.
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const match = /^(\d+)-[0-9a-f]{12}$/.exec(name.slice(prefix.length));
    if (match === null || isRunning(Number(match[1]))) continue;
    try {
      unlinkSync(join(dirname(path), name));
    } catch {
      // Gone already, or not ours to remove: harmless either way.
    }
  }
}

function isRunning(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoCode(error) !== "ESRCH";
  }
}
