import {
  closeSync,
  fsyncSync,
  openSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { randomBytes } from "node:crypto";

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
 */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
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
