import { availableParallelism } from "node:os";
import { describe, expect, it } from "vitest";
import { formatSummary, runFuzz } from "../../fuzz/run.js";

/**
 * The fuzzer in CI: a fixed seed's first inputs through every stage (check, build, tsc, a
 * training step) with no crash, hang, invalid module or unlocated diagnostic, at least a fifth
 * of them training a step (else the generator has grown weak). Nothing is minimised or saved
 * here: `npm run fuzz` does that.
 */

const count = Number(process.env.NNC_FUZZ_COUNT ?? 800);

describe("npm run fuzz, in CI", () => {
  it(`passes ${count} inputs of seed 1`, async () => {
    const summary = await runFuzz({
      count,
      seed: 1,
      jobs: Math.min(4, Math.max(2, availableParallelism() - 1)),
      timeoutMs: 60_000,
      minimize: false,
    });
    const text = formatSummary(summary, 1, 0);
    expect(
      summary.failures.map((f) => `${f.kind} (input ${f.index})\n${f.detail}`),
      text,
    ).toEqual([]);
    expect(summary.reached.trained, text).toBeGreaterThanOrEqual(count / 5);
    expect(summary.reached.typechecked, text).toBe(summary.reached.built);
  }, 900_000);
});
