import { type TrainingSettings, defaultTrainSettings } from "../../ir/settings.js";
import type { ModelDecl, Section } from "../../syntax/ast.js";
import type { Reporter } from "../reporter.js";
import { lowerData } from "./data.js";
import { lowerMetrics } from "./metrics.js";
import { lowerOptimizer } from "./optimizer.js";
import { lowerTrain } from "./train.js";

export { metricNames } from "./metrics.js";

/**
 * The training sections of a model, validated: unknown names, wrong types and values out of
 * range are reported (E4xx, E5xx) and replaced by defaults so that checking goes on.
 */
export function lowerSettings(
  sections: readonly Section[],
  _decl: ModelDecl,
  reporter: Reporter,
): TrainingSettings {
  const lowered = lowerMetrics(sections, reporter);
  const metrics = lowered.metrics;
  let settings: TrainingSettings = {
    optimizer: null,
    metrics,
    metricOptions: lowered.options,
    metricSpans: lowered.spans,
    metricsWithSettings: lowered.written,
    train: defaultTrainSettings,
    data: null,
  };
  for (const section of sections) {
    switch (section.kind) {
      case "optimizer":
        settings = { ...settings, optimizer: lowerOptimizer(section, reporter) };
        break;
      case "train":
        settings = {
          ...settings,
          train: lowerTrain(section, metrics, reporter) ?? defaultTrainSettings,
        };
        break;
      case "data":
        settings = { ...settings, data: lowerData(section, reporter) };
        break;
      default:
        break;
    }
  }
  return settings;
}
