import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Hover } from "vscode-languageserver/node";
import { type TestClient, positionOf, startClient, withCursor } from "./harness.js";

/** The language server on conv1d, avgpool2d and global_avgpool: completion and hover. */

let client: TestClient;
let counter = 0;
beforeAll(async () => {
  client = await startClient();
});
afterAll(() => client.dispose());

async function openText(text: string): Promise<string> {
  counter += 1;
  const uri = `untitled:conv1d-pooling-${counter}.nn`;
  client.open(uri, text);
  await client.diagnostics(uri);
  return uri;
}

async function labels(marked: string): Promise<string[]> {
  const { text, position } = withCursor(marked);
  const uri = await openText(text);
  return (await client.completion(uri, position)).map((i) => i.label);
}

function hoverText(hover: Hover | null): string {
  if (hover === null) return "";
  const { contents } = hover;
  return typeof contents === "object" && "kind" in contents ? contents.value : "";
}

const signal = `model Signal {
  input  x: [batch, 2, 32]
  target y: i32[batch]
  forward {
    x -> conv1d(8, kernel: 5, padding: same) -> relu
      -> reshape([batch, 8, 4, 8]) -> avgpool2d(2, padding: 1) -> global_avgpool
      -> dense(3) -> softmax
  }
  loss cross_entropy
}
`;

describe("conv1d, avgpool2d and global_avgpool in the editor", () => {
  it("offers them as stages, and their arguments", async () => {
    const model = (stage: string) =>
      `model M {\n  input x: [batch, 2, 8, 8]\n  forward { x -> ${stage} }\n}\n`;
    expect(await labels(model("|"))).toEqual(
      expect.arrayContaining(["conv1d", "avgpool2d", "global_avgpool"]),
    );
    expect(await labels(model("conv1d(4, |)"))).toEqual(
      expect.arrayContaining(["kernel", "stride", "padding", "bias", "init"]),
    );
    expect(await labels(model("avgpool2d(2, |)"))).toEqual(
      expect.arrayContaining(["stride", "padding"]),
    );
  });

  it("shows each layer's output shape, parameters and signature", async () => {
    const uri = await openText(signal);
    const at = async (marker: string) =>
      hoverText(await client.hover(uri, positionOf(signal, marker)));
    const conv = await at("conv1d(8");
    expect(conv).toContain("conv1d_1: conv1d, output [batch, 8, 32], 88 parameters");
    expect(conv).toContain("layer `conv1d(filters, kernel?, stride?, padding?, bias?, init?)`");
    expect(await at("avgpool2d(2")).toContain("avgpool2d_1: avgpool2d, output [batch, 8, 3, 5]");
    expect(await at("global_avgpool")).toContain(
      "global_avgpool_1: global_avgpool, output [batch, 8]",
    );
  });
});
