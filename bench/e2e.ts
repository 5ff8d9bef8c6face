/**
 * End to end: `nnc train examples/mnist.nn --epochs 1 --batch-size B` as a user runs it (the
 * shipped digits, batch loading, progress and evaluation included), in a child process; the
 * figure is the samples/s of its epoch line. When the command offers `--threads`, it also runs
 * with `--threads 1`.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { packageRoot } from "../compiler/cli/package-root.js";

export interface EpochRun {
  readonly args: readonly string[];
  /** What the command printed (header lines, the epoch line, the test line). */
  readonly output: readonly string[];
  readonly samplesPerSecond: number | null;
}

const nnc = (): string => join(packageRoot(), "bin", "nnc.js");

/** Whether `nnc train` takes `--threads` (the wasm backend's worker pool). */
export function trainTakesThreads(): boolean {
  const help = spawnSync(process.execPath, [nnc(), "train", "--help"], { encoding: "utf8" });
  return /--threads\b/.test(help.stdout);
}

/** One epoch of examples/mnist.nn with these extra arguments. */
export function trainMnistEpoch(extra: readonly string[]): EpochRun {
  const args = ["train", "examples/mnist.nn", "--epochs", "1", ...extra];
  const run = spawnSync(process.execPath, [nnc(), ...args], {
    cwd: packageRoot(),
    encoding: "utf8",
  });
  if (run.status !== 0) throw new Error(`nnc ${args.join(" ")} failed:\n${run.stderr}`);
  const output = run.stdout.trim().split("\n");
  const epoch = output.find((l) => l.startsWith("epoch "));
  const rate = epoch ? /(\d+) samples\/s/.exec(epoch)?.[1] : undefined;
  return { args, output, samplesPerSecond: rate === undefined ? null : Number(rate) };
}
