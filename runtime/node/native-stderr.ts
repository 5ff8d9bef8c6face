/**
 * Native code's writes to the process's stderr (file descriptor 2), filtered: Dawn prints
 * warnings from C++ that no JavaScript hook sees, such as the two "artificially reduced" limit
 * notes of Mesa's OpenGL ES adapter on every adapter request, which a user of `nnc train
 * --backend webgpu` cannot act on.
 *
 * Assumes: Linux with glibc (dup/dup2 from libc.so.6 through koffi); elsewhere, or when koffi
 * cannot load, `work` runs unfiltered. Guarantees: nothing but the dropped lines is lost:
 * whatever anyone writes to fd 2 while `work` runs (native code or Node's own stderr) goes to a
 * temporary file and is written back, in order, once `work` settles, and fd 2 is restored
 * whether `work` resolves or rejects.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type * as KoffiModule from "koffi";

type Koffi = typeof KoffiModule;

interface Descriptors {
  dup(fd: number): number;
  dup2(from: number, to: number): number;
  close(fd: number): number;
}

let libc: Descriptors | null | undefined;

/** libc's descriptor calls, or null where they cannot be had (not glibc Linux, no koffi). */
function descriptors(): Descriptors | null {
  if (libc !== undefined) return libc;
  libc = null;
  if (process.platform !== "linux") return libc;
  try {
    const koffi = createRequire(import.meta.url)("koffi") as Koffi;
    const lib = koffi.load("libc.so.6");
    const dup = lib.func("int dup(int)");
    const dup2 = lib.func("int dup2(int, int)");
    const close = lib.func("int close(int)");
    libc = {
      dup: (fd) => dup(fd) as number,
      dup2: (from, to) => dup2(from, to) as number,
      close: (fd) => close(fd) as number,
    };
  } catch {
    libc = null;
  }
  return libc;
}

/** The capture in progress: captures run one at a time, as each swaps fd 2 and puts it back. */
let current: Promise<unknown> = Promise.resolve();

/**
 * Runs `work` with fd 2 captured, then writes back every captured line `drop` rejects. Calls
 * made while another runs wait for it (two overlapping swaps of fd 2 would restore the wrong
 * one).
 */
export function filterNativeStderr<T>(
  work: () => Promise<T>,
  drop: (line: string) => boolean,
): Promise<T> {
  const next = current.then(
    () => captured(work, drop),
    () => captured(work, drop),
  );
  current = next.catch(() => undefined);
  return next;
}

async function captured<T>(work: () => Promise<T>, drop: (line: string) => boolean): Promise<T> {
  const calls = descriptors();
  if (!calls) return work();
  const path = join(tmpdir(), `nnc-stderr-${process.pid}-${Date.now()}-${Math.random()}`);
  let capture: number;
  try {
    capture = openSync(path, "w+", 0o600);
  } catch {
    return work();
  }
  const saved = calls.dup(2);
  if (saved < 0 || calls.dup2(capture, 2) < 0) {
    if (saved >= 0) calls.close(saved);
    closeSync(capture);
    unlinkSync(path);
    return work();
  }
  try {
    return await work();
  } finally {
    calls.dup2(saved, 2);
    calls.close(saved);
    const text = readFileSync(path, "utf8");
    closeSync(capture);
    unlinkSync(path);
    const kept = text
      .split(/(?<=\n)/)
      .filter((line) => line !== "" && !drop(line.trimEnd()))
      .join("");
    if (kept !== "") writeSync(2, kept);
  }
}

/** Dawn's notes on Mesa's OpenGL ES adapter that limits were lowered to fit its own tables. */
export function isDawnLimitNote(line: string): boolean {
  return /^Warning: maxDynamic\w+ artificially reduced from \d+ to \d+/.test(line);
}
