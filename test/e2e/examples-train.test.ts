import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../helpers/compile.js";

/** Trains an example through the installed command and returns its last line's figures. */
function train(example: string, ...extra: string[]): Record<string, number> {
  const run = spawnSync(
    process.execPath,
    [join(repoRoot, "bin/nnc.js"), "train", `examples/${example}`, "--quiet", ...extra],
    {
      cwd: repoRoot,
      encoding: "utf8",
    },
  );
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  const line = run.stdout.trim().split("\n").at(-1)!;
  const figures: Record<string, number> = {};
  for (const m of line.matchAll(/(\w+) (-?[\d.]+(?:e-?\d+)?)(?=\s|$)/g))
    figures[m[1]!] = Number(m[2]);
  return figures;
}

describe("the examples reach what they promise", () => {
  it("xor.nn learns XOR: 100% accuracy", () => {
    expect(train("xor.nn").accuracy).toBe(1);
  });

  // On Mesa's software driver without a GPU: a minute for mnist.nn on 2 cores
  it("xor.nn learns XOR on webgpu: 100% accuracy", { timeout: 120_000 }, () => {
    expect(train("xor.nn", "--backend", "webgpu").accuracy).toBe(1);
  });

  it(
    "iris.nn on webgpu: at least 0.93 accuracy on the held-out flowers",
    { timeout: 120_000 },
    () => {
      expect(train("iris.nn", "--backend", "webgpu").accuracy).toBeGreaterThanOrEqual(0.93);
    },
  );

  it("iris.nn: at least 0.93 accuracy on the held-out flowers", () => {
    expect(train("iris.nn").accuracy).toBeGreaterThanOrEqual(0.93);
  });

  it("residual.nn: at least 0.93 accuracy on held-out breast-cancer cases", () => {
    expect(train("residual.nn").accuracy).toBeGreaterThanOrEqual(0.93);
  });

  it("regression.nn: test mean absolute error below 50 (the target spans 25 to 346)", () => {
    expect(train("regression.nn").mae).toBeLessThan(50);
  });

  it(
    "residual.nn on webgpu: at least 0.93 accuracy on held-out breast-cancer cases",
    { timeout: 120_000 },
    () => {
      expect(train("residual.nn", "--backend", "webgpu").accuracy).toBeGreaterThanOrEqual(0.93);
    },
  );

  it("regression.nn on webgpu: test mean absolute error below 50", { timeout: 120_000 }, () => {
    expect(train("regression.nn", "--backend", "webgpu").mae).toBeLessThan(50);
  });

  it(
    "reviews.nn: at least 0.85 accuracy on held-out reviews, on the CPU and on webgpu",
    {
      timeout: 120_000,
    },
    () => {
      expect(train("reviews.nn").accuracy).toBeGreaterThanOrEqual(0.85);
      expect(train("reviews.nn", "--backend", "webgpu").accuracy).toBeGreaterThanOrEqual(0.85);
    },
  );

  it("mnist.nn: at least 0.95 accuracy on the held-out digits", { timeout: 600_000 }, () => {
    expect(train("mnist.nn").accuracy).toBeGreaterThanOrEqual(0.95);
  });

  it("waveform.nn (conv1d): at least 0.8 accuracy on held-out waveforms (Bayes: 0.86)", () => {
    expect(train("waveform.nn").accuracy).toBeGreaterThanOrEqual(0.8);
  });

  it(
    "waveform.nn on webgpu: at least 0.8 accuracy on held-out waveforms",
    { timeout: 120_000 },
    () => {
      expect(train("waveform.nn", "--backend", "webgpu").accuracy).toBeGreaterThanOrEqual(0.8);
    },
  );

  it(
    "mnist_cnn.nn (avgpool2d, global_avgpool): at least 0.9 accuracy on the held-out digits",
    { timeout: 600_000 },
    () => {
      expect(train("mnist_cnn.nn").accuracy).toBeGreaterThanOrEqual(0.9);
    },
  );

  it(
    "mnist.nn on webgpu: at least 0.95 accuracy on the held-out digits",
    { timeout: 600_000 },
    () => {
      expect(train("mnist.nn", "--backend", "webgpu").accuracy).toBeGreaterThanOrEqual(0.95);
    },
  );
});

/** The losses of one epoch of `example` on `threads` threads (wasm, no BLAS), from --history. */
function losses(example: string, threads: number): number[] {
  const history = join(mkdtempSync(join(tmpdir(), "nnc-threads-")), "h.json");
  const flags = ["--epochs", "1", "--threads", String(threads), "--blas", "off"];
  train(example, ...flags, "--backend", "cpu", "--history", history);
  const h = JSON.parse(readFileSync(history, "utf8")) as {
    backend: string;
    epochs: { loss: number; valLoss?: number }[];
    test?: { loss: number };
  };
  expect(h.backend).toMatch(threads === 1 ? /, 1 thread$/ : new RegExp(`, ${threads} threads$`));
  const epoch = h.epochs[0]!;
  return [epoch.loss, ...(epoch.valLoss === undefined ? [] : [epoch.valLoss]), h.test?.loss ?? 0];
}

// Issue 8: the thread count changes speed, not results (GEMM columns and kernel elements split
// over threads keep each element's summation order, so the losses are in fact bit-identical).
describe("--threads 1 and --threads 2 train to the same losses", () => {
  it.each(["xor.nn", "iris.nn", "residual.nn", "regression.nn", "mnist.nn"])(
    "%s",
    { timeout: 120_000 },
    (example) => {
      const one = losses(example, 1);
      const two = losses(example, 2);
      expect(two).toHaveLength(one.length);
      one.forEach((loss, i) =>
        expect(Math.abs(two[i]! - loss)).toBeLessThanOrEqual(1e-5 * Math.abs(loss)),
      );
    },
  );
});
