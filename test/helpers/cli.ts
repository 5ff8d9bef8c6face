import { runCli } from "../../compiler/cli/main.js";
import { repoRoot } from "./compile.js";

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `nnc ARGS` in process from `cwd` (not a terminal), collecting what it prints. */
export async function nnc(args: string[], cwd: string = repoRoot): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(args, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    cwd,
    isTty: false,
  });
  return { code, stdout, stderr };
}
