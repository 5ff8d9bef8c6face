/**
 * End to end: `nnc train` as a user runs it (batch loading, progress, validation and the epoch
 * line included), in a child process; the figure is the samples/s of an epoch line, which
 * times the whole epoch. Two kinds of run:
 *
 * - examples/mnist.nn, one epoch, as the README runs it (the first epoch: compilation of the
 *   kernels, JIT warm-up and buffer planning included);
 * - each bench model (bench/models/T1-T4) with a data section added: T1, T2 and T4 on the
 *   shipped digits (`mnist()`, 7,200 training samples an epoch) for 5 epochs, T3 on a seeded
 *   synthetic CSV of 25,600 rows (5 features, a linear target plus noise: 100 steps an epoch,
 *   a data set of the course's size) for 20 epochs. The figure is the median epoch of the
 *   second half (steady state: kernels compiled, the JIT warm), beside the first epoch's.
 *
 * When the command offers `--threads`, runs are repeated with `--threads 1`.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packageRoot } from "../compiler/cli/package-root.js";

export interface EpochRun {
  readonly args: readonly string[];
  /** What the command printed (header lines, the epoch lines, the test line). */
  readonly output: readonly string[];
  /** Samples/s of each epoch line, in order. */
  readonly epochs: readonly number[];
  /**
   * The steady state: the median samples/s of the second half of the epochs (the only epoch's
   * when there is one; null when the command printed no epoch line).
   */
  readonly samplesPerSecond: number | null;
  /** The batch size it trained with (the model's `batch_size`, or `--batch-size`). */
  readonly batch: number | null;
}

const nnc = (): string => join(packageRoot(), "bin", "nnc.js");

/** Whether `nnc train` takes `--threads` (the wasm backend's worker pool). */
export function trainTakesThreads(): boolean {
  const help = spawnSync(process.execPath, [nnc(), "train", "--help"], { encoding: "utf8" });
  return /--threads\b/.test(help.stdout);
}

function trainRun(args: readonly string[], cwd: string): EpochRun {
  const run = spawnSync(process.execPath, [nnc(), ...args], { cwd, encoding: "utf8" });
  if (run.status !== 0) throw new Error(`nnc ${args.join(" ")} failed:\n${run.stderr}`);
  const output = run.stdout.trim().split("\n");
  const epochs = output
    .filter((l) => l.startsWith("epoch "))
    .map((l) => Number(/(\d+) samples\/s/.exec(l)?.[1] ?? NaN));
  const steady = [...epochs.slice(Math.floor(epochs.length / 2))].sort((a, b) => a - b);
  const last = steady[Math.floor((steady.length - 1) / 2)];
  const batchFlag = args.indexOf("--batch-size");
  const batch = batchFlag >= 0 ? Number(args[batchFlag + 1]) : null;
  return { args, output, epochs, samplesPerSecond: last === undefined ? null : last, batch };
}

/** One epoch of examples/mnist.nn with these extra arguments. */
export function trainMnistEpoch(extra: readonly string[]): EpochRun {
  return trainRun(["train", "examples/mnist.nn", "--epochs", "1", ...extra], packageRoot());
}

/** Epochs of each bench model's run: about 0.5 to 6 s of training each. */
const epochCounts: Readonly<Record<string, number>> = { t1: 5, t2: 5, t3: 20, t4: 5 };

/** The data section each bench model trains on end to end. */
const dataSections: Readonly<Record<string, string>> = {
  t1: "data { source: mnist(), split: { test: 0.2, seed: 2022 } }",
  t2: "data { source: mnist(), split: { test: 0.2, seed: 2022 } }",
  t3: 'data { source: csv("t3.csv", target: "y") }',
  t4: "data { source: mnist(), split: { test: 0.2, seed: 2022 } }",
};

export const endToEndModels: readonly string[] = Object.keys(dataSections);

/**
 * T3's rows: 25,600 of 24 bytes, which stay in cache. A shuffled batch gathers its rows from
 * random places, so a data set far beyond the cache costs a memory latency per row (about 90 ns
 * here, 23 us of a 256-row step at 4 MB), whatever runs the model.
 *
 * y = x · (1, -2, 0.5, 3, -1) + 0.1 + noise, features uniform in [0, 1), seeded. */
function t3Csv(rows: number): string {
  let state = 2022;
  const uniform = (): number => {
    // xorshift32: a fixed stream, so every run trains on the same file
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  const weights = [1, -2, 0.5, 3, -1];
  const lines = ["x1,x2,x3,x4,x5,y"];
  for (let r = 0; r < rows; r++) {
    const x = weights.map(() => uniform());
    const y = x.reduce((s, v, i) => s + v * weights[i]!, 0.1) + 0.01 * (uniform() - 0.5);
    lines.push([...x, y].map((v) => v.toFixed(5)).join(","));
  }
  return `${lines.join("\n")}\n`;
}

/**
 * `nnc train tN.nn --epochs E ...extra` for bench model `id` with its data section, in a
 * temporary folder (removed afterwards).
 */
export function trainBenchModelEpochs(id: string, extra: readonly string[]): EpochRun {
  const section = dataSections[id];
  if (section === undefined) throw new Error(`no end-to-end data for bench model ${id}`);
  const dir = mkdtempSync(join(tmpdir(), "nnc-bench-e2e-"));
  try {
    const source = readFileSync(join(packageRoot(), "bench", "models", `${id}.nn`), "utf8");
    const close = source.lastIndexOf("}");
    writeFileSync(join(dir, `${id}.nn`), `${source.slice(0, close)}  ${section}\n}\n`);
    if (id === "t3") writeFileSync(join(dir, "t3.csv"), t3Csv(25_600));
    const epochs = String(epochCounts[id] ?? 5);
    const run = trainRun(["train", `${id}.nn`, "--epochs", epochs, ...extra], dir);
    const batch = run.batch ?? Number(/batch_size:\s*(\d+)/.exec(source)?.[1] ?? NaN);
    return {
      ...run,
      batch,
      args: ["train", `bench/models/${id}.nn`, "--epochs", epochs, ...extra],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
