/**
 * A checkpoint (`--init`, `--save`, `nnc predict --load`) that cannot be read, written or
 * used. The message is complete and names the file as the user wrote it; `problems` holds
 * the individual findings of `checkCheckpoint` (one per line of the message).
 */
export class CheckpointError extends Error {
  override readonly name = "CheckpointError";
  readonly path: string;
  readonly problems: readonly string[];

  constructor(path: string, message: string, problems: readonly string[] = []) {
    super(message);
    this.path = path;
    this.problems = problems;
  }
}
