/**
 * The learning curves of a training run as a Vega-Lite spec (pure: no rendering, no I/O;
 * compiler/cli/plot.ts renders it). One panel per figure (the loss, each metric, the learning
 * rate when it changes), epochs on x, the training line and, only when the run validated, the
 * validation line; the epoch whose weights early stopping restored (or, without restoring, the
 * epoch it stopped at) is marked by a dashed rule. Non-finite values are left out of a line.
 */
import type { TopLevelSpec } from "vega-lite";
import type { EpochLog } from "../../runtime/index.js";

/** What a plot needs of a run (History, plus the model's name for the title). */
export interface CurvesRun {
  readonly model: string;
  readonly epochs: readonly EpochLog[];
  readonly stoppedEarly: boolean;
  readonly restoredEpoch: number | null;
}

/** One point of a curve, the data rows of a panel. */
interface CurvePoint {
  readonly epoch: number;
  readonly value: number;
  readonly split: "training" | "validation";
}

const SPLIT_COLORS = { training: "#1f77b4", validation: "#ff7f0e" } as const;
const PANEL_WIDTH = 280;
const PANEL_HEIGHT = 190;
/** Panels per row. */
const COLUMNS = 3;

/** The Vega-Lite spec of `run`'s learning curves. */
export function learningCurvesSpec(run: CurvesRun): TopLevelSpec {
  const epochs = run.epochs;
  const validated = epochs.some((e) => e.valLoss !== null);
  const splits = validated ? (["training", "validation"] as const) : (["training"] as const);
  const figures: { name: string; points: CurvePoint[] }[] = [
    {
      name: "loss",
      points: points(
        epochs,
        (e) => e.loss,
        (e) => e.valLoss,
      ),
    },
  ];
  for (const metric of Object.keys(epochs[0]?.metrics ?? {})) {
    figures.push({
      name: metric,
      points: points(
        epochs,
        (e) => e.metrics[metric] ?? NaN,
        (e) => e.valMetrics?.[metric] ?? null,
      ),
    });
  }
  if (new Set(epochs.map((e) => e.lr)).size > 1) {
    figures.push({
      name: "learning rate",
      points: points(
        epochs,
        (e) => e.lr,
        () => null,
      ),
    });
  }
  const marked = run.restoredEpoch ?? (run.stoppedEarly ? (epochs.at(-1)?.epoch ?? null) : null);
  const markLabel = run.restoredEpoch !== null ? "restored" : "stopped";
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: `${run.model}: learning curves`, anchor: "start" },
    columns: COLUMNS,
    concat: figures.map((figure) => ({
      title: figure.name,
      width: PANEL_WIDTH,
      height: PANEL_HEIGHT,
      layer: [
        {
          data: { values: figure.points },
          mark: { type: "line", point: epochs.length <= 30 },
          encoding: {
            x: {
              field: "epoch",
              type: "quantitative",
              title: "epoch",
              scale: { domain: [1, Math.max(2, epochs.length)] },
              axis: { tickMinStep: 1, format: "d" },
            },
            y: {
              field: "value",
              type: "quantitative",
              title: figure.name,
              scale: { zero: false },
            },
            color: {
              field: "split",
              type: "nominal",
              title: null,
              scale: { domain: [...splits], range: splits.map((s) => SPLIT_COLORS[s]) },
              legend: { orient: "bottom" },
            },
          },
        },
        ...(marked === null
          ? []
          : [
              {
                data: { values: [{ epoch: marked, label: `${markLabel} (epoch ${marked})` }] },
                mark: { type: "rule" as const, strokeDash: [4, 3], color: "#555" },
                encoding: {
                  x: { field: "epoch", type: "quantitative" as const },
                  tooltip: { field: "label", type: "nominal" as const },
                },
              },
              {
                data: { values: [{ epoch: marked, label: markLabel }] },
                mark: {
                  type: "text" as const,
                  align: "left" as const,
                  baseline: "top" as const,
                  dx: 3,
                  color: "#555",
                  fontSize: 10,
                },
                encoding: {
                  x: { field: "epoch", type: "quantitative" as const },
                  y: { value: 2 },
                  text: { field: "label", type: "nominal" as const },
                },
              },
            ]),
      ],
    })),
    resolve: { scale: { color: "shared" } },
    config: { font: "DejaVu Sans, Arial, sans-serif", view: { stroke: "#ccc" } },
  };
}

function points(
  epochs: readonly EpochLog[],
  training: (e: EpochLog) => number,
  validation: (e: EpochLog) => number | null,
): CurvePoint[] {
  const out: CurvePoint[] = [];
  for (const e of epochs) {
    const t = training(e);
    if (Number.isFinite(t)) out.push({ epoch: e.epoch, value: t, split: "training" });
    const v = validation(e);
    if (v !== null && Number.isFinite(v))
      out.push({ epoch: e.epoch, value: v, split: "validation" });
  }
  return out;
}
