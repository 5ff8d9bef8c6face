import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type * as Pipeline from "../../compiler/pipeline.js";
import { type TestClient, startClient } from "./harness.js";

/**
 * A compiler exception (a broken invariant, never a user error) must not take the server down:
 * it is logged through the connection and the document gets no diagnostics; the next version
 * is checked as usual. `check` is made to throw on a marker to stand in for such a bug.
 */

vi.mock("../../compiler/pipeline.js", async (importOriginal) => {
  const real = await importOriginal<typeof Pipeline>();
  return {
    ...real,
    check: (text: string, file: string) => {
      if (text.includes("BOOM")) throw new Error("internal error: simulated");
      return real.check(text, file);
    },
  };
});

let client: TestClient;
beforeAll(async () => {
  client = await startClient();
});
afterAll(() => client.dispose());

describe("a compiler exception", () => {
  it("is logged, and the server keeps answering", async () => {
    const uri = "untitled:boom.nn";
    client.open(uri, "// BOOM\nmodel M {\n  input x: [batch, 2]\n  forward { x -> relux }\n}\n");
    expect((await client.diagnostics(uri)).diagnostics).toEqual([]);
    expect(client.logs.some((l) => l.includes("internal error: simulated"))).toBe(true);
    expect(await client.hover(uri, { line: 3, character: 18 })).toBeNull();
    // Completion is lexical: it works without the compiler's analysis.
    expect(await client.completion(uri, { line: 3, character: 17 })).toEqual(
      expect.arrayContaining([expect.objectContaining({ label: "dense" })]),
    );

    client.change(
      uri,
      2,
      { start: { line: 0, character: 3 }, end: { line: 0, character: 7 } },
      "ok",
    );
    const after = await client.diagnostics(uri);
    expect(after.diagnostics.map((d) => d.code)).toEqual(["E302"]);
  });
});
