import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readSafetensors } from "../../runtime/io/safetensors-file.js";
import { backendVariants } from "../helpers/backends.js";
import { repoRoot } from "../helpers/compile.js";

/** PyTorch's own runs, and runs of other layers and optimizers from an independent NumPy model. */
const suites = [
  ["PyTorch training runs", join(repoRoot, "..", "shared", "fixtures", "torch", "training")],
  [
    "NumPy reference runs (test/fixtures/reference/generate.py)",
    join(repoRoot, "test", "fixtures", "reference"),
  ],
  [
    "PyTorch runs of the training knobs (scripts/training-knob-fixtures.py)",
    join(repoRoot, "test", "fixtures", "torch"),
  ],
] as const;

interface Expected {
  readonly command: string;
  readonly tolerance_relative: number;
  readonly epoch_loss: readonly number[];
}

/** WebGPU computes in f32: the bound on each tensor's relative error there. */
const GPU_RELATIVE = 1e-3;

/**
 * Each training case run through the command line exactly as its expected.json says (plus the
 * flags of each backend variant), in a copy of its folder; every tensor of the saved checkpoint
 * must match the reference's within the case's tolerance (relative error of the whole tensor;
 * at least 1e-3 on WebGPU, which computes in f32), with the same names and shapes.
 */
describe.each(suites)("%s, through nnc train", (_title, fixtures) => {
  const cases = readdirSync(fixtures, { withFileTypes: true }).filter((e) => e.isDirectory());
  describe.each(backendVariants)("on $name", (variant) => {
    const gpu = variant.backend === "webgpu";
    for (const { name } of cases) {
      it(name, () => {
        const dir = mkdtempSync(join(tmpdir(), `nnc-${name}-`));
        cpSync(join(fixtures, name), dir, { recursive: true });
        const expected = JSON.parse(readFileSync(join(dir, "expected.json"), "utf8")) as Expected;
        const [command, ...args] = expected.command.split(" ");
        expect(command).toBe("nnc");
        const run = spawnSync(
          process.execPath,
          [join(repoRoot, "bin/nnc.js"), ...args, ...variant.args, "--history", "history.json"],
          {
            cwd: dir,
            encoding: "utf8",
            env: { ...process.env, ...("env" in variant ? variant.env : {}) },
          },
        );
        expect(run.stderr).toBe("");
        expect(run.status).toBe(0);

        const want = readSafetensors(join(dir, "expected.safetensors"));
        const got = readSafetensors(join(dir, "out.safetensors"));
        expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
        for (const [key, tensor] of want) {
          const ours = got.get(key)!;
          expect(ours.shape, key).toEqual(tensor.shape);
          let diff = 0;
          let norm = 0;
          tensor.data.forEach((v, i) => {
            diff += (v - ours.data[i]!) ** 2;
            norm += v * v;
          });
          expect(Math.sqrt(diff) / Math.sqrt(norm), key).toBeLessThanOrEqual(
            gpu ? Math.max(GPU_RELATIVE, expected.tolerance_relative) : expected.tolerance_relative,
          );
        }
        // The mean training loss of each epoch, as PyTorch reports it.
        const history = JSON.parse(readFileSync(join(dir, "history.json"), "utf8")) as {
          epochs: { loss: number }[];
        };
        history.epochs.forEach((e, i) => {
          const want = expected.epoch_loss[i]!;
          if (gpu)
            expect(Math.abs(e.loss - want)).toBeLessThanOrEqual(GPU_RELATIVE * Math.abs(want));
          else expect(e.loss).toBeCloseTo(want, 5);
        });
      });
    }
  });
});
