import { execFile } from "node:child_process";
import { existsSync } from "node:fs";

/** The torchrun launcher for `python` as an argv prefix: Debian's /usr/bin/torchrun beside
 * /usr/bin/python3, else `python -m torch.distributed.run`. */
export function torchrunFor(python: string): readonly string[] {
  return python === "/usr/bin/python3" && existsSync("/usr/bin/torchrun")
    ? ["/usr/bin/torchrun"]
    : [python, "-m", "torch.distributed.run"];
}

export interface ProcessRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to its end (never rejects): exit code and output. */
export function run(
  command: string,
  args: readonly string[],
  cwd: string,
  timeoutMs = 120_000,
): Promise<ProcessRun> {
  return new Promise((resolve) => {
    execFile(
      command,
      [...args],
      {
        cwd,
        timeout: timeoutMs,
        maxBuffer: 16 << 20,
        env: { ...process.env, OMP_NUM_THREADS: "1" },
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
