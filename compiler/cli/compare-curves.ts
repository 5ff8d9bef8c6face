/**
 * The learning curves of several training runs overlaid, as a Vega-Lite spec (pure: no
 * rendering, no I/O; plot.ts renders it): the course's "optimizer learning speed" figure.
 * One panel per figure (the loss, then each metric any run has, the learning rate when some
 * run's changes), epochs on x, one colour per run with a legend of the runs' labels; the
 * validation line of a run that validated is dashed in its colour, its training line solid.
 * Early-stopping marks are left out (one rule per run would hide the curves): the single-run
 * plot (learning-curves.ts) has them. Non-finite values are left out of a line.
 */
import type { TopLevelSpec } from "vega-lite";
import type { EpochLog } from "../../runtime/index.js";

/** One run of a comparison: its legend label and its epochs. */
export interface ComparedRun {
  readonly label: string;
  readonly epochs: readonly EpochLog[];
}

interface ComparedPoint {
  readonly run: string;
  readonly epoch: number;
  readonly value: number;
  readonly split: "training" | "validation";
}

const PANEL_WIDTH = 320;
const PANEL_HEIGHT = 220;
/** Panels per row. */
const COLUMNS = 2;
/** Tableau 10: distinct colours for up to ten runs (Vega's scheme repeats after them). */
const RUN_SCHEME = "tableau10";

/** The Vega-Lite spec overlaying `runs`' learning curves; `title` heads the figure. */
export function comparisonSpec(runs: readonly ComparedRun[], title: string): TopLevelSpec {
  const all = runs.flatMap((r) => r.epochs);
  const validated = all.some((e) => e.valLoss !== null);
  const metricNames = [...new Set(all.flatMap((e) => Object.keys(e.metrics)))];
  const figures: { name: string; points: ComparedPoint[] }[] = [
    {
      name: "loss",
      points: points(
        runs,
        (e) => e.loss,
        (e) => e.valLoss,
      ),
    },
    ...metricNames.map((metric) => ({
      name: metric,
      points: points(
        runs,
        (e) => e.metrics[metric] ?? NaN,
        (e) => e.valMetrics?.[metric] ?? null,
      ),
    })),
  ];
  if (runs.some((r) => new Set(r.epochs.map((e) => e.lr)).size > 1)) {
    figures.push({
      name: "learning rate",
      points: points(
        runs,
        (e) => e.lr,
        () => null,
      ),
    });
  }
  const longest = Math.max(2, ...runs.map((r) => r.epochs.length));
  const labels = runs.map((r) => r.label);
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: title, anchor: "start", offset: 12 },
    columns: COLUMNS,
    concat: figures.map((figure) => ({
      title: figure.name,
      width: PANEL_WIDTH,
      height: PANEL_HEIGHT,
      data: { values: figure.points },
      mark: { type: "line", point: longest <= 30 },
      encoding: {
        x: {
          field: "epoch",
          type: "quantitative",
          title: "epoch",
          scale: { domain: [1, longest] },
          axis: { tickMinStep: 1, format: "d" },
        },
        y: { field: "value", type: "quantitative", title: figure.name, scale: { zero: false } },
        color: {
          field: "run",
          type: "nominal",
          title: "model",
          scale: { domain: labels, scheme: RUN_SCHEME },
          legend: { orient: "bottom", columns: Math.min(labels.length, 4) },
        },
        // One line per run and split: training solid, validation dashed.
        detail: { field: "split", type: "nominal" },
        ...(validated
          ? {
              strokeDash: {
                field: "split",
                type: "nominal",
                title: null,
                scale: {
                  domain: ["training", "validation"],
                  range: [
                    [1, 0],
                    [5, 3],
                  ],
                },
                legend: { orient: "bottom" },
              },
            }
          : {}),
      },
    })),
    resolve: { scale: { color: "shared", strokeDash: "shared" } },
    config: { font: "DejaVu Sans, Arial, sans-serif", view: { stroke: "#ccc" } },
  };
}

function points(
  runs: readonly ComparedRun[],
  training: (e: EpochLog) => number,
  validation: (e: EpochLog) => number | null,
): ComparedPoint[] {
  const out: ComparedPoint[] = [];
  for (const run of runs) {
    for (const e of run.epochs) {
      const t = training(e);
      if (Number.isFinite(t))
        out.push({ run: run.label, epoch: e.epoch, value: t, split: "training" });
      const v = validation(e);
      if (v !== null && Number.isFinite(v))
        out.push({ run: run.label, epoch: e.epoch, value: v, split: "validation" });
    }
  }
  return out;
}
