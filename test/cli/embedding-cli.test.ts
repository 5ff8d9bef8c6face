import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { nnc } from "../helpers/cli.js";
import { parseSafetensors } from "../../runtime/io/safetensors.js";

/** Token ids from a CSV through an embedding: train, save, predict, and bad ids located. */

const model = `model Tokens {
  input  words: i32[batch, 3]
  target y: i32[batch]
  forward { words -> embedding(6, 2) -> mean(axis: 1) -> dense(2) -> softmax }
  loss cross_entropy
  optimizer adam(lr: 0.1)
  train { epochs: 3, batch_size: 2, shuffle: false }
  data { source: csv("d.csv", target: "y"), normalize: standard }
}
`;

const trainCsv = "w0,w1,w2,y\n0,1,1,0\n4,5,5,1\n1,0,2,0\n5,3,4,1\n";

function workspace(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "nnc-embedding-cli-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const js = ["--backend", "js"];

describe("token ids on the command line", () => {
  it("trains without normalizing the ids, and predicts with integer inputs", async () => {
    const dir = workspace({
      "m.nn": model,
      "d.csv": trainCsv,
      "new.csv": "w0,w1,w2\n0,1,2\n5,5,4\n",
      "past.csv": "w0,w1,w2\n0,1,2\n5,6,4\n",
      "half.csv": "w0,w1,w2\n0,1.5,2\n",
    });
    const train = await nnc(["train", "m.nn", "--save", "w.safetensors", "--quiet", ...js], dir);
    expect(train.stderr).toBe("");
    expect(train.code).toBe(0);
    const saved = parseSafetensors(readFileSync(join(dir, "w.safetensors")), "w.safetensors");
    expect(saved.tensors.get("embedding_1.weight")?.shape).toEqual([6, 2]);
    // normalize: standard leaves ids as read: no statistics are saved for them
    expect(saved.metadata?.["nnc.normalize"]).toBeUndefined();

    const predict = (data: string) =>
      nnc(["predict", "m.nn", "--load", "w.safetensors", "--data", data, ...js], dir);
    const ok = await predict("new.csv");
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    const lines = ok.stdout.trim().split("\n");
    expect(lines[0]).toBe("output_0,output_1,predicted");
    expect(lines).toHaveLength(3);
    expect(await predict("past.csv")).toEqual({
      code: 1,
      stdout: "",
      stderr:
        "nnc: error[E502]: past.csv:3: column w1: token id 6 is out of range: the embedding has a vocabulary of 6 (0..5)\n",
    });
    const half = await predict("half.csv");
    expect(half.code).toBe(1);
    expect(half.stderr).toBe(
      'nnc: error[E504]: half.csv:2: column w1: "1.5" is not a token id (0, 1, 2, ...)\n',
    );
  });

  it("points at the data section for an id past the vocabulary in the training CSV", async () => {
    const dir = workspace({ "m.nn": model, "d.csv": trainCsv.replace("4,5,5,1", "4,5,9,1") });
    const train = await nnc(["train", "m.nn", "--quiet", ...js], dir);
    expect(train.code).toBe(1);
    expect(train.stderr.split("\n")[0]).toBe(
      "m.nn:8:18: error[E502]: d.csv:3: column w2: token id 9 is out of range: the embedding has a vocabulary of 6 (0..5)",
    );
  });
});
