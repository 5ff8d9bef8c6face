import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import type { TypedModel } from "../../compiler/ir/types.js";
import { type CheckResult, check } from "../../compiler/pipeline.js";

/** The repository root, for reading examples and fixtures. */
export const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

export function readRepoFile(path: string): string {
  return readFileSync(new URL(path, `file://${repoRoot}`), "utf8");
}

/** Checks `text` and fails the test, listing the diagnostics, unless it has no errors. */
export function checkClean(
  text: string,
  file = "test.nn",
): CheckResult & { typed: NonNullable<CheckResult["typed"]> } {
  const result = check(text, file);
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  expect(
    errors.map((d) => `${d.span.start.line}:${d.span.start.column} ${d.code} ${d.message}`),
  ).toEqual([]);
  expect(result.typed).not.toBeNull();
  return result as CheckResult & { typed: NonNullable<CheckResult["typed"]> };
}

/** The one model of a clean file. */
export function onlyModel(text: string): TypedModel {
  const models = checkClean(text).typed.models;
  expect(models).toHaveLength(1);
  return models[0]!;
}

/** Codes of every diagnostic, in order. */
export function codesOf(text: string): string[] {
  return check(text, "test.nn").diagnostics.map((d) => d.code);
}
