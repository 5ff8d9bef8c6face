import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Hover, type Position } from "vscode-languageserver/node";
import { check } from "../../compiler/pipeline.js";
import { type TestClient, positionOf, startClient, uriOf, withCursor } from "./harness.js";

/** Hover, go to definition and completion through the protocol, on the examples and small sources. */

const examples = fileURLToPath(new URL("../../examples/", import.meta.url));
const mnistPath = `${examples}mnist.nn`;
const residualPath = `${examples}residual.nn`;
const mnist = readFileSync(mnistPath, "utf8");
const residual = readFileSync(residualPath, "utf8");

const named = `fn swish2(x) = x * sigmoid(x)

model Named {
  input  x: [batch, 4]
  target y: [batch, 1]
  forward { x -> dense(8) as fc1 -> swish2 -> dense(1) }
  loss      mse + 1e-4 * l2(fc1.weight) + 1e-4 * l1(dense_1.weight)
  optimizer sgd(lr: 0.1)
}
`;

let client: TestClient;
let counter = 0;
beforeAll(async () => {
  client = await startClient();
  client.open(uriOf(mnistPath), mnist);
  client.open(uriOf(residualPath), residual);
  await client.diagnostics(uriOf(mnistPath));
  await client.diagnostics(uriOf(residualPath));
});
afterAll(() => client.dispose());

/** Opens `text` as a fresh document and waits until the server has checked it. */
async function openText(text: string): Promise<string> {
  counter += 1;
  const uri = `untitled:features-${counter}.nn`;
  client.open(uri, text);
  await client.diagnostics(uri);
  return uri;
}

function hoverText(hover: Hover | null): string {
  if (hover === null) return "";
  const { contents } = hover;
  return typeof contents === "object" && "kind" in contents
    ? contents.value
    : JSON.stringify(contents);
}

describe("hover", () => {
  const uri = uriOf(mnistPath);
  const at = (needle: string, shift = 0, nth = 0): Promise<Hover | null> =>
    client.hover(uri, positionOf(mnist, needle, shift, nth));

  it("shows the first dense layer's name, output shape and parameter count", async () => {
    const hover = await at("dense(512)", 2);
    expect(hoverText(hover)).toContain("dense_1: dense, output [batch, 512], 401,920 parameters");
    expect(hoverText(hover)).toContain("layer `dense(units, bias?, init?)`");
    expect(hover?.range).toEqual({
      start: positionOf(mnist, "dense(512)"),
      end: positionOf(mnist, "dense(512)", 5),
    });
  });

  it("shows an activation's output shape", async () => {
    // The first `relu` of the file is in its comment.
    expect(hoverText(await at("relu", 0, 1))).toContain("relu: activation, output [batch, 512]");
    expect(hoverText(await at("softmax", 0, 1))).toContain(
      "softmax: activation, output [batch, 10]",
    );
  });

  it("shows inputs with their types, targets with their element type", async () => {
    expect(hoverText(await at("x -> dense"))).toContain("input x: [batch, 784]");
    expect(hoverText(await at("y: i32"))).toContain("target y: i32[batch]");
  });

  it("shows a model's parameter total", async () => {
    expect(hoverText(await at("MnistMLP", 3))).toContain("model MnistMLP: 407,050 parameters");
  });

  it("shows built-ins with their kind and arguments", async () => {
    expect(hoverText(await at("adam"))).toContain(
      "optimizer `adam(lr?, beta1?, beta2?, eps?, weight_decay?, clip_grad_norm?, clip_grad_value?)`",
    );
    expect(hoverText(await at("cross_entropy"))).toContain(
      "loss `cross_entropy(p, t, weight?, label_smoothing?)`",
    );
    expect(hoverText(await at("mnist()"))).toContain("data source `mnist(dir?)`");
  });

  it("shows nothing on keywords and numbers", async () => {
    expect(await at("model")).toBeNull();
    expect(await at("forward")).toBeNull();
    expect(await at("0.001", 1)).toBeNull();
  });

  it("shows a bound name's shape", async () => {
    const r = uriOf(residualPath);
    expect(hoverText(await client.hover(r, positionOf(residual, "h + r")))).toContain(
      "h: [batch, 32]",
    );
    expect(hoverText(await client.hover(r, positionOf(residual, "h = x")))).toContain(
      "h: [batch, 32]",
    );
  });

  it("shows each use of a layer in a block, and the block's output", async () => {
    const r = uriOf(residualPath);
    const inBlock = hoverText(await client.hover(r, positionOf(residual, "dense(units)")));
    expect(inBlock).toContain("dense_1: dense, output [batch, 32], 992 parameters");
    expect(inBlock).toContain("dense_2: dense, output [batch, 32], 1,056 parameters");
    const use = hoverText(await client.hover(r, positionOf(residual, "hidden(32)")));
    expect(use).toContain("hidden: block, output [batch, 32]");
    expect(use).toContain("block hidden(units, rate = 0.1)");
    expect(hoverText(await client.hover(r, positionOf(residual, "+ r")))).toContain(
      "h + r: expression, output [batch, 32]",
    );
  });

  it("shows an aliased layer and a fn stage", async () => {
    expect(check(named, "named.nn").diagnostics).toEqual([]);
    const u = await openText(named);
    expect(hoverText(await client.hover(u, positionOf(named, "fc1")))).toContain(
      "fc1: dense, output [batch, 8], 40 parameters",
    );
    expect(hoverText(await client.hover(u, positionOf(named, "fc1.weight")))).toContain(
      "fc1.weight [8, 4]",
    );
    expect(hoverText(await client.hover(u, positionOf(named, "swish2 ->")))).toContain(
      "swish2: fn, output [batch, 8]",
    );
  });

  it("shows an embedding's output, parameter count and arguments", async () => {
    const text = readFileSync(`${examples}reviews.nn`, "utf8");
    const u = await openText(text);
    const hover = hoverText(await client.hover(u, positionOf(text, "embedding(40", 2)));
    expect(hover).toContain("embedding_1: embedding, output [batch, 12, 8], 320 parameters");
    expect(hover).toContain("layer `embedding(vocab, dim, init?)`");
  });

  it("still shows types in a model when another model has errors", async () => {
    const text = `${mnist}\nmodel Broken {\n  input x: [batch, 3]\n  forward { x -> dense(2) -> relux }\n}\n`;
    const u = await openText(text);
    expect(hoverText(await client.hover(u, positionOf(text, "dense(512)")))).toContain(
      "401,920 parameters",
    );
  });
});

describe("go to definition", () => {
  const r = uriOf(residualPath);

  it("leads from a use of a bound name to its binding", async () => {
    const target = await client.definition(r, positionOf(residual, "h + r"));
    expect(target).toEqual({
      uri: r,
      range: { start: positionOf(residual, "h = x"), end: positionOf(residual, "h = x", 1) },
    });
    const second = await client.definition(r, positionOf(residual, "r = h", 4));
    expect(second?.range.start).toEqual(positionOf(residual, "h = x"));
  });

  it("leads from a block use to the block, and from a block parameter to its declaration", async () => {
    const block = await client.definition(r, positionOf(residual, "hidden(32)"));
    expect(block?.range).toEqual({
      start: positionOf(residual, "hidden(units"),
      end: positionOf(residual, "hidden(units", 6),
    });
    const param = await client.definition(r, positionOf(residual, "(units)", 1));
    expect(param?.range.start).toEqual(positionOf(residual, "units,"));
  });

  it("leads to inputs, fns, fn parameters and layers", async () => {
    const u = await openText(named);
    const go = async (p: Position) => (await client.definition(u, p))?.range.start;
    expect(await go(positionOf(named, "x -> dense"))).toEqual(positionOf(named, "x: ["));
    expect(await go(positionOf(named, "swish2 ->"))).toEqual(positionOf(named, "swish2(x)"));
    expect(await go(positionOf(named, "x * sigmoid"))).toEqual(positionOf(named, "x)"));
    expect(await go(positionOf(named, "fc1.weight"))).toEqual(positionOf(named, "fc1 ->"));
    expect(await go(positionOf(named, "dense_1.weight"))).toEqual(positionOf(named, "dense(1)"));
    expect(await go(positionOf(named, "sigmoid"))).toBeUndefined();
  });
});

describe("completion", () => {
  async function labels(marked: string): Promise<string[]> {
    const { text, position } = withCursor(marked);
    const uri = await openText(text);
    return (await client.completion(uri, position)).map((i) => i.label);
  }

  const model = (body: string) =>
    `model M {\n  input x: [batch, 4]\n  target y: [batch, 1]\n${body}\n}\n`;

  it("offers section keywords at the start of a line in a model", async () => {
    const got = await labels(model("  forward { x -> dense(1) }\n  |"));
    expect(got).toEqual(expect.arrayContaining(["loss", "optimizer", "train", "data", "metrics"]));
    expect(got).not.toContain("dense");
  });

  it("offers declarations at the top level", async () => {
    expect(await labels("|")).toEqual(["model", "fn", "block"]);
  });

  it("offers stages after ->", async () => {
    const got = await labels(model("  forward { x -> | }"));
    expect(got).toEqual(expect.arrayContaining(["relu", "dense", "softmax", "sigmoid", "repeat"]));
    const typed = await labels(model("  forward {\n    x -> dense(3)\n      -> re|\n  }"));
    expect(typed).toEqual(expect.arrayContaining(["relu", "reshape"]));
  });

  it("offers embedding as a stage", async () => {
    const got = await labels(model("  forward { x -> emb| }"));
    expect(got).toContain("embedding");
  });

  it("offers the user's blocks and fns as stages", async () => {
    const got = await labels(
      `block b(n) { dense(n) }\nfn f(x) = x\n${model("  forward { x -> | }")}`,
    );
    expect(got).toEqual(expect.arrayContaining(["b", "f", "dense"]));
  });

  it("offers a layer's arguments inside its parentheses", async () => {
    const got = await labels(model("  forward { x -> dense(|) }"));
    expect(got).toEqual(expect.arrayContaining(["units", "bias", "init"]));
    const rest = await labels(model("  forward { x -> dense(4, bias: false, |) }"));
    expect(rest).toContain("init");
    expect(rest).not.toContain("bias");
    expect(await labels(model("  forward { x -> dense(4, init: |) }"))).toEqual(
      expect.arrayContaining(["xavier", "he"]),
    );
  });

  it("offers optimizers and their arguments", async () => {
    expect(await labels(model("  optimizer |"))).toEqual(
      expect.arrayContaining(["adam", "sgd", "rmsprop"]),
    );
    const args = await labels(model("  optimizer adam(|"));
    expect(args).toEqual(
      expect.arrayContaining([
        "lr",
        "beta1",
        "beta2",
        "eps",
        "weight_decay",
        "clip_grad_norm",
        "clip_grad_value",
      ]),
    );
  });

  it("offers the loss settings", async () => {
    expect(await labels(model("  loss cross_entropy(|"))).toEqual(
      expect.arrayContaining(["weight", "label_smoothing"]),
    );
    expect(await labels(model("  loss binary_cross_entropy(|"))).toContain("pos_weight");
  });

  it("offers train and data keys and their values", async () => {
    expect(await labels(model("  train { |"))).toEqual(
      expect.arrayContaining(["epochs", "batch_size", "shuffle", "lr_schedule"]),
    );
    const rest = await labels(model("  train { epochs: 3, |"));
    expect(rest).toContain("batch_size");
    expect(rest).not.toContain("epochs");
    expect(await labels(model("  train { shuffle: | }"))).toEqual(["true", "false"]);
    expect(await labels(model("  data {\n    source: |\n  }"))).toEqual(
      expect.arrayContaining(["csv", "mnist", "idx"]),
    );
    expect(await labels(model("  data { split: { | } }"))).toEqual(["test", "seed"]);
    expect(await labels(model("  train { lr_schedule: cosine(| }"))).toEqual(
      expect.arrayContaining(["epochs", "min_lr"]),
    );
  });

  it("offers metrics, losses and names in a loss", async () => {
    expect(await labels(model("  metrics accuracy, |"))).toEqual(
      expect.arrayContaining(["mae", "rmse"]),
    );
    expect(await labels(model("  metrics accuracy, f1(|"))).toEqual(["average"]);
    expect(await labels(model("  metrics top_k_accuracy(|)"))).toEqual(["k"]);
    expect(await labels(model("  metrics precision(average: |"))).toEqual(["macro", "micro"]);
    expect(await labels(model("  metrics recall(average: macro, |"))).toEqual([]);
    expect(await labels(model("  forward { x -> dense(1) }\n  loss |"))).toEqual(
      expect.arrayContaining(["mse", "cross_entropy", "y", "output", "weights"]),
    );
  });

  it("offers nothing in comments and strings", async () => {
    expect(await labels(model("  // x -> |"))).toEqual([]);
    expect(await labels(model('  data { source: csv("da|") }'))).toEqual([]);
  });
});
