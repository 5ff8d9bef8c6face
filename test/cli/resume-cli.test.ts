import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseSafetensors } from "../../runtime/io/safetensors.js";
import { parseTrainingCheckpoint } from "../../runtime/train/training-checkpoint.js";
import { nnc } from "../helpers/cli.js";

/** A normalised classifier with validation, a schedule and early stopping (patient). */
const model = (opt = "adam(lr: 0.05)", width = 6, extra = "") => `model Clf {
  input  x: [batch, 3]
  target y: i32[batch]
  forward { x -> dense(${width}) -> relu -> dropout(0.2) -> dense(3) -> softmax }
  loss      cross_entropy
  optimizer ${opt}
  metrics   accuracy
  train     { epochs: 10, batch_size: 4, seed: 5, validation_split: 0.25,
              lr_schedule: step(every: 2, gamma: 0.7),
              early_stopping: { monitor: val_loss, patience: 30 }${extra} }
  data      { source: csv("d.csv", target: "y"), normalize: standard }
}
`;

const rows = Array.from({ length: 40 }, (_, i) => {
  const [a, b, c] = [Math.sin(i), Math.cos(i * 1.3), (i % 7) / 7];
  return `${a.toFixed(4)},${b.toFixed(4)},${c.toFixed(4)},${(i * 5) % 3}`;
});
const csv = `a,b,c,y\n${rows.join("\n")}\n`;

function workspace(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "nnc-resume-cli-"));
  const all = { "m.nn": model(), "d.csv": csv, ...files };
  for (const [name, text] of Object.entries(all)) writeFileSync(join(dir, name), text);
  return dir;
}

const js = ["--backend", "js"];
const train = (dir: string, ...args: string[]) => nnc(["train", "m.nn", ...js, ...args], dir);

/** Every tensor's float32 bits, the training ones included, and the weights file's. */
function tensorsOf(path: string): Record<string, number[]> {
  const { tensors } = parseSafetensors(readFileSync(path), path);
  return Object.fromEntries(
    [...tensors].map(([name, t]) => [name, [...new Uint32Array(t.data.buffer)]]),
  );
}

describe.each([
  ["adam", "adam(lr: 0.05)"],
  ["sgd momentum", "sgd(lr: 0.1, momentum: 0.9)"],
])("nnc train --resume (%s)", (_name, optimizer) => {
  it("5 epochs with --checkpoint-dir, then --resume to 10, equal 10 in one run", async () => {
    const dir = workspace({ "m.nn": model(optimizer) });
    const first = await train(dir, "--epochs", "5", "--checkpoint-dir", "ck");
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    const resumed = await train(
      dir,
      "--resume",
      "ck/last.safetensors",
      "--epochs",
      "10",
      "--save",
      "r.safetensors",
      "--history",
      "h.json",
      "--checkpoint-dir",
      "ck2",
    );
    expect(resumed.stderr).toBe("");
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(
      /^resuming ck\/last.safetensors after epoch 5 of 10\nepoch 6\/10 /,
    );
    const whole = await train(dir, "--save", "w.safetensors", "--checkpoint-dir", "ck3");
    expect(whole.code).toBe(0);
    const epochLines = (text: string) =>
      text
        .split("\n")
        .filter((l) => l.startsWith("epoch") || l.startsWith("test"))
        .map((l) => l.replace(/\s+[\d.]+s\s+\d+ samples\/s$/, ""));
    expect(epochLines(first.stdout).slice(0, 5)).toEqual(
      epochLines(whole.stdout)
        .slice(0, 5)
        .map((l) => l.replace("/10", "/5")),
    );
    expect(epochLines(resumed.stdout)).toEqual(epochLines(whole.stdout).slice(5));
    // Weights and optimizer state, bit for bit.
    expect(tensorsOf(join(dir, "r.safetensors"))).toEqual(tensorsOf(join(dir, "w.safetensors")));
    expect(tensorsOf(join(dir, "ck2/last.safetensors"))).toEqual(
      tensorsOf(join(dir, "ck3/last.safetensors")),
    );
    const history = JSON.parse(readFileSync(join(dir, "h.json"), "utf8")) as {
      epochs: { epoch: number }[];
    };
    expect(history.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });
});

describe("nnc train --checkpoint-dir", () => {
  it("writes last, best and the newest `keep` epoch files, each a training checkpoint", async () => {
    const dir = workspace({ "m.nn": model(undefined, 6, ", checkpoint: { keep: 2 }") });
    const run = await train(dir, "--epochs", "4", "--checkpoint-dir", "out/ck");
    expect(run.code).toBe(0);
    const files = readdirSync(join(dir, "out/ck")).sort();
    expect(files).toEqual([
      "best.safetensors",
      "epoch-0003.safetensors",
      "epoch-0004.safetensors",
      "last.safetensors",
    ]);
    const last = parseTrainingCheckpoint(readFileSync(join(dir, "out/ck/last.safetensors")), "l");
    expect(last.training.epoch).toBe(4);
    expect(last.training.history).toHaveLength(4);
    expect(last.metadata["nnc.normalize"]).toContain("standard");
    const best = parseTrainingCheckpoint(readFileSync(join(dir, "out/ck/best.safetensors")), "b");
    expect(best.training.bestCheckpoint?.monitor).toBe("val_loss");
    // No temporary file is left behind.
    expect(files.some((f) => f.includes(".tmp"))).toBe(false);
    // --init, predict --load and load() read a training checkpoint's weights.
    const init = await train(dir, "--init", "out/ck/last.safetensors", "--epochs", "1", "--quiet");
    expect(init.stderr).toBe("");
    expect(init.code).toBe(0);
    writeFileSync(join(dir, "new.csv"), "a,b,c\n0.1,0.2,0.3\n");
    const predict = await nnc(
      ["predict", "m.nn", "--load", "out/ck/best.safetensors", "--data", "new.csv", ...js],
      dir,
    );
    expect(predict.stderr).toBe("");
    expect(predict.stdout.split("\n")[0]).toBe("output_0,output_1,output_2,predicted");
  });

  it("follows the .nn's checkpoint setting without the flag, every 2 epochs, monitor loss", async () => {
    const dir = workspace({
      "m.nn": model(
        undefined,
        6,
        ', checkpoint: { dir: "saved", every: 2, keep: 0, monitor: loss }',
      ),
    });
    const run = await train(dir, "--epochs", "3");
    expect(run.code).toBe(0);
    expect(readdirSync(join(dir, "saved")).sort()).toEqual([
      "best.safetensors",
      "last.safetensors",
    ]);
    const last = parseTrainingCheckpoint(readFileSync(join(dir, "saved/last.safetensors")), "l");
    // Every 2 epochs and after the final one.
    expect(last.training.epoch).toBe(3);
    expect(last.training.bestCheckpoint?.monitor).toBe("loss");
  });

  it("monitors loss when there is no validation data", async () => {
    const dir = workspace({
      "m.nn": model()
        .replace(", validation_split: 0.25", "")
        .replace(/early_stopping: [^}]*}/, "shuffle: true"),
    });
    const run = await train(dir, "--epochs", "2", "--checkpoint-dir", "ck");
    expect(run.stderr).toBe("");
    const best = parseTrainingCheckpoint(readFileSync(join(dir, "ck/best.safetensors")), "b");
    expect(best.training.bestCheckpoint?.monitor).toBe("loss");
  });
});

describe("nnc train --resume: the decided cases", () => {
  async function checkpointed(): Promise<string> {
    const dir = workspace();
    const run = await train(dir, "--epochs", "3", "--checkpoint-dir", "ck", "--quiet");
    expect(run.code).toBe(0);
    return dir;
  }

  it("says so and exits 0 when the checkpoint is already at --epochs", async () => {
    const dir = await checkpointed();
    const run = await train(dir, "--resume", "ck/last.safetensors", "--epochs", "3");
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    expect(run.stdout).toMatch(
      /^ck\/last.safetensors has already trained 3 epochs and --epochs 3 counts them all: nothing to train\n/,
    );
    expect(run.stdout).not.toMatch(/^epoch/m);
  });

  it("says so and exits 0 when early stopping had fired", async () => {
    const dir = workspace({
      "m.nn": model().replace("patience: 30", "patience: 0, min_delta: 100"),
    });
    const first = await train(dir, "--checkpoint-dir", "ck", "--quiet");
    expect(first.code).toBe(0);
    const run = await train(dir, "--resume", "ck/last.safetensors");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^early stopping had already stopped the run of ck\/last.safetensors after epoch 2: nothing to train\n/,
    );
  });

  it("refuses --resume with --init", async () => {
    const dir = await checkpointed();
    const run = await train(
      dir,
      "--resume",
      "ck/last.safetensors",
      "--init",
      "ck/last.safetensors",
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      "nnc: --resume continues a run from its checkpoint (weights, optimizer state, epoch) and --init starts a new run from weights: give one of them\n",
    );
  });

  it("locates a parameter that no longer fits at its layer (E505)", async () => {
    const dir = await checkpointed();
    writeFileSync(join(dir, "m.nn"), model(undefined, 5));
    const run = await train(dir, "--resume", "ck/last.safetensors");
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr.split("\n")[0]).toBe(
      "m.nn:4:18: error[E505]: shape of dense_1.weight is [6, 3] in ck/last.safetensors but [5, 3] in the model (and 2 more): the .nn changed since the checkpoint; resume with the .nn it was trained with, or train anew without --resume",
    );
  });

  it("refuses another optimizer's state in one line", async () => {
    const dir = await checkpointed();
    writeFileSync(join(dir, "m.nn"), model("sgd(lr: 0.1, momentum: 0.9)"));
    const run = await train(dir, "--resume", "ck/last.safetensors");
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^nnc: ck\/last.safetensors holds the state of another optimizer \(exp_avg, exp_avg_sq, optimizer.step\) than the model's \(momentum_buffer, optimizer.step\)/,
    );
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("warns once each for another batch size, seed or data, and trains", async () => {
    const dir = await checkpointed();
    // Another first row: the training rows differ (an added last row would be validation).
    writeFileSync(join(dir, "d.csv"), csv.replace(/\n[^,]*,/, "\n0.5,"));
    const run = await train(
      dir,
      "--resume",
      "ck/last.safetensors",
      "--epochs",
      "4",
      "--batch-size",
      "8",
      "--seed",
      "6",
      "--quiet",
    );
    expect(run.code).toBe(0);
    const warnings = run.stderr.trim().split("\n");
    expect(warnings, run.stderr).toHaveLength(3);
    expect(warnings[0]).toMatch(
      /^nnc: warning: ck\/last.safetensors was trained with batch_size 4; resuming with 8/,
    );
    expect(warnings[1]).toMatch(
      /^nnc: warning: the training data differs from ck\/last.safetensors's/,
    );
    expect(warnings[2]).toMatch(
      /^nnc: warning: ck\/last.safetensors was trained with seed 5; resuming with seed 6/,
    );
  });

  it("refuses a state_dict, a truncated file and garbage in one line each", async () => {
    const dir = await checkpointed();
    const saved = await train(dir, "--epochs", "1", "--save", "w.safetensors", "--quiet");
    expect(saved.code).toBe(0);
    const bytes = readFileSync(join(dir, "ck/last.safetensors"));
    writeFileSync(join(dir, "trunc.safetensors"), bytes.subarray(0, bytes.length - 9));
    writeFileSync(join(dir, "garbage.safetensors"), "not a checkpoint at all");
    for (const [file, message] of [
      [
        "w.safetensors",
        /^nnc: w.safetensors is a state_dict \(weights only\), not a training checkpoint/,
      ],
      ["trunc.safetensors", /^nnc: trunc.safetensors: .*(truncated|out of range)/],
      ["garbage.safetensors", /^nnc: garbage.safetensors: /],
      ["missing.safetensors", /^nnc: cannot read missing.safetensors: /],
    ] as const) {
      const run = await train(dir, "--resume", file);
      expect(run.code, file).toBe(1);
      expect(run.stderr, file).toMatch(message);
      expect(run.stderr.trim().split("\n"), file).toHaveLength(1);
      expect(existsSync(join(dir, "ck/epoch-0004.safetensors"))).toBe(false);
    }
  });
});
