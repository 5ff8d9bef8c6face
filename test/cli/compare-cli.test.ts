import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type ComparedRun, comparisonSpec } from "../../compiler/cli/compare-curves.js";
import { runLabels } from "../../compiler/cli/train-compare.js";
import type { EpochLog } from "../../runtime/index.js";
import { nnc } from "../helpers/cli.js";
import { repoRoot } from "../helpers/compile.js";

/** `nnc train A.nn B.nn` / `--compare`: several models trained in turn, their curves overlaid. */

function epochLog(epoch: number, validated: boolean, scale: number, lr = 0.01): EpochLog {
  return {
    epoch,
    epochs: 3,
    loss: scale / epoch,
    metrics: { accuracy: 0.5 + epoch / 10 },
    valLoss: validated ? (1.2 * scale) / epoch : null,
    valMetrics: validated ? { accuracy: 0.45 + epoch / 10 } : null,
    lr,
    seconds: 0.1,
    samplesPerSecond: 100,
  };
}
const run = (label: string, validated: boolean, scale = 1): ComparedRun => ({
  label,
  epochs: [1, 2, 3].map((e) => epochLog(e, validated, scale)),
});

interface Panel {
  readonly title: string;
  readonly data: { readonly values: readonly Record<string, unknown>[] };
  readonly encoding: Record<string, { readonly scale?: { readonly domain?: unknown } }>;
}
const panels = (runs: ComparedRun[]) =>
  (comparisonSpec(runs, "t") as unknown as { concat: Panel[] }).concat;

describe("comparisonSpec", () => {
  it("draws one panel per figure, a colour per run named in the legend", () => {
    const got = panels([run("sgd.nn", false), run("adam.nn", false, 0.5)]);
    expect(got.map((p) => p.title)).toEqual(["loss", "accuracy"]);
    expect(got[0]!.encoding["color"]!.scale!.domain).toEqual(["sgd.nn", "adam.nn"]);
    expect(got[0]!.data.values).toContainEqual({
      run: "adam.nn",
      epoch: 2,
      value: 0.25,
      split: "training",
    });
    // no validation anywhere: no dash encoding, no validation points
    expect(got[0]!.encoding["strokeDash"]).toBeUndefined();
    expect(JSON.stringify(got)).not.toContain("validation");
  });

  it("dashes the validation lines of the runs that validated", () => {
    const got = panels([run("a", true), run("b", false)]);
    expect(got[0]!.encoding["strokeDash"]!.scale!.domain).toEqual(["training", "validation"]);
    const validation = got[0]!.data.values.filter((v) => v.split === "validation");
    expect(new Set(validation.map((v) => v.run))).toEqual(new Set(["a"]));
  });

  it("labels runs by file, else by model, else by file and model", () => {
    const entry = (file: string, name: string) => ({ file, chosen: { model: { name } } });
    expect(runLabels([entry("x/a.nn", "M"), entry("b.nn", "M")], ["x/a.nn", "b.nn"])).toEqual([
      "a.nn",
      "b.nn",
    ]);
    expect(runLabels([entry("x/a.nn", "M"), entry("a.nn", "N")], ["x/a.nn", "a.nn"])).toEqual([
      "x/a.nn",
      "a.nn",
    ]);
    expect(runLabels([entry("a.nn", "Sgd"), entry("a.nn", "Adam")], ["a.nn"])).toEqual([
      "Sgd",
      "Adam",
    ]);
    expect(
      runLabels([entry("a.nn", "M"), entry("a.nn", "N"), entry("b.nn", "M")], ["a.nn", "b.nn"]),
    ).toEqual(["a.nn:M", "a.nn:N", "b.nn:M"]);
  });
});

const model = (name: string, optimizer: string, validation = "") => `model ${name} {
  input  x: [batch, 2]
  target y: [batch, 1]

  forward { x -> dense(4) -> tanh -> dense(1) -> sigmoid }

  loss      binary_cross_entropy
  optimizer ${optimizer}
  metrics   accuracy
  train     { epochs: 4, batch_size: 4, seed: 1${validation} }
  data      { source: csv("d.csv", target: "y") }
}
`;
const rows = Array.from({ length: 16 }, (_, i) => `${i % 4},${(i * 3) % 5},${i % 2}`);

function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), "nnc-compare-"));
  writeFileSync(join(dir, "sgd.nn"), model("Sgd", "sgd(lr: 0.1)", ", validation_split: 0.25"));
  writeFileSync(join(dir, "adam.nn"), model("Adam", "adam(lr: 0.05)"));
  writeFileSync(
    join(dir, "both.nn"),
    `${model("Sgd", "sgd(lr: 0.1)")}\n${model("Adam", "adam(lr: 0.05)")}`,
  );
  writeFileSync(join(dir, "d.csv"), `a,b,y\n${rows.join("\n")}\n`);
  return dir;
}

describe("nnc train with several models", () => {
  it("trains each file's model in turn and overlays them in one PNG of the SVG's size", async () => {
    const dir = workspace();
    const js = ["--backend", "js"];
    const result = await nnc(["train", "sgd.nn", "adam.nn", ...js, "--plot", "c.png"], dir);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split("\n");
    expect(lines).toHaveLength(13);
    expect(lines[0]).toBe("== Sgd (sgd.nn) ==");
    expect(lines[5]).toBe("== Adam (adam.nn) ==");
    expect(lines[4]).toMatch(/^epoch 4\/4 {2}loss .* {2}val_loss /);
    // then the runs side by side: Adam did not validate
    expect(lines[10]).toBe("model    epochs  loss    val_loss");
    expect(lines[11]).toMatch(/^sgd\.nn {3}4 {7}\d\.\d{4} {2}\d\.\d{4}$/);
    expect(lines[12]).toMatch(/^adam\.nn {2}4 {7}\d\.\d{4} {2}-$/);

    const png = readFileSync(join(dir, "c.png"));
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.toString("latin1", 12, 16)).toBe("IHDR");
    const [width, height] = [png.readUInt32BE(16), png.readUInt32BE(20)];

    await nnc(["train", "sgd.nn", "adam.nn", ...js, "--plot", "c.svg", "--quiet"], dir);
    const svg = readFileSync(join(dir, "c.svg"), "utf8");
    const size = /^<svg [^>]*width="(\d+)" height="(\d+)"/.exec(svg);
    expect([width, height]).toEqual([2 * Number(size![1]), 2 * Number(size![2])]);
    // two panels side by side (loss, accuracy), the legend below them
    expect(width).toBeGreaterThan(1200);
    expect(height).toBeGreaterThan(500);
    for (const text of ["sgd.nn", "adam.nn", "validation", "loss", "accuracy", "epoch"])
      expect(svg).toContain(`>${text}<`);
  });

  it("keeps the course's optimizer comparison as reports/optimizer-comparison.png", () => {
    const png = readFileSync(join(repoRoot, "reports/optimizer-comparison.png"));
    expect(png.toString("latin1", 12, 16)).toBe("IHDR");
    // two panels (loss, accuracy) side by side at twice the SVG's size, six runs in the legend
    expect(png.readUInt32BE(16)).toBeGreaterThan(1200);
    expect(png.readUInt32BE(20)).toBeGreaterThan(500);
  });

  it("--compare trains every model of one file; --history holds every run", async () => {
    const dir = workspace();
    const result = await nnc(
      ["train", "both.nn", "--compare", "--backend", "js", "--quiet", "--history", "h.json"],
      dir,
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^== Sgd \(both\.nn\) ==\nepoch 4\/4 .*\n== Adam \(both\.nn\) ==\nepoch 4\/4 /,
    );
    const history = JSON.parse(readFileSync(join(dir, "h.json"), "utf8")) as {
      runs: { label: string; file: string; model: string; epochs: unknown[] }[];
    };
    expect(history.runs.map((r) => [r.label, r.file, r.model, r.epochs.length])).toEqual([
      ["Sgd", "both.nn", "Sgd", 4],
      ["Adam", "both.nn", "Adam", 4],
    ]);
    // --model picks that model of each file
    const one = await nnc(["train", "both.nn", "adam.nn", "--model", "Adam", "--quiet"], dir);
    expect(one.stdout).toMatch(/^== Adam \(both\.nn\) ==\n.*\n== Adam \(adam\.nn\) ==\n/);
  });

  it("refuses the options that name one model's files, in one line, before training", async () => {
    const dir = workspace();
    for (const [flag, value] of [
      ["--save", "w.safetensors"],
      ["--init", "w.safetensors"],
      ["--checkpoint-dir", "ckpt"],
      ["--resume", "ckpt/last.safetensors"],
    ] as const) {
      const result = await nnc(["train", "sgd.nn", "adam.nn", flag, value], dir);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr).toBe(
        `nnc: ${flag} is for one model, and 2 files trains several; train each model alone (nnc train FILE.nn --model NAME ${flag} ...)\n`,
      );
    }
    const compare = await nnc(["train", "both.nn", "--compare", "--save", "w.safetensors"], dir);
    expect(compare.stderr).toContain("nnc: --save is for one model, and --compare trains several");
    // a file with several models and no --compare still asks which
    const plain = await nnc(["train", "both.nn"], dir);
    expect(plain.stderr).toBe(
      "nnc: both.nn has several models (Sgd, Adam); choose one with --model NAME\n",
    );
  });

  it("compiles every file first: an error in the last one trains nothing", async () => {
    const dir = workspace();
    writeFileSync(
      join(dir, "bad.nn"),
      "model Bad {\n  input x: [batch, 2]\n  forward { x -> nope }\n}\n",
    );
    const result = await nnc(["train", "sgd.nn", "bad.nn"], dir);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain("bad.nn:3:");
  });
});
