import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { expect } from "vitest";

/**
 * Compares `actual` with the golden file at `path`. With UPDATE_GOLDENS=1 the golden is
 * rewritten instead, to be reviewed with `git diff` before committing.
 */
export function expectGolden(path: string, actual: string): void {
  if (process.env["UPDATE_GOLDENS"] === "1") {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  if (!existsSync(path))
    throw new Error(`missing golden ${path}; run with UPDATE_GOLDENS=1 and review it`);
  expect(actual).toBe(readFileSync(path, "utf8"));
}
