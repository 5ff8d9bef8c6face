import { cpSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { readSafetensors } from "../../runtime/io/safetensors-file.js";
import { nnc } from "../helpers/cli.js";
import { repoRoot } from "../helpers/compile.js";
import { findTorchPython, torchRequired } from "../helpers/torch-python.js";
import { run, torchrunEnv, torchrunFor } from "./processes.js";

/**
 * train.py of `nnc build --emit pytorch` against the engines themselves: every training
 * fixture of ../shared/fixtures/torch/training reproduces PyTorch's expected weights from its
 * init.safetensors; torchrun with 2 processes gives the weights of 1 process; and the examples
 * without dropout give, from the same --init, the weights and epoch lines of `nnc train`.
 * Skipped (saying why) without a Python that imports torch, failed instead under CI or
 * NNC_REQUIRE_TORCH.
 */

const found = findTorchPython();
const python = found.ok ? found.command : null;
const torchrun = python === null ? [] : torchrunFor(python);
const missing = found.ok ? "" : found.reason;
const fixturesDir = fileURLToPath(
  new URL("../../../shared/fixtures/torch/training/", import.meta.url),
);
const fixtures = readdirSync(fixturesDir).sort();

// Skipped only off CI (the reason in the title): under CI or NNC_REQUIRE_TORCH it fails.
describe(`PyTorch for train.py${python === null ? ` (${torchRequired() ? "required" : "skipped"}: ${missing})` : ""}`, () => {
  it.skipIf(python !== null || !torchRequired())("is found (CI, NNC_REQUIRE_TORCH)", () => {
    throw new Error(`PyTorch tests required (CI or NNC_REQUIRE_TORCH): ${missing}`);
  });
});

/** `||a - b|| / ||b||` per tensor, the worst of them; names and shapes must agree. */
function worstRelativeError(outPath: string, expectedPath: string): number {
  const out = readSafetensors(outPath);
  const expected = readSafetensors(expectedPath);
  expect([...out.keys()].sort()).toEqual([...expected.keys()].sort());
  let worst = 0;
  for (const [name, e] of expected) {
    const o = out.get(name)!;
    expect(o.shape, name).toEqual(e.shape);
    let diff = 0;
    let norm = 0;
    for (let i = 0; i < e.data.length; i++) {
      diff += (o.data[i]! - e.data[i]!) ** 2;
      norm += e.data[i]! ** 2;
    }
    worst = Math.max(worst, norm === 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm));
  }
  return worst;
}

/** The figures of epoch lines (`loss 0.1234  accuracy ...`), timing left out. */
function figures(stdout: string): Record<string, number>[] {
  return stdout
    .split("\n")
    .filter((l) => /^(epoch \d+\/\d+|test) /.test(l))
    .map((line) => {
      const parts = line.split("  ").filter((p) => !/s$|samples\/s$/.test(p) || /^\S+ /.test(p));
      const out: Record<string, number> = {};
      for (const part of parts) {
        const m = /^([a-z_0-9]+) (-?[\d.]+|NaN)$/.exec(part);
        if (m) out[m[1]!] = Number(m[2]);
      }
      return out;
    });
}

/** Same lines, same figures to the 4 decimals printed (float32 sums may differ in the last). */
function expectSameFigures(py: string, ours: string): void {
  const a = figures(py);
  const b = figures(ours);
  expect(a.length).toBe(b.length);
  expect(a.length).toBeGreaterThan(0);
  a.forEach((line, i) => {
    expect(Object.keys(line)).toEqual(Object.keys(b[i]!));
    for (const [k, v] of Object.entries(line)) {
      expect(
        Math.abs(v - b[i]![k]!),
        `line ${i + 1} ${k}: ${v} vs ${b[i]![k]!}`,
      ).toBeLessThanOrEqual(2e-4 + 1e-5 * Math.abs(v));
    }
  });
}

/**
 * torchrun on this machine with `n` processes, as the README writes it: `torchrun --standalone
 * --nproc_per_node=N train.py ...`, with Debian's workaround in the environment (torchrunEnv).
 * `--standalone` always puts its rendezvous on port 29400, so another torchrun on the machine
 * (a user's, or one started by hand during CI) makes it fail to bind: then it waits and tries
 * again, a few times, rather than fail on what is not train.py's doing.
 */
async function torchrunWith(n: number, args: readonly string[], cwd: string) {
  const argv = [...torchrun.slice(1), "--standalone", `--nproc_per_node=${n}`, ...args];
  for (let attempt = 1; ; attempt++) {
    const result = await run(torchrun[0]!, argv, cwd, 120_000, torchrunEnv);
    const portTaken = result.code !== 0 && /:29400 \(errno: 98/.test(result.stderr);
    if (!portTaken || attempt === 4) return result;
    await new Promise((resolve) => setTimeout(resolve, 2000 * attempt));
  }
}

/** Every setting train.py ports, in one model (iris, 150 rows). */
const knobsModel = `model Knobs {
  input  x: [batch, 4]
  target species: i32[batch]
  forward { x -> dense(16) -> tanh -> layernorm -> dense(3) -> softmax }
  loss      cross_entropy(weight: [1, 2, 0.5], label_smoothing: 0.1) + 1e-3 * l2(weights) + 1e-4 * l1(dense_1.weight)
  optimizer sgd(lr: 0.2, momentum: 0.9, nesterov: true, weight_decay: 0.01, clip_grad_norm: 1.0, clip_grad_value: 0.5)
  metrics   accuracy, mse
  train {
    epochs: 40, batch_size: 10, seed: 3, drop_last: true
    validation_split: 0.2
    early_stopping:   { monitor: val_accuracy, patience: 3 }
    lr_schedule:      cosine(epochs: 20)
  }
  data { source: csv("iris.csv", target: "species"), normalize: minmax, split: { test: 0.1, seed: 4 } }
}
`;

/** Every metric, on iris (classes), bin.csv's y (binary) and its petal length (regression). */
const metricsModels = `model Multi {
  input  x: [batch, 4]
  target species: i32[batch]
  forward { x -> dense(16) -> relu -> dense(3) -> softmax }
  loss      cross_entropy
  optimizer adam(lr: 0.01)
  metrics   accuracy, precision, recall(average: micro), f1, top_k_accuracy(2), mae
  train { epochs: 3, batch_size: 16, validation_split: 0.2 }
  data { source: csv("iris.csv", target: "species"), normalize: standard }
}
model Binary {
  input  x: [batch, 4]
  target y: [batch, 1]
  forward { x -> dense(8) -> tanh -> dense(1) -> sigmoid }
  loss      binary_cross_entropy
  optimizer adam(lr: 0.01)
  metrics   auc, f1, accuracy, precision, recall, mse
  train { epochs: 3, batch_size: 16, validation_split: 0.2 }
  data { source: csv("bin.csv", target: "y", drop: ["length"]), normalize: standard }
}
model Regression {
  input  x: [batch, 3]
  target length: [batch, 1]
  forward { x -> dense(8) -> tanh -> dense(1) }
  loss      huber(delta: 0.5)
  optimizer adamw(lr: 0.01)
  metrics   r2, rmse, mae
  train { epochs: 3, batch_size: 16, validation_split: 0.2 }
  data { source: csv("bin.csv", target: "length", drop: ["y", "c"]), normalize: standard }
}
`;

function copyToTemp(from: string, name: string): string {
  const dir = join(mkdtempSync(join(tmpdir(), `nnc-pytrain-${name}-`)), name);
  cpSync(from, dir, { recursive: true });
  return dir;
}

describe.runIf(python !== null)("train.py (python3 and torchrun)", () => {
  const py3 = python!;

  describe.concurrent.each(fixtures)("fixture %s", (name) => {
    it("matches PyTorch's expected weights, nnc's epoch lines, and 2 processes match 1", async () => {
      const dir = copyToTemp(join(fixturesDir, name), name);
      const built = await nnc(["build", "model.nn", "--emit", "pytorch", "-o", "py"], dir);
      expect(built.stderr).toBe("");
      expect(built.code).toBe(0);
      const init = ["--init", "init.safetensors"];
      const [one, two, ours] = await Promise.all([
        run(py3, ["py/train.py", ...init, "--save", "out.safetensors"], dir),
        // the acceptance's literal command
        torchrunWith(2, ["py/train.py", ...init, "--save", "out2.safetensors"], dir),
        nnc(["train", "model.nn", ...init], dir),
      ]);
      expect(one.stderr).toBe("");
      expect(one.code).toBe(0);
      const expected = JSON.parse(readFileSync(join(dir, "expected.json"), "utf8")) as {
        tolerance_relative: number;
      };
      expect(
        worstRelativeError(join(dir, "out.safetensors"), join(dir, "expected.safetensors")),
      ).toBeLessThanOrEqual(expected.tolerance_relative);
      expectSameFigures(one.stdout, ours.stdout);
      expect(two.code, two.stderr).toBe(0);
      // Rank 0 alone prints: the same epoch lines, once.
      expectSameFigures(two.stdout, one.stdout);
      expect(
        worstRelativeError(join(dir, "out2.safetensors"), join(dir, "out.safetensors")),
      ).toBeLessThanOrEqual(1e-5);
    }, 120_000);
  });

  interface Example {
    readonly file: string;
    readonly model: string;
    /** train.py's and nnc train's flags (few epochs). */
    readonly flags: readonly string[];
    /** Flags of the `nnc train --epochs 1` run that writes the shared --init. */
    readonly initFlags?: readonly string[];
    /** The largest relative error per tensor between the two runs' weights (1e-4 if unset). */
    readonly tolerance?: number;
    /** Also torchrun 2 processes against 1. */
    readonly torchrun?: boolean;
  }

  /**
   * Examples without dropout.
   *
   * mnist_cnn reads mnist() (the digits nnc build writes beside train.py): 16 Adam steps of 500
   * digits from a start of one full-batch step. Its weights part by float32 rounding alone,
   * measured from that start (worst tensor, ||a - b|| / ||b||): train.py vs nnc 1.8e-5 after 16
   * steps, and 2.9e-4 after 32 (batch 250); nnc's js and cpu backends 1.5e-7 after 16, but 4.8e-4
   * after 8 (batch 1000), as much as train.py is from either. It is rounding: in float64 train.py
   * stays within 3e-6 of nnc's js backend over a whole epoch (250 steps), and in float32 with
   * oneDNN off within 2.6e-5 of nnc's cpu backend after 32 steps. The jumps come from ReLUs at
   * exactly zero: conv2d_1's output on blank patches of a digit is its bias alone; a bias whose
   * gradient is rounding noise (|g| << Adam's eps 1e-8) moves by lr * g / eps, so that noise
   * decides whether the bias is 0 (no gradient through thousands of blank pixels) or 1e-9 (all of
   * them). One such flip moved the weights 5e-4 apart; 1e-3 allows one, while a semantic
   * difference parts them by far more within these 16 steps (Adam's eps 1e-7 instead of 1e-8
   * alone: 0.21). See README, "What does not" match.
   */
  const examples: readonly Example[] = [
    {
      file: "mnist_cnn.nn",
      model: "MnistCnn",
      flags: ["--epochs", "1", "--batch-size", "500"],
      initFlags: ["--batch-size", "8000"],
      tolerance: 1e-3,
    },
    { file: "iris.nn", model: "Iris", flags: ["--epochs", "5"] },
    { file: "regression.nn", model: "Diabetes", flags: ["--epochs", "5"] },
    { file: "xor.nn", model: "Xor", flags: ["--epochs", "30"] },
    { file: "reviews.nn", model: "Reviews", flags: ["--epochs", "3"] },
    { file: "waveform.nn", model: "Waveform", flags: ["--epochs", "2"] },
    { file: "course/04-losses.nn", model: "Mse", flags: ["--epochs", "3"] },
    { file: "course/05-optimizers.nn", model: "Nesterov", flags: ["--epochs", "3"] },
    { file: "course/05-optimizers.nn", model: "Adagrad", flags: ["--epochs", "3"] },
    { file: "course/05-optimizers.nn", model: "RmsProp", flags: ["--epochs", "3"] },
    { file: "course/06-init.nn", model: "He", flags: ["--epochs", "3"] },
    // the loss reads the forward binding z (model.py's values=True); batch size 1, so under
    // torchrun one rank gets an empty slice of each batch
    { file: "course/01-perceptron.nn", model: "PerceptronAnd", flags: [] },
    { file: "course/01-perceptron.nn", model: "PerceptronOr", flags: [], torchrun: true },
  ];

  describe.concurrent.each(examples)("examples/$file model $model", (example) => {
    const { file, model, flags } = example;
    it(`gives nnc train's weights and epoch lines from the same --init, run from any folder${example.torchrun ? "; torchrun 2 = 1" : ""}`, async () => {
      const root = copyToTemp(join(repoRoot, "examples"), "examples");
      const args = ["--model", model, ...flags];
      const built = await nnc(["build", file, "--emit", "pytorch", "-o", "py"], root);
      expect(built.code, built.stderr).toBe(0);
      const start = await nnc(
        [
          "train",
          file,
          "--model",
          model,
          "--epochs",
          "1",
          ...(example.initFlags ?? []),
          "--save",
          "init.safetensors",
        ],
        root,
      );
      expect(start.code, start.stderr).toBe(0);
      const init = ["--init", join(root, "init.safetensors")];
      const [py, ours] = await Promise.all([
        // From another folder: data paths resolve against the .nn file's folder.
        run(
          py3,
          [join(root, "py/train.py"), ...args, ...init, "--save", join(root, "py.safetensors")],
          tmpdir(),
        ),
        nnc(["train", file, ...args, ...init, "--save", "nnc.safetensors"], root),
      ]);
      expect(py.stderr).toBe("");
      expect(py.code).toBe(0);
      expect(ours.code, ours.stderr).toBe(0);
      expectSameFigures(py.stdout, ours.stdout);
      expect(
        worstRelativeError(join(root, "py.safetensors"), join(root, "nnc.safetensors")),
      ).toBeLessThanOrEqual(example.tolerance ?? 1e-4);
      if (example.torchrun === true) {
        const saved = ["--save", join(root, "two.safetensors")];
        const two = await torchrunWith(2, ["py/train.py", ...args, ...init, ...saved], root);
        expect(two.code, two.stderr).toBe(0);
        expectSameFigures(two.stdout, py.stdout);
        expect(
          worstRelativeError(join(root, "two.safetensors"), join(root, "py.safetensors")),
        ).toBeLessThanOrEqual(1e-5);
      }
    }, 120_000);
  });

  it("matches nnc's settings: class weights, smoothing, penalties, clipping, schedules, early stopping, splits, minmax; torchrun 3 = 1", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nnc-pytrain-knobs-"));
    cpSync(join(repoRoot, "examples/data/iris.csv"), join(dir, "iris.csv"));
    writeFileSync(join(dir, "k.nn"), knobsModel);
    expect((await nnc(["build", "k.nn", "--emit", "pytorch"], dir)).code).toBe(0);
    const start = await nnc(["train", "k.nn", "--epochs", "1", "--save", "init.safetensors"], dir);
    expect(start.code, start.stderr).toBe(0);
    const init = ["--init", "init.safetensors"];
    const [py, ours, three] = await Promise.all([
      run(py3, ["k_pytorch/train.py", ...init, "--save", "py.safetensors"], dir),
      nnc(["train", "k.nn", ...init, "--save", "nnc.safetensors"], dir),
      torchrunWith(3, ["k_pytorch/train.py", ...init, "--save", "three.safetensors"], dir),
    ]);
    expect(py.code, py.stderr).toBe(0);
    expect(ours.code, ours.stderr).toBe(0);
    expect(py.stdout).toMatch(/^early stopping after epoch \d+; weights of epoch \d+ restored$/m);
    expectSameFigures(py.stdout, ours.stdout);
    expect(py.stdout.split("\n").filter((l) => l.startsWith("early"))).toEqual(
      ours.stdout.split("\n").filter((l) => l.startsWith("early")),
    );
    expect(
      worstRelativeError(join(dir, "py.safetensors"), join(dir, "nnc.safetensors")),
    ).toBeLessThanOrEqual(1e-4);
    expect(three.code, three.stderr).toBe(0);
    expect(
      worstRelativeError(join(dir, "three.safetensors"), join(dir, "py.safetensors")),
    ).toBeLessThanOrEqual(1e-5);
  }, 120_000);

  it("prints every metric as nnc does (precision, recall, f1, top-k, auc, r2 ...), one process or two", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nnc-pytrain-metrics-"));
    const iris = readFileSync(join(repoRoot, "examples/data/iris.csv"), "utf8").trim().split("\n");
    writeFileSync(join(dir, "iris.csv"), `${iris.join("\n")}\n`);
    // species 2 against the rest, and its petal length as a regression target
    const binary = iris
      .slice(1)
      .map((l) => l.split(","))
      .map((c) => `${c.slice(0, 4).join(",")},${c[4] === "2" ? 1 : 0},${c[2]}`);
    writeFileSync(join(dir, "bin.csv"), `a,b,c,d,y,length\n${binary.join("\n")}\n`);
    writeFileSync(join(dir, "m.nn"), metricsModels);
    expect((await nnc(["build", "m.nn", "--emit", "pytorch"], dir)).code).toBe(0);
    const check = async (model: string): Promise<void> => {
      const args = ["--model", model];
      const start = await nnc(
        ["train", "m.nn", ...args, "--epochs", "1", "--save", `${model}.safetensors`],
        dir,
      );
      expect(start.code, start.stderr).toBe(0);
      const init = ["--init", `${model}.safetensors`];
      const [py, ours, two] = await Promise.all([
        run(py3, ["m_pytorch/train.py", ...args, ...init], dir),
        nnc(["train", "m.nn", ...args, ...init], dir),
        torchrunWith(2, ["m_pytorch/train.py", ...args, ...init], dir),
      ]);
      expect(py.code, py.stderr).toBe(0);
      expect(ours.code, ours.stderr).toBe(0);
      expect(two.code, two.stderr).toBe(0);
      expectSameFigures(py.stdout, ours.stdout);
      expectSameFigures(two.stdout, py.stdout);
    };
    await Promise.all(["Multi", "Binary", "Regression"].map(check));
  }, 120_000);

  it("--seed without --init starts from nnc's initial weights (nnc's generator, ported)", async () => {
    const dir = copyToTemp(join(fixturesDir, "conv_two_channels_adamw"), "seeded");
    expect((await nnc(["build", "model.nn", "--emit", "pytorch", "-o", "py"], dir)).code).toBe(0);
    const args = ["--seed", "5", "--epochs", "1"];
    const [py, ours] = await Promise.all([
      run(py3, ["py/train.py", ...args, "--save", "py.safetensors"], dir),
      nnc(["train", "model.nn", ...args, "--save", "nnc.safetensors"], dir),
    ]);
    expect(py.code, py.stderr).toBe(0);
    expect(ours.code, ours.stderr).toBe(0);
    expect(
      worstRelativeError(join(dir, "py.safetensors"), join(dir, "nnc.safetensors")),
    ).toBeLessThanOrEqual(1e-5);
    // What train.py saves, nnc predicts from.
    const predicted = await nnc(
      ["predict", "model.nn", "--load", "py.safetensors", "--data", "data.csv"],
      dir,
    );
    expect(predicted.code, predicted.stderr).toBe(0);
  }, 120_000);

  it("max, min and clip at ties differentiate as nnc does (halved for max/min, clamp's for clip)", async () => {
    // A zero-initialised dense makes every h exactly 0 at the first step: each max, min and
    // clip below is at a tie. Printed as clamp, max(h, 0) gave h the whole cotangent (nnc
    // halves it, as torch.maximum does) and the weights parted by 0.1 in 3 epochs.
    const dir = mkdtempSync(join(tmpdir(), "nnc-pytrain-ties-"));
    cpSync(join(repoRoot, "examples/data/iris.csv"), join(dir, "iris.csv"));
    writeFileSync(
      join(dir, "t.nn"),
      `model Ties {
  input  x: [batch, 4]
  target species: i32[batch]
  forward {
    h = x -> dense(8, init: zeros)
    (max(h, 0) + 0.1 * min(0, h) + clip(h, 0, 1)) -> dense(3) -> softmax
  }
  loss      cross_entropy + 0.01 * mean(max(h, 0))
  optimizer sgd(lr: 0.1)
  train { epochs: 3, batch_size: 16, shuffle: false }
  data { source: csv("iris.csv", target: "species"), normalize: standard }
}
`,
    );
    expect((await nnc(["build", "t.nn", "--emit", "pytorch"], dir)).code).toBe(0);
    const [py, ours] = await Promise.all([
      run(py3, ["t_pytorch/train.py", "--seed", "5", "--save", "py.safetensors"], dir),
      nnc(["train", "t.nn", "--seed", "5", "--save", "nnc.safetensors"], dir),
    ]);
    expect(py.code, py.stderr).toBe(0);
    expect(ours.code, ours.stderr).toBe(0);
    expectSameFigures(py.stdout, ours.stdout);
    expect(
      worstRelativeError(join(dir, "py.safetensors"), join(dir, "nnc.safetensors")),
    ).toBeLessThanOrEqual(1e-5);
  }, 120_000);

  it("says where and why it cannot train a model", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nnc-pytrain-limits-"));
    writeFileSync(join(dir, "d.csv"), "a,b,y\n0,1,1\n1,0,0\n");
    writeFileSync(
      join(dir, "m.nn"),
      `model ReadsInput {
  input  x: [batch, 2]
  target y: [batch, 1]
  forward { x -> dense(1) }
  loss      mean((output - y) * x)
  optimizer sgd(lr: 0.1)
  data      { source: csv("d.csv", target: "y") }
}
`,
    );
    expect((await nnc(["build", "m.nn", "--emit", "pytorch", "-o", "p"], dir)).code).toBe(0);
    const reads = await run(py3, ["p/train.py"], dir);
    expect(reads.code).toBe(1);
    expect(reads.stderr).toMatch(
      /^train\.py: cannot train ReadsInput in PyTorch: m\.nn:5:\d+: the loss reads the input x, but train\.py passes the loss only output, the target, parameters and the forward section's bindings\n$/,
    );
  }, 60_000);
});
