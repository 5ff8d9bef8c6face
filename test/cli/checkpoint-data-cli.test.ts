import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { nnc } from "../helpers/cli.js";
import { parseSafetensors } from "../../runtime/io/safetensors.js";
import { readSafetensors, writeSafetensors } from "../../runtime/io/safetensors-file.js";

/** A classifier of three named features, normalised, trained on the js backend (fast). */
const model = `model Three {
  input  x: [batch, 3]
  target y: [batch, 1]
  forward { x -> dense(4) -> tanh -> dense(1) -> sigmoid }
  loss binary_cross_entropy
  optimizer sgd(lr: 0.5)
  train { epochs: 2, batch_size: 2, shuffle: false }
  data { source: csv("d.csv", target: "y"), normalize: standard }
}
`;

const trainCsv = "a,b,c,y\n0,10,5,0\n1,20,3,1\n2,30,1,1\n3,40,0,0\n";

function workspace(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "nnc-ckpt-cli-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const js = ["--backend", "js"];

async function trained(files: Record<string, string> = {}): Promise<string> {
  const dir = workspace({ "m.nn": model, "d.csv": trainCsv, ...files });
  const result = await nnc(["train", "m.nn", "--save", "w.safetensors", "--quiet", ...js], dir);
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return dir;
}

const predict = (dir: string, data: string, load = "w.safetensors") =>
  nnc(["predict", "m.nn", "--load", load, "--data", data, ...js], dir);

describe("predict matches CSV columns by the names saved in the checkpoint", () => {
  it("records the feature names, and gives the same predictions for reordered columns", async () => {
    const dir = await trained({
      "new.csv": "a,b,c\n0.5,15,4\n2.5,35,0.5\n",
      "shuffled.csv": "c,a,b\n4,0.5,15\n0.5,2.5,35\n",
      "with-target.csv": "y,b,c,a\n1,15,4,0.5\n0,35,0.5,2.5\n",
    });
    const saved = parseSafetensors(readFileSync(join(dir, "w.safetensors")), "w.safetensors");
    expect(saved.metadata?.["nnc.features"]).toBe('["a","b","c"]');
    expect(JSON.parse(saved.metadata!["nnc.normalize"]!)).toMatchObject({ kind: "standard" });
    const inOrder = await predict(dir, "new.csv");
    expect(inOrder.stderr).toBe("");
    expect(inOrder.code).toBe(0);
    expect(inOrder.stdout.trim().split("\n")).toHaveLength(3);
    for (const other of ["shuffled.csv", "with-target.csv"]) {
      const result = await predict(dir, other);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(inOrder.stdout);
    }
  });

  it("names missing and extra columns in one line, exit 1", async () => {
    const dir = await trained({
      "missing.csv": "a,c\n1,2\n",
      "extra.csv": "a,b,c,d\n1,2,3,4\n",
      "both.csv": "a,b,z\n1,2,3\n",
    });
    const tail = "; columns are matched by their header names (the model's features: a, b, c)\n";
    expect(await predict(dir, "missing.csv")).toEqual({
      code: 1,
      stdout: "",
      stderr: `nnc: error[E502]: missing.csv lacks column b the model was trained on${tail}`,
    });
    expect((await predict(dir, "extra.csv")).stderr).toBe(
      `nnc: error[E502]: extra.csv has column d the model was not trained on${tail}`,
    );
    expect((await predict(dir, "both.csv")).stderr).toBe(
      `nnc: error[E502]: both.csv lacks column c the model was trained on and has column z the model was not trained on${tail}`,
    );
  });

  it("train --init matches --data columns to the checkpoint's names too", async () => {
    const dir = await trained({
      "shuffled.csv": "y,c,a,b\n0,5,0,10\n1,3,1,20\n1,1,2,30\n0,0,3,40\n",
      "renamed.csv": "a,b,d,y\n0,10,5,0\n",
    });
    const run = (data: string) =>
      nnc(
        [
          "train",
          "m.nn",
          "--init",
          "w.safetensors",
          "--data",
          data,
          "--epochs",
          "1",
          "--quiet",
          ...js,
        ],
        dir,
      );
    const inOrder = await run("d.csv");
    expect(inOrder.stderr).toBe("");
    const shuffled = await run("shuffled.csv");
    expect(shuffled.stderr).toBe("");
    expect(shuffled.code).toBe(0);
    const loss = (stdout: string) => /loss \S+/.exec(stdout)?.[0];
    expect(loss(shuffled.stdout)).toBe(loss(inOrder.stdout));
    expect(loss(inOrder.stdout)).toMatch(/^loss \d/);
    expect((await run("renamed.csv")).stderr).toBe(
      "nnc: error[E502]: renamed.csv lacks column c the model was trained on and has column d the model was not trained on; columns are matched by their header names (the model's features: a, b, c)\n",
    );
  });

  it("a checkpoint whose nnc metadata is damaged is a one-line error naming the key", async () => {
    const dir = await trained({ "new.csv": "a,b,c\n1,2,3\n" });
    const tensors = [...readSafetensors(join(dir, "w.safetensors"))].map(([name, t]) => ({
      name,
      ...t,
    }));
    const damaged = async (metadata: Record<string, string>) => {
      writeSafetensors(join(dir, "bad.safetensors"), tensors, { metadata });
      const result = await predict(dir, "new.csv", "bad.safetensors");
      expect(result.code).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr.split("\n")).toHaveLength(2);
      return result.stderr;
    };
    expect(await damaged({ "nnc.normalize": "mean=0" })).toMatch(
      /^nnc: bad\.safetensors: metadata nnc\.normalize is not JSON;/,
    );
    expect(
      await damaged({ "nnc.normalize": '{"kind":"standard","shift":[0,0,0],"scale":[1,0,1]}' }),
    ).toMatch(/^nnc: bad\.safetensors: metadata nnc\.normalize has scale 0 for feature 1;/);
    expect(
      await damaged({ "nnc.normalize": '{"kind":"standard","shift":[0,0],"scale":[1,1]}' }),
    ).toBe(
      "nnc: bad.safetensors: metadata nnc.normalize has statistics for 2 features but new.csv has 3 per row\n",
    );
    expect(await damaged({ "nnc.features": "a b c" })).toMatch(
      /^nnc: bad\.safetensors: metadata nnc\.features is not JSON;/,
    );
  });
});

describe("train rejects targets outside the loss's domain before training", () => {
  it("binary cross-entropy on a target of 2 names the file, line, column and value", async () => {
    const dir = workspace({ "m.nn": model, "d.csv": "a,b,c,y\n0,1,2,0\n1,2,3,2\n" });
    const result = await nnc(["train", "m.nn", ...js], dir);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(
      'error[E502]: d.csv:3: column y: target "2" is outside [0, 1], the values binary_cross_entropy takes',
    );
    const viaData = await nnc(["train", "m.nn", "--data", "d.csv", ...js], dir);
    expect(viaData.stderr).toBe(
      'nnc: error[E502]: d.csv:3: column y: target "2" is outside [0, 1], the values binary_cross_entropy takes (a probability; 0 or 1 for two classes)\n',
    );
  });
});
