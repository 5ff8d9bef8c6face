import type { EpochLog } from "../../runtime/index.js";

/** `0.1234`; larger figures keep four decimals too, so columns line up by magnitude. */
function figure(value: number): string {
  return Number.isFinite(value) ? value.toFixed(4) : String(value);
}

/**
 * `epoch 3/30  loss 0.1234  accuracy 0.9712  val_loss 0.1400  val_accuracy 0.9650  1.21s  49600 samples/s`
 */
export function formatEpoch(log: EpochLog): string {
  const parts = [`epoch ${log.epoch}/${log.epochs}`, `loss ${figure(log.loss)}`];
  for (const [name, value] of Object.entries(log.metrics)) parts.push(`${name} ${figure(value)}`);
  if (log.valLoss !== null) parts.push(`val_loss ${figure(log.valLoss)}`);
  for (const [name, value] of Object.entries(log.valMetrics ?? {}))
    parts.push(`val_${name} ${figure(value)}`);
  parts.push(`${log.seconds.toFixed(2)}s`, `${Math.round(log.samplesPerSecond)} samples/s`);
  return parts.join("  ");
}

/** `test  loss 0.1301  accuracy 0.9688` */
export function formatTest(result: {
  readonly loss: number;
  readonly metrics: Readonly<Record<string, number>>;
}): string {
  const parts = ["test", `loss ${figure(result.loss)}`];
  for (const [name, value] of Object.entries(result.metrics))
    parts.push(`${name} ${figure(value)}`);
  return parts.join("  ");
}

/**
 * The progress bar shown on a terminal during an epoch (steps, running loss, samples/s, ETA),
 * on one line of stderr, erased before the epoch's line. `fit` calls `update` at most every
 * 100 ms (each call reads the device's running sums), so every update draws.
 */
export class ProgressBar {
  /** When the current epoch began: construction, then each `clear` (at an epoch's end). */
  private started = performance.now();
  private shown = false;

  constructor(
    private readonly write: (text: string) => void,
    private readonly batchSize: number,
  ) {}

  /** Batch `batch` (0-based) of `batches` done; `loss` is the epoch's running mean loss. */
  update(epoch: number, epochs: number, batch: number, batches: number, loss: number): void {
    const now = performance.now();
    const width = 24;
    const done = Math.round(((batch + 1) / batches) * width);
    const elapsed = (now - this.started) / 1000;
    const rate = elapsed > 0 ? ((batch + 1) * this.batchSize) / elapsed : 0;
    const eta = (elapsed / (batch + 1)) * (batches - batch - 1);
    const bar = `${"=".repeat(Math.max(0, done - 1))}${done > 0 ? ">" : ""}${" ".repeat(width - done)}`;
    this.write(
      `\r\u001b[Kepoch ${epoch + 1}/${epochs} [${bar}] ${batch + 1}/${batches}  loss ${figure(loss)}  ${Math.round(rate)} samples/s  ETA ${eta.toFixed(0)}s`,
    );
    this.shown = true;
  }

  /** Erases the bar (before the epoch's line is printed). */
  clear(): void {
    if (this.shown) this.write("\r\u001b[K");
    this.shown = false;
    this.started = performance.now();
  }
}
