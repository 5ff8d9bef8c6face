/**
 * The data errors a user can cause, with the codes of `compiler/diagnostics/messages.ts`:
 * E502 the data does not fit the model, E503 a file cannot be read, E504 a file is malformed.
 * Messages are complete sentences for the user: they name the file as the user wrote it
 * (relative to the `.nn` file) and, for a bad cell, the line (1-based, the header is line 1)
 * and the column. The command line prints them as `error[E504]: MESSAGE`.
 */
export type DataErrorCode = "E502" | "E503" | "E504";

export class DataError extends Error {
  override readonly name = "DataError";
  readonly code: DataErrorCode;

  constructor(code: DataErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/**
 * A file as the loaders see it: `path` to open (absolute, or relative to the process's
 * working directory) and `displayPath` to show (as the user wrote it).
 */
export interface FileRef {
  readonly path: string;
  readonly displayPath: string;
}

/** E503 `cannot read PATH: REASON`. */
export function cannotRead(displayPath: string, reason: string): DataError {
  return new DataError("E503", `cannot read ${displayPath}: ${reason}`);
}

/** E504 `PATH: DETAIL` (DETAIL may begin with `LINE: ` for a problem on one line). */
export function malformed(displayPath: string, detail: string): DataError {
  return new DataError("E504", `${displayPath}: ${detail}`);
}

/** E504 for a problem on one line: `PATH:LINE: DETAIL`. */
export function malformedLine(displayPath: string, line: number, detail: string): DataError {
  return new DataError("E504", `${displayPath}:${line}: ${detail}`);
}

/**
 * `a, b, c` or, past `limit` names, `a, b, ..., z (785 columns)`: column lists in messages
 * stay one readable line even for MNIST-sized CSVs.
 */
export function listNames(names: readonly string[], limit = 12): string {
  // A name from a binary or mangled file can be kilobytes long: each is cut to 40 characters.
  const shown = names.map((n) => (n === "" ? '""' : n.length > 40 ? `${n.slice(0, 37)}...` : n));
  if (shown.length <= limit) return shown.join(", ");
  return `${shown.slice(0, limit - 2).join(", ")}, ..., ${shown[shown.length - 1]} (${shown.length} columns)`;
}
