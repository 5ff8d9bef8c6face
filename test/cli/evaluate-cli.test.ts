import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { nnc } from "../helpers/cli.js";

/** A classifier of three named features, normalised, with a test split; js backend (fast). */
const model = (split: string) => `model Three {
  input  x: [batch, 3]
  target y: [batch, 1]
  forward { x -> dense(4) -> tanh -> dense(1) -> sigmoid }
  loss      binary_cross_entropy
  optimizer sgd(lr: 0.5)
  metrics   accuracy, mae
  train     { epochs: 3, batch_size: 2, shuffle: false }
  data {
    source:    csv("d.csv", target: "y")
    normalize: standard${split}
  }
}
`;
const withSplit = model("\n    split:     { test: 0.25, seed: 3 }");

const rows = Array.from({ length: 16 }, (_, i) => `${i % 5},${(i * 7) % 11},${i % 3},${i % 2}`);
const csv = `a,b,c,y\n${rows.join("\n")}\n`;
const js = ["--backend", "js"];

function workspace(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "nnc-evaluate-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

async function trained(): Promise<{ dir: string; testLine: string }> {
  const dir = workspace({
    "m.nn": withSplit,
    "d.csv": csv,
    "new.csv": "c,b,a,y\n1,2,3,1\n0,5,1,0\n",
  });
  const result = await nnc(["train", "m.nn", "--save", "w.safetensors", ...js], dir);
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  return { dir, testLine: result.stdout.trim().split("\n").at(-1)! };
}

describe("nnc evaluate", () => {
  // One training run for every test: each evaluates the same checkpoint differently.
  let dir = "";
  let testLine = "";
  beforeAll(async () => {
    ({ dir, testLine } = await trained());
  }, 60_000);

  it("reports on the test split exactly what nnc train's test line reported", async () => {
    expect(testLine).toMatch(/^test {2}loss [\d.]+ {2}accuracy [\d.]+ {2}mae [\d.]+$/);
    const result = await nnc(["evaluate", "m.nn", "--load", "w.safetensors", ...js], dir);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const [title, header, ...figures] = result.stdout.trim().split("\n");
    expect(title).toBe("Three on the test split of d.csv (4 rows)");
    expect(header).toBe("metric    value");
    const asTestLine = `test  ${figures.map((f) => f.replace(/ +/, " ")).join("  ")}`;
    expect(asTestLine).toBe(testLine);
    expect(figures.map((f) => f.split(" ")[0])).toEqual(["loss", "accuracy", "mae"]);
  });

  it("--json prints one JSON object; --data evaluates every row of a CSV, columns by name", async () => {
    const json = await nnc(["evaluate", "m.nn", "--load", "w.safetensors", "--json", ...js], dir);
    expect(json.code).toBe(0);
    const record = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(Object.keys(record)).toEqual(["model", "checkpoint", "data", "rows", "loss", "metrics"]);
    expect(record["rows"]).toBe(4);
    expect(Object.keys(record["metrics"] as object)).toEqual(["accuracy", "mae"]);
    const other = await nnc(
      ["evaluate", "m.nn", "--load", "w.safetensors", "--data", "new.csv", "--json", ...js],
      dir,
    );
    expect(other.stderr).toBe("");
    expect(JSON.parse(other.stdout)).toMatchObject({ data: "new.csv", rows: 2 });
  });

  it("errors are one located line: no --load, no test split, a checkpoint of another model", async () => {
    const noLoad = await nnc(["evaluate", "m.nn", ...js], dir);
    expect(noLoad).toMatchObject({ code: 1, stdout: "" });
    expect(noLoad.stderr).toBe(
      "nnc: evaluate needs --load CKPT: the trained parameters (safetensors)\n",
    );
    writeFileSync(join(dir, "nosplit.nn"), model(""));
    const noSplit = await nnc(["evaluate", "nosplit.nn", "--load", "w.safetensors", ...js], dir);
    expect(noSplit.code).toBe(1);
    expect(noSplit.stderr).toBe(
      "nnc: nosplit.nn:10:16: model Three's data has no test split; add split: { test: 0.2 } to its data section, or pass --data PATH\n",
    );
    writeFileSync(join(dir, "wide.nn"), withSplit.replace("dense(4)", "dense(5)"));
    const shapes = await nnc(["evaluate", "wide.nn", "--load", "w.safetensors", ...js], dir);
    expect(shapes.code).toBe(1);
    expect(shapes.stderr).toMatch(
      /^nnc: w\.safetensors .*dense_1\.weight: expected \[5, 3\], found \[4, 3\]/,
    );
    expect(shapes.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("a CSV without the target column is a one-line data error", async () => {
    writeFileSync(join(dir, "features.csv"), "a,b,c\n1,2,3\n");
    const result = await nnc(
      ["evaluate", "m.nn", "--load", "w.safetensors", "--data", "features.csv", ...js],
      dir,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^nnc: error\[E50\d\]: .*features\.csv/);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
  });
});
