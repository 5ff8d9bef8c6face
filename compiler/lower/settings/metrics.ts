/**
 * The `metrics` section: known names, each once, and the settings of those that take any
 * (`top_k_accuracy(k: 3)`, `precision(average: micro)`), with Keras' defaults. Whether a
 * metric fits the model's output and target is checked after shapes (compiler/shapes/metrics.ts).
 */
import type { Span } from "../../diagnostics/span.js";
import { didYouMeanOrList } from "../../diagnostics/suggest.js";
import type {
  AveragedMetric,
  MetricAverage,
  MetricName,
  MetricOptions,
} from "../../../runtime/spec.js";
import type { Section } from "../../syntax/ast.js";
import { ArgReader } from "../arg-reader.js";
import { type Signature, bindArguments, settingCallCodes } from "../arguments.js";
import type { Reporter } from "../reporter.js";
import { literalVal } from "./literal.js";

export const metricNames: readonly MetricName[] = [
  "accuracy",
  "mse",
  "rmse",
  "mae",
  "precision",
  "recall",
  "f1",
  "auc",
  "top_k_accuracy",
  "r2",
];

/** The arguments each metric takes, in positional order (none for the others). */
export const metricArgs: Readonly<Partial<Record<MetricName, readonly string[]>>> = {
  precision: ["average"],
  recall: ["average"],
  f1: ["average"],
  top_k_accuracy: ["k"],
};

/** The values `average:` may take. */
export const metricAverages: readonly MetricAverage[] = ["macro", "micro"];
const averaged: readonly AveragedMetric[] = ["precision", "recall", "f1"];

/** The metrics as listed, their settings, and where each was written (with its settings). */
export interface LoweredMetrics {
  readonly metrics: readonly MetricName[];
  readonly options: MetricOptions;
  readonly spans: ReadonlyMap<MetricName, Span>;
  /** The metrics whose settings were written (`f1(average: micro)`), for fit checks. */
  readonly written: ReadonlySet<MetricName>;
}

export function lowerMetrics(sections: readonly Section[], reporter: Reporter): LoweredMetrics {
  const metrics: MetricName[] = [];
  const spans = new Map<MetricName, Span>();
  const written = new Set<MetricName>();
  let topK = 5;
  const average: Record<AveragedMetric, MetricAverage> = {
    precision: "macro",
    recall: "macro",
    f1: "macro",
  };
  for (const section of sections) {
    if (section.kind !== "metrics") continue;
    section.names.forEach((id, i) => {
      if (!(metricNames as readonly string[]).includes(id.name)) {
        reporter.report("E407", id.span, {
          name: id.name,
          suggestion: didYouMeanOrList(id.name, metricNames, "metrics"),
        });
        return;
      }
      const name = id.name as MetricName;
      if (metrics.includes(name)) {
        reporter.report("E408", id.span, { callee: "metrics", name });
        return;
      }
      metrics.push(name);
      const args = section.args[i] ?? null;
      if (args === null) {
        spans.set(name, id.span);
        return;
      }
      const callSpan = section.spans[i] ?? id.span;
      spans.set(name, callSpan);
      const call = literalVal({ kind: "call", callee: id, args, span: callSpan }, reporter);
      if (call.kind !== "symcall") return;
      const signature: Signature = {
        name,
        params: (metricArgs[name] ?? []).map((p) => ({ name: p, required: false })),
      };
      const bound = bindArguments(signature, call.args, callSpan, reporter, settingCallCodes);
      if (!bound) return;
      if (bound.size > 0) written.add(name);
      const r = new ArgReader(bound, name, reporter, () => [], settingCallCodes);
      if (name === "top_k_accuracy") topK = r.number("k", 5, { integer: true, min: 1 });
      const which = averaged.find((m) => m === name);
      if (which !== undefined) average[which] = r.word("average", metricAverages, "macro");
    });
  }
  return { metrics, options: { topK, average }, spans, written };
}
