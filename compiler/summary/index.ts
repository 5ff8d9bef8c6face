import type { TypedModel } from "../ir/types.js";
import { formatType } from "../shapes/dims.js";

/** One row of the Keras-style table: name and kind, output shape, parameter count. */
export interface SummaryLine {
  readonly label: string;
  readonly kind: string;
  readonly outputShape: string;
  readonly params: number;
}

export interface ModelSummary {
  readonly model: string;
  readonly lines: readonly SummaryLine[];
  readonly total: number;
  readonly trainable: number;
  readonly nonTrainable: number;
}

const count = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1);

/**
 * The summary of a typed model: its inputs, then every layer, activation, fn stage and
 * computed expression in source order. A layer's count includes its buffers, which the
 * totals list as non-trainable (batch norm's running statistics), as Keras does.
 */
export function summarize(model: TypedModel): ModelSummary {
  const lines: SummaryLine[] = model.inputs.map((input) => ({
    label: input.name,
    kind: "input",
    outputShape: formatType(input.type),
    params: 0,
  }));
  // Counters such as num_batches_tracked are not parameters (Keras does not count them).
  const counted = model.params.filter((p) => p.dtype === "f32");
  for (const row of model.rows) {
    const type = model.types.get(row.value);
    const params = counted.filter((p) => row.layer !== null && p.layer === row.layer);
    lines.push({
      label: row.label,
      kind: row.kind,
      outputShape: type ? formatType(type) : "?",
      params: params.reduce((sum, p) => sum + count(p.shape), 0),
    });
  }
  const trainable = counted.filter((p) => p.trainable).reduce((sum, p) => sum + count(p.shape), 0);
  const nonTrainable = counted
    .filter((p) => !p.trainable)
    .reduce((sum, p) => sum + count(p.shape), 0);
  return { model: model.name, lines, total: trainable + nonTrainable, trainable, nonTrainable };
}

/** `1,149,010` */
export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}

/** The table as text, Keras style. */
export function formatSummary(summary: ModelSummary, source: string): string {
  const cells = summary.lines.map(
    (l) => [`${l.label} (${l.kind})`, l.outputShape, formatCount(l.params)] as const,
  );
  const headers = ["Layer (type)", "Output Shape", "Param #"] as const;
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)) + 4);
  const row = (c: readonly string[]) =>
    " " +
    c
      .map((text, i) => (i === c.length - 1 ? text : text.padEnd(widths[i]!)))
      .join("")
      .trimEnd();
  const width = widths.reduce((a, b) => a + b, 0) + 1;
  return [
    `Model: ${summary.model}  (${source})`,
    "_".repeat(width),
    row(headers),
    "=".repeat(width),
    ...cells.map(row),
    "=".repeat(width),
    `Total params: ${formatCount(summary.total)}`,
    `Trainable params: ${formatCount(summary.trainable)}`,
    `Non-trainable params: ${formatCount(summary.nonTrainable)}`,
    "_".repeat(width),
    "",
  ].join("\n");
}
