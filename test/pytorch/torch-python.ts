import { execFile, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

/**
 * The Python that the PyTorch tests run: env NNC_PYTHON, else /usr/bin/python3 (Debian's, with
 * python3-torch) when it imports torch and numpy, else `python3` from PATH. `python` is null
 * when none imports them; `why` says so. `required` (env CI or NNC_REQUIRE_TORCH set) turns
 * that skip into a failure, so CI never passes by skipping.
 */
export interface TorchPython {
  readonly python: string | null;
  readonly why: string;
  readonly required: boolean;
  /** The torchrun launcher as argv prefix: /usr/bin/torchrun, else `python -m torch.distributed.run`. */
  readonly torchrun: readonly string[];
}

function importsTorch(python: string): boolean {
  const r = spawnSync(python, ["-c", "import torch, numpy"], { encoding: "utf8", timeout: 60_000 });
  return r.status === 0;
}

export function findTorchPython(): TorchPython {
  const required = Boolean(process.env["CI"] || process.env["NNC_REQUIRE_TORCH"]);
  const candidates = process.env["NNC_PYTHON"]
    ? [process.env["NNC_PYTHON"]]
    : ["/usr/bin/python3", "python3"];
  const python = candidates.find(importsTorch) ?? null;
  const torchrun =
    python === "/usr/bin/python3" && existsSync("/usr/bin/torchrun")
      ? ["/usr/bin/torchrun"]
      : [python ?? "python3", "-m", "torch.distributed.run"];
  return {
    python,
    why:
      python === null
        ? `no Python that imports torch and numpy (tried ${candidates.join(", ")}; set NNC_PYTHON, or apt-get install python3-torch python3-numpy)`
        : "",
    required,
    torchrun,
  };
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
