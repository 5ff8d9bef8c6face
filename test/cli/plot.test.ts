import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type CurvesRun, learningCurvesSpec } from "../../compiler/cli/learning-curves.js";
import { plotFormat, renderHtml } from "../../compiler/cli/plot.js";
import type { EpochLog } from "../../runtime/index.js";
import { nnc } from "../helpers/cli.js";

/** `nnc train --plot` draws with Vega-Lite: the spec (pure), and the SVG, PNG and HTML files. */

function epochLog(epoch: number, validated: boolean, lr = 0.01): EpochLog {
  return {
    epoch,
    epochs: 4,
    loss: 1 / epoch,
    metrics: { accuracy: 0.5 + epoch / 10, f1: 0.4 + epoch / 10 },
    valLoss: validated ? 1.2 / epoch : null,
    valMetrics: validated ? { accuracy: 0.45 + epoch / 10, f1: 0.35 + epoch / 10 } : null,
    lr,
    seconds: 0.1,
    samplesPerSecond: 100,
  };
}

function run(validated: boolean, restoredEpoch: number | null = null, lrs?: number[]): CurvesRun {
  const epochs = [1, 2, 3, 4].map((e) => epochLog(e, validated, lrs?.[e - 1]));
  return { model: "Tiny", epochs, stoppedEarly: restoredEpoch !== null, restoredEpoch };
}

interface Panel {
  readonly title: string;
  readonly layer: readonly {
    readonly mark: { readonly type: string };
    readonly data: { readonly values: readonly Record<string, unknown>[] };
  }[];
}

const panels = (r: CurvesRun) => (learningCurvesSpec(r) as unknown as { concat: Panel[] }).concat;
const splits = (p: Panel) => [...new Set(p.layer[0]!.data.values.map((v) => v.split))];

describe("learningCurvesSpec", () => {
  it("draws one panel per figure with training and validation lines when the run validated", () => {
    const got = panels(run(true));
    expect(got.map((p) => p.title)).toEqual(["loss", "accuracy", "f1"]);
    for (const p of got) {
      expect(splits(p)).toEqual(["training", "validation"]);
      expect(p.layer.map((l) => l.mark.type)).toEqual(["line"]);
    }
    expect(got[0]!.layer[0]!.data.values).toContainEqual({
      epoch: 2,
      value: 0.6,
      split: "validation",
    });
  });

  it("draws only the training line without validation, and leaves out non-finite values", () => {
    const r = run(false);
    const epochs = [...r.epochs];
    epochs[1] = { ...epochs[1]!, loss: NaN };
    const got = panels({ ...r, epochs });
    for (const p of got) expect(splits(p)).toEqual(["training"]);
    expect(got[0]!.layer[0]!.data.values.map((v) => v.epoch)).toEqual([1, 3, 4]);
    const colors = (learningCurvesSpec(r) as unknown as { concat: Panel[] }).concat[0]!.layer[0]!;
    expect(JSON.stringify(colors)).not.toContain("validation");
  });

  it("marks the restored epoch with a rule in every panel, and adds lr only when it changes", () => {
    const got = panels(run(true, 2, [0.1, 0.1, 0.05, 0.05]));
    expect(got.map((p) => p.title)).toEqual(["loss", "accuracy", "f1", "learning rate"]);
    for (const p of got) {
      expect(p.layer.map((l) => l.mark.type)).toEqual(["line", "rule", "text"]);
      expect(p.layer[1]!.data.values[0]!.epoch).toBe(2);
    }
    expect(panels(run(true)).map((p) => p.title)).not.toContain("learning rate");
  });
});

describe("plot files", () => {
  const model = `model Tiny {
  input  x: [batch, 2]
  target y: [batch, 1]
  forward { x -> dense(4) -> tanh -> dense(1) -> sigmoid }
  loss binary_cross_entropy
  optimizer adam(lr: 0.05)
  metrics accuracy, precision, recall, auc
  train { epochs: 6, batch_size: 4, validation_split: 0.25, early_stopping: { monitor: val_loss, patience: 1 } }
  data { source: csv("d.csv", target: "y") }
}
`;
  const rows = Array.from({ length: 24 }, (_, i) => {
    const [a, b] = [(i * 7) % 5, (i * 3) % 4];
    return `${a},${b},${a + b > 4 ? 1 : 0}`;
  });

  function workspace(): string {
    const dir = mkdtempSync(join(tmpdir(), "nnc-plot-"));
    writeFileSync(join(dir, "m.nn"), model);
    writeFileSync(join(dir, "d.csv"), `a,b,y\n${rows.join("\n")}\n`);
    return dir;
  }

  it("renders a run with a validation split to PNG of the SVG's size (twice, for sharpness)", async () => {
    const dir = workspace();
    const result = await nnc(
      ["train", "m.nn", "--backend", "js", "--plot", "c.png", "--quiet"],
      dir,
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const png = readFileSync(join(dir, "c.png"));
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    // the first chunk is IHDR: length, type, then width and height (big-endian)
    expect(png.toString("latin1", 12, 16)).toBe("IHDR");
    const [width, height] = [png.readUInt32BE(16), png.readUInt32BE(20)];

    await nnc(["train", "m.nn", "--backend", "js", "--plot", "c.svg", "--quiet"], dir);
    const svg = readFileSync(join(dir, "c.svg"), "utf8");
    const size = /^<svg [^>]*width="(\d+)" height="(\d+)"/.exec(svg);
    expect(size).not.toBeNull();
    expect([width, height]).toEqual([2 * Number(size![1]), 2 * Number(size![2])]);
    // 5 panels (loss and four metrics), 3 a row: two rows of three columns
    expect(width).toBeGreaterThan(1500);
    expect(height).toBeGreaterThan(700);
    for (const title of ["loss", "precision", "auc", "epoch", "validation"]) {
      expect(svg).toContain(`>${title}<`);
    }
  });

  it("writes a self-contained interactive HTML page: the spec and the libraries inlined", async () => {
    const dir = workspace();
    const result = await nnc(
      ["train", "m.nn", "--backend", "js", "--plot", "c.html", "--quiet"],
      dir,
    );
    expect(result.code).toBe(0);
    const html = readFileSync(join(dir, "c.html"), "utf8");
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('"title":{"text":"Tiny: learning curves"');
    expect(html).toContain('vegaEmbed("#plot"');
    // vega, vega-lite and vega-embed's browser builds, each inlined once
    expect(html.match(/<script>/g)).toHaveLength(4);
    expect(html.length).toBeGreaterThan(500_000);
    // nothing fetched: no script, style or image from anywhere
    expect(html).not.toMatch(/<script[^>]+src=/i);
    expect(html).not.toMatch(/<link[^>]+href=/i);
    expect(html).not.toMatch(/<\/script(?![>])/i);
  });

  it("escapes </script> in an inlined spec", () => {
    const spec = learningCurvesSpec({ ...run(false), model: "</script><b>" });
    const html = renderHtml(spec);
    expect(html).not.toContain("</script><b>");
  });

  it("refuses an unknown extension in one line before training", async () => {
    const dir = workspace();
    const result = await nnc(["train", "m.nn", "--plot", "c.pdf", "--history", "h.json"], dir);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(
      "nnc: --plot c.pdf: extension .pdf; the plot is written as .svg, .png or .html (interactive)\n",
    );
    expect(existsSync(join(dir, "h.json"))).toBe(false);
    expect(plotFormat("A.PNG")).toBe("png");
  });
});
