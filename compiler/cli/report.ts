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

/** Learning curves as a standalone SVG: loss (left) and each metric, training and validation. */
export function plotSvg(model: string, epochs: readonly EpochLog[]): string {
  const series: { name: string; train: number[]; validation: (number | null)[] }[] = [
    { name: "loss", train: epochs.map((e) => e.loss), validation: epochs.map((e) => e.valLoss) },
  ];
  for (const metric of Object.keys(epochs[0]?.metrics ?? {})) {
    series.push({
      name: metric,
      train: epochs.map((e) => e.metrics[metric] ?? NaN),
      validation: epochs.map((e) => e.valMetrics?.[metric] ?? null),
    });
  }
  const width = 360;
  const height = 240;
  const pad = 40;
  const panels = series.map((s, k) => {
    const values = [...s.train, ...s.validation.filter((v): v is number => v !== null)].filter(
      Number.isFinite,
    );
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    const span = hi - lo || 1;
    const x = (i: number) =>
      pad + (epochs.length <= 1 ? 0 : (i / (epochs.length - 1)) * (width - 2 * pad));
    const y = (v: number) => height - pad - ((v - lo) / span) * (height - 2 * pad);
    const line = (vals: readonly (number | null)[], color: string) => {
      const points = vals.flatMap((v, i) =>
        v === null || !Number.isFinite(v) ? [] : [`${x(i).toFixed(1)},${y(v).toFixed(1)}`],
      );
      return points.length === 0
        ? ""
        : `<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.join(" ")}"/>`;
    };
    return [
      `<g transform="translate(${k * width},0)">`,
      `<rect x="${pad}" y="${pad}" width="${width - 2 * pad}" height="${height - 2 * pad}" fill="none" stroke="#ccc"/>`,
      `<text x="${width / 2}" y="${pad - 12}" text-anchor="middle" font-size="14">${s.name}</text>`,
      `<text x="${pad - 4}" y="${pad + 4}" text-anchor="end" font-size="10">${hi.toPrecision(3)}</text>`,
      `<text x="${pad - 4}" y="${height - pad}" text-anchor="end" font-size="10">${lo.toPrecision(3)}</text>`,
      `<text x="${width / 2}" y="${height - 10}" text-anchor="middle" font-size="10">epoch</text>`,
      line(s.train, "#1f77b4"),
      line(s.validation, "#ff7f0e"),
      `</g>`,
    ].join("\n");
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width * series.length}" height="${height + 20}" font-family="sans-serif">`,
    `<title>${model}: learning curves (blue training, orange validation)</title>`,
    ...panels,
    `<text x="10" y="${height + 14}" font-size="11" fill="#1f77b4">training</text>`,
    `<text x="80" y="${height + 14}" font-size="11" fill="#ff7f0e">validation</text>`,
    `</svg>`,
    "",
  ].join("\n");
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
