import { readInputFile } from "../../runtime/io/fs.js";
import { resolve } from "node:path";
import { printable } from "../diagnostics/printable.js";

/** Where the command line writes and reads; tests pass their own to capture output. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly cwd: string;
  /** True when stderr is a terminal: colours and progress bars are allowed. */
  readonly isTty: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** A user-facing failure outside any source file: printed as one line, exit status 1. */
export class CliError extends Error {}

/** Reads a source file as UTF-8 (a byte-order mark is dropped); a failure is one clear line. */
export function readSource(io: CliIo, file: string): string {
  try {
    return readInputFile(resolve(io.cwd, file))
      .toString("utf8")
      .replace(/^\uFEFF/, "");
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${describeFsError(error)}`);
  }
}

/**
 * readSource for commands that go on to the next file (`nnc check`, `nnc fmt`): a file that
 * cannot be read is reported as one `nnc:` line and gives null.
 */
export function readSourceOrReport(io: CliIo, file: string): string | null {
  try {
    return readSource(io, file);
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    io.stderr(`nnc: ${printable(error.message)}\n`);
    return null;
  }
}

export function describeFsError(error: unknown): string {
  const code = (error as { code?: string }).code;
  switch (code) {
    case "ENOENT":
      return "no such file or directory";
    case "EISDIR":
      return "it is a directory, not a file";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

export function useColor(io: CliIo): boolean {
  return io.isTty && !io.env?.["NO_COLOR"];
}
