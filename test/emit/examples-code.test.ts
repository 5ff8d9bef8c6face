import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { build, generate } from "../../compiler/pipeline.js";
import { readRepoFile, repoRoot } from "../helpers/compile.js";
import { expectGolden } from "../helpers/golden.js";

const examples = readdirSync(join(repoRoot, "examples")).filter((f) => f.endsWith(".nn"));

async function moduleOf(file: string): Promise<string> {
  const source = `examples/${file}`;
  const result = build(readRepoFile(source), source);
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return generate(result.models!, source);
}

describe("generated TypeScript of every example (golden)", () => {
  for (const file of examples) {
    it(file, async () => {
      const code = await moduleOf(file);
      expectGolden(join(repoRoot, "test/golden/emit", file.replace(/\.nn$/, ".ts")), code);
      // The same .nn gives the same bytes.
      expect(await moduleOf(file)).toBe(code);
    });
  }

  it("type-checks under strict tsc, importing only nnc/runtime", () => {
    // TypeScript 7, the native compiler (the `typescript` package is 5.9, for the linter).
    const tsc = join(repoRoot, "node_modules", "typescript-native", "bin", "tsc");
    const run = spawnSync(
      process.execPath,
      [tsc, "-p", join(repoRoot, "test/golden/emit/tsconfig.json")],
      {
        cwd: repoRoot,
        encoding: "utf8",
      },
    );
    expect(run.stdout + run.stderr).toBe("");
    expect(run.status).toBe(0);
  });
});
