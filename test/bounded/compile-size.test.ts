import { describe, expect, it } from "vitest";
import { longPipeline, manyFns } from "../../bench/generated-sources.js";
import { build, check, generate } from "../../compiler/pipeline.js";

/**
 * Files far larger than real programs compile: check and build are linear in the input (their
 * speed is measured by `npm run bench -- --only compile`, never here). The timeouts only guard
 * against hangs and quadratic work coming back.
 */

describe("large inputs", () => {
  it("a 5 MB file of 100,000 fns checks ok", () => {
    const text = manyFns(100_000);
    expect(text.length).toBeGreaterThan(5_000_000);
    const result = check(text, "fns.nn");
    expect(result.diagnostics).toEqual([]);
    expect(result.typed?.models.map((m) => m.name)).toEqual(["M"]);
  }, 120_000);

  it("a pipeline of 2,000 stages builds", () => {
    const result = build(longPipeline(2000), "pipeline.nn");
    expect(result.diagnostics).toEqual([]);
    const model = result.models?.[0];
    expect(model?.model.layers).toHaveLength(1001);
    expect(model?.train).not.toBeNull();
  }, 120_000);

  it("a pipeline of 200 stages is emitted", async () => {
    const result = build(longPipeline(200), "pipeline.nn");
    const code = await generate(result.models!, "pipeline.nn");
    expect(code).toContain("export class M extends CompiledModel");
    expect(code).toContain("dense_100");
  }, 120_000);
});
