import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import { DataError, type DataErrorCode } from "../../../runtime/data/errors.js";

/** A fresh temporary folder per test, removed after it. */
export function useTempDir(): () => string {
  let dir: string | null = null;
  afterEach(() => {
    if (dir !== null) rmSync(dir, { recursive: true, force: true });
    dir = null;
  });
  return () => {
    dir ??= mkdtempSync(join(tmpdir(), "nnc-data-test-"));
    return dir;
  };
}

/**
 * Runs `fn`, which must throw a DataError, and returns its code and message for the test to
 * compare: `expect(dataErrorOf(() => ...)).toEqual({ code: "E504", message: "..." })`.
 */
export function dataErrorOf(fn: () => unknown): { code: DataErrorCode; message: string } {
  try {
    fn();
  } catch (error) {
    if (error instanceof DataError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error("expected a DataError, but nothing was thrown");
}
