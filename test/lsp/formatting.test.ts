import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestClient, startClient } from "./harness.js";

/** Document formatting through the protocol: the edit `nnc fmt` would make, or none. */

let client: TestClient;
beforeAll(async () => {
  client = await startClient();
});
afterAll(() => client.dispose());

async function opened(uri: string, text: string): Promise<void> {
  client.open(uri, text);
  await client.diagnostics(uri);
}

describe("document formatting", () => {
  it("is offered", () => {
    expect(client.initialized.capabilities.documentFormattingProvider).toBe(true);
  });

  it("replaces the whole document with its canonical layout", async () => {
    const text = "model M{\ninput x:[batch,2]\n forward{x->dense(1)}\n}";
    await opened("untitled:fmt-1.nn", text);
    const edits = await client.formatting("untitled:fmt-1.nn");
    expect(edits).toEqual([
      {
        range: { start: { line: 0, character: 0 }, end: { line: 3, character: 1 } },
        newText: "model M {\n  input x: [batch, 2]\n  forward { x -> dense(1) }\n}\n",
      },
    ]);
  });

  it("makes no edit to a formatted document or to one with syntax errors", async () => {
    await opened("untitled:fmt-2.nn", "fn f(x) = x + 1\n");
    expect(await client.formatting("untitled:fmt-2.nn")).toEqual([]);
    await opened("untitled:fmt-3.nn", "fn f(x) = (x + \n");
    expect(await client.formatting("untitled:fmt-3.nn")).toEqual([]);
  });
});
