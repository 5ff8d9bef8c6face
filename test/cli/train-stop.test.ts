import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readSafetensors } from "../../runtime/io/safetensors-file.js";
import { nnc } from "../helpers/cli.js";
import { repoRoot } from "../helpers/compile.js";

// Issue 10 items 3 and 6: divergence stops `nnc train` (exit 1, no NaN checkpoint), outputs are
// checked before any work, and SIGINT/SIGTERM save the last finished epoch's weights.

function workspace(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "nnc-stop-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const regression = (lr: number, epochs: number, data: string) => `model Line {
  input  x: [batch, 1]
  target y: [batch, 1]
  forward { x -> dense(1) }
  loss mse
  optimizer sgd(lr: ${lr})
  train { epochs: ${epochs}, batch_size: 1, shuffle: false }
  data { source: csv("${data}", target: "y") }
}
`;
const lineCsv = `x,y\n${Array.from({ length: 10 }, (_, i) => `${i + 1},${i + 1}`).join("\n")}\n`;

function allFinite(path: string): boolean {
  return [...readSafetensors(path).values()].every((t) => [...t.data].every(Number.isFinite));
}

describe("nnc train stops on divergence", () => {
  it("names the epoch and step, the last finite loss and a hint; exit 1; no NaN checkpoint", async () => {
    // lr 0.05 on inputs up to 10 overshoots more at each step: finite for a few epochs, then not.
    const dir = workspace({ "m.nn": regression(0.05, 300, "d.csv"), "d.csv": lineCsv });
    const result = await nnc(
      ["train", "m.nn", "--backend", "js", "--save", "w.safetensors", "--history", "h.json"],
      dir,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^nnc: training diverged: the loss became NaN or infinite at epoch (\d+), step \d+; last finite loss \S+ \(epoch \d+, step \d+\); saved the weights of epoch \d+, the last finite ones, to w\.last-finite\.safetensors; try a lower learning rate .*normalis/,
    );
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(existsSync(join(dir, "w.safetensors"))).toBe(false);
    expect(allFinite(join(dir, "w.last-finite.safetensors"))).toBe(true);
    expect(existsSync(join(dir, "h.json"))).toBe(true);
  });
});

describe("nnc train checks its outputs before training", () => {
  const files = () => workspace({ "m.nn": regression(0.01, 2, "d.csv"), "d.csv": lineCsv });

  it.each([
    [
      "--save",
      "/proc/nnc-test/w.safetensors",
      /cannot write --save \/proc\/nnc-test\/w\.safetensors: cannot create its folder: /,
    ],
    [
      "--plot",
      "/proc/c.svg",
      /cannot write --plot \/proc\/c\.svg: cannot create a file in \/proc: /,
    ],
    [
      "--history",
      "d.csv/h.json",
      /cannot write --history d\.csv\/h\.json: cannot create a file in d\.csv: a part of the path is not a directory/,
    ],
    ["--save", ".", /cannot write --save \.: it is a directory, not a file/],
  ])("%s %s fails at once in one line", async (flag, path, message) => {
    const result = await nnc(["train", "m.nn", "--backend", "js", flag, path], files());
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(""); // no epoch ran
    expect(result.stderr).toMatch(message);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
  });

  it("creates missing folders", async () => {
    const dir = files();
    const result = await nnc(
      ["train", "m.nn", "--backend", "js", "--save", "a/b/w.safetensors", "--plot", "p/c.svg"],
      dir,
    );
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(statSync(join(dir, "a/b/w.safetensors")).isFile()).toBe(true);
    expect(statSync(join(dir, "p/c.svg")).isFile()).toBe(true);
    expect(readdirSync(join(dir, "a/b"))).toEqual(["w.safetensors"]); // no probe left behind
  });

  it("predict -o is checked before predicting", async () => {
    const dir = files();
    expect((await nnc(["train", "m.nn", "--save", "w.safetensors"], dir)).code).toBe(0);
    const result = await nnc(
      ["predict", "m.nn", "--load", "w.safetensors", "--data", "d.csv", "-o", "/proc/p.csv"],
      dir,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^nnc: cannot write -o \/proc\/p\.csv: /);
  });
});

/** Runs `nnc train` as a child process and sends `signal` once its second epoch line is out. */
function trainUntilSignal(
  dir: string,
  args: readonly string[],
  signal: NodeJS.Signals,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, "bin/nnc.js"), "train", ...args], {
      cwd: dir,
    });
    let stdout = "";
    let stderr = "";
    let sent = false;
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!sent && /^epoch 2\//m.test(stdout)) {
        sent = true;
        child.kill(signal);
      }
    });
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("nnc train on SIGINT and SIGTERM (child processes)", () => {
  // Long epochs (many one-row steps), far more epochs than the test waits for.
  const slow = () => {
    const rows = Array.from({ length: 4000 }, (_, i) => `${(i % 7) / 7},${(i % 5) / 5}`);
    return workspace({
      "m.nn": regression(0.001, 100000, "d.csv"),
      "d.csv": `x,y\n${rows.join("\n")}\n`,
    });
  };

  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const)(
    "%s stops after the current step, saves the last finished epoch and exits %d",
    async (signal, status) => {
      const dir = slow();
      const run = await trainUntilSignal(
        dir,
        ["m.nn", "--backend", "js", "--save", "out/w.safetensors"],
        signal,
      );
      expect(run.code).toBe(status);
      const match = new RegExp(
        `^nnc: interrupted by ${signal} after (\\d+) finished epochs?; saved the weights of epoch (\\d+) to out/w\\.safetensors\\n$`,
      ).exec(run.stderr);
      expect(match, run.stderr).not.toBeNull();
      expect(match![1]).toBe(match![2]);
      const epochLines = run.stdout.trim().split("\n").length;
      expect(Number(match![1])).toBe(epochLines);
      expect(allFinite(join(dir, "out/w.safetensors"))).toBe(true);
      expect(readdirSync(join(dir, "out"))).toEqual(["w.safetensors"]);
    },
    30_000,
  );

  it("without --save it just stops, with the status", async () => {
    const run = await trainUntilSignal(slow(), ["m.nn", "--backend", "js"], "SIGINT");
    expect(run.code).toBe(130);
    expect(run.stderr).toMatch(/^nnc: interrupted by SIGINT after \d+ finished epochs?\n$/);
  }, 30_000);
});
