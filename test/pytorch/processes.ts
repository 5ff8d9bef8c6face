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

/**
 * What Debian 12's torchrun (torch 1.13, Python 3.11) needs in its environment: it cannot
 * parse its own default `--redirects 0` (Python 3.11's IntFlag iteration skips the zero
 * member, so Std.from_str("0") is None); these defaults stand in for `--redirects 2 --tee 2`,
 * so the README's commands run as written. Harmless for other versions.
 */
export const torchrunEnv: Readonly<Record<string, string>> = { PET_REDIRECTS: "2", PET_TEE: "2" };

/** Runs a command to its end (never rejects): exit code and output; `env` added to ours. */
export function run(
  command: string,
  args: readonly string[],
  cwd: string,
  timeoutMs = 120_000,
  env: Readonly<Record<string, string>> = {},
): Promise<ProcessRun> {
  return new Promise((resolve) => {
    execFile(
      command,
      [...args],
      {
        cwd,
        timeout: timeoutMs,
        maxBuffer: 16 << 20,
        env: { ...process.env, OMP_NUM_THREADS: "1", ...env },
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
