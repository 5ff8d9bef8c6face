import { describe, expect, it } from "vitest";
import { longPipeline } from "../../bench/generated-sources.js";
import type { AnyEqn } from "../../compiler/ir/types.js";
import { fuse } from "../../compiler/passes/fuse.js";
import { build } from "../../compiler/pipeline.js";

/**
 * Fusing is linear in the equations: counted as reads of the function's equation list (never
 * timed), four times the stages cost about four times the reads. Scanning ahead from every
 * kernel candidate, as fuse once did, made that sixteen times.
 */

function equationReads(stages: number): number {
  const train = build(longPipeline(stages), "pipeline.nn").models?.[0]?.train;
  if (!train) throw new Error("the pipeline does not build");
  let reads = 0;
  const eqns = new Proxy(train.fn.eqns as AnyEqn[], {
    get(target, key, receiver) {
      if (typeof key === "string" && /^\d+$/.test(key)) reads++;
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
  fuse({ ...train.fn, eqns });
  return reads;
}

describe("fuse's work", () => {
  it("grows linearly with a pipeline's stages", { timeout: 60_000 }, () => {
    const small = equationReads(100);
    const large = equationReads(400);
    expect(large / small).toBeLessThan(5);
  });
});
