import { describe, expect, it } from "vitest";
import { FuzzPool } from "../../fuzz/pool.js";

/** The fuzzer's workers: an input past the time limit is a hang, and the run goes on. */

const text = "model M {\n  input x: [batch, 2]\n  forward { x -> dense(1) }\n}\n";

describe("FuzzPool", () => {
  it("reports an input past its time limit as a hang, then runs the next one", async () => {
    const hurried = new FuzzPool({ jobs: 1, timeoutMs: 1 });
    const outcome = await hurried.run(text);
    expect(outcome.failure?.kind).toMatch(/^hang:/);
    await hurried.close();

    const pool = new FuzzPool({ jobs: 1, timeoutMs: 60_000, recycleAfter: 1 });
    const [first, second] = await Promise.all([pool.run(text), pool.run(text)]);
    await pool.close();
    for (const o of [first!, second!]) {
      expect(o.failure).toBeNull();
      expect(o.reached).toBe("built");
    }
  }, 120_000);
});
