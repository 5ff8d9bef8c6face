import { spawnSync } from "node:child_process";

/**
 * The Python that runs the PyTorch tests: env NNC_PYTHON, else Debian's /usr/bin/python3 when
 * it imports torch, else `python3` from PATH. When none imports torch the tests are skipped
 * with `reason`, unless CI or NNC_REQUIRE_TORCH is set: then they must run, and fail.
 */
export type TorchPython =
  { readonly ok: true; readonly command: string } | { readonly ok: false; readonly reason: string };

function importsTorch(command: string): boolean {
  const run = spawnSync(command, ["-c", "import torch, numpy"], {
    stdio: "ignore",
    timeout: 60_000,
  });
  return run.status === 0;
}

export function findTorchPython(): TorchPython {
  const candidates = [process.env["NNC_PYTHON"], "/usr/bin/python3", "python3"].filter(
    (c): c is string => c !== undefined && c !== "",
  );
  for (const command of candidates) if (importsTorch(command)) return { ok: true, command };
  return {
    ok: false,
    reason: `no Python that imports torch and numpy (tried ${candidates.join(", ")}; set NNC_PYTHON, or install python3-torch and python3-numpy)`,
  };
}

/** Whether a missing torch must fail the tests rather than skip them (CI). */
export function torchRequired(): boolean {
  return Boolean(process.env["CI"] || process.env["NNC_REQUIRE_TORCH"]);
}
