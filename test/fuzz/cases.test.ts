import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runStages } from "../../fuzz/stages.js";
import { typecheckModules } from "../../fuzz/typecheck.js";

/**
 * The fuzzer's regression cases: every `test/cases/fuzz/NAME.nn` (a failing input of
 * `npm run fuzz`, minimised) goes through the fuzzer's stages again (check, build with the
 * module formatted, import, a training step) and its module through tsc: each must now pass.
 */

const casesDir = fileURLToPath(new URL("../cases/fuzz/", import.meta.url));
const cases = readdirSync(casesDir)
  .filter((f) => f.endsWith(".nn"))
  .sort();

describe.skipIf(cases.length === 0)("fuzz regression cases pass every stage", () => {
  const modules: { name: string; code: string }[] = [];
  it.each(cases)("%s", async (name) => {
    const outcome = await runStages(readFileSync(casesDir + name, "utf8"));
    expect(outcome.failure).toBeNull();
    if (outcome.code !== null) modules.push({ name, code: outcome.code });
  });

  it("type-checks their generated modules", async () => {
    const errors = await typecheckModules(modules.map((m) => m.code));
    const named = [...errors].map(
      ([k, e]) => `${modules[k]?.name ?? "tsc"}: ${e.code} ${e.message}`,
    );
    expect(named).toEqual([]);
  }, 120_000);
});
