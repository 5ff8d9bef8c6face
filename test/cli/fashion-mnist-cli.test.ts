import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { DataError } from "../../runtime/data/errors.js";
import { fashionMnistDir } from "../../runtime/data/fashion-mnist.js";
import { nnc } from "../helpers/cli.js";
import { repoRoot } from "../helpers/compile.js";

/** Where fashion_mnist() reads, or why it cannot (then the training test says it skips). */
function installed(): string | null {
  try {
    fashionMnistDir();
    return null;
  } catch (error) {
    if (error instanceof DataError) return error.message;
    throw error;
  }
}
const missing = installed();

describe("fashion_mnist()", () => {
  const dir = mkdtempSync(join(tmpdir(), "nnc-fashion-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.skipIf(missing !== null)(
    `examples/fashion-mnist.nn reaches 0.82 test accuracy on the published 10,000 in one epoch; evaluate agrees${missing === null ? "" : ` (skipped: ${missing})`}`,
    async () => {
      const weights = join(dir, "fashion.safetensors");
      const trained = await nnc(
        ["train", "examples/fashion-mnist.nn", "--epochs", "1", "--save", weights],
        repoRoot,
      );
      expect(trained.stderr).toBe("");
      expect(trained.code).toBe(0);
      const lines = trained.stdout.trim().split("\n");
      expect(lines).toHaveLength(2);
      // 55,000 training rows after validation_split 0.0833 of the 60,000.
      expect(lines[0]).toMatch(/^epoch 1\/1 {2}loss .* {2}val_accuracy \d\.\d{4} /);
      const test = /^test {2}loss (\d+\.\d{4}) {2}accuracy (\d\.\d{4})$/.exec(lines[1]!);
      expect(test).not.toBeNull();
      expect(Number(test![2])).toBeGreaterThanOrEqual(0.82);

      const evaluated = await nnc(
        ["evaluate", "examples/fashion-mnist.nn", "--load", weights, "--json"],
        repoRoot,
      );
      expect(evaluated.stderr).toBe("");
      const report = JSON.parse(evaluated.stdout) as {
        rows: number;
        loss: number;
        metrics: { accuracy: number };
      };
      expect(report.rows).toBe(10_000);
      expect(report.metrics.accuracy.toFixed(4)).toBe(test![2]);

      // --data DIR reads the same folder as mnist("DIR") does: its t10k part
      const folder = fashionMnistDir().path;
      const onFolder = await nnc(
        ["evaluate", "examples/fashion-mnist.nn", "--load", weights, "--data", folder, "--json"],
        repoRoot,
      );
      expect(onFolder.stderr).toBe("");
      const again = JSON.parse(onFolder.stdout) as typeof report;
      expect([again.rows, again.metrics.accuracy]).toEqual([10_000, report.metrics.accuracy]);
      const predictions = join(dir, "predictions.csv");
      const predicted = await nnc(
        [
          "predict",
          "examples/fashion-mnist.nn",
          "--load",
          weights,
          "--data",
          folder,
          "-o",
          predictions,
        ],
        repoRoot,
      );
      expect(predicted.stderr).toBe("");
      expect(predicted.code).toBe(0);
      const rows = readFileSync(predictions, "utf8").trim().split("\n");
      expect(rows).toHaveLength(10_001);
      expect(rows[0]).toMatch(/,predicted$/);
    },
    120_000,
  );

  it("without the files, train says in one located line how to install them", async () => {
    vi.stubEnv("NNC_DATA", join(dir, "no-data-here"));
    try {
      const result = await nnc(["train", "examples/fashion-mnist.nn", "--epochs", "1"], repoRoot);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe("");
      const first = result.stderr.split("\n")[0]!;
      expect(first).toMatch(
        /^examples\/fashion-mnist\.nn:\d+:\d+: error\[E503\]: cannot read Fashion-MNIST: NNC_DATA is .*no-data-here, but neither .* holds train-images-idx3-ubyte\(\.gz\); put the published IDX files in .*, or unset NNC_DATA to use Debian's dataset-fashion-mnist$/,
      );
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
