import { didYouMeanOrList } from "../../diagnostics/suggest.js";
import { type TrainingSettings, defaultTrainSettings } from "../../ir/settings.js";
import type { MetricName } from "../../../runtime/spec.js";
import type { ModelDecl, Section } from "../../syntax/ast.js";
import type { Reporter } from "../reporter.js";
import { lowerData } from "./data.js";
import { lowerOptimizer } from "./optimizer.js";
import { lowerTrain } from "./train.js";

export const metricNames: readonly MetricName[] = ["accuracy", "mse", "rmse", "mae"];

/**
 * The training sections of a model, validated: unknown names, wrong types and values out of
 * range are reported (E4xx, E5xx) and replaced by defaults so that checking goes on.
 */
export function lowerSettings(
  sections: readonly Section[],
  _decl: ModelDecl,
  reporter: Reporter,
): TrainingSettings {
  const metrics: MetricName[] = [];
  for (const section of sections) {
    if (section.kind !== "metrics") continue;
    for (const id of section.names) {
      if (!(metricNames as readonly string[]).includes(id.name)) {
        reporter.report("E407", id.span, {
          name: id.name,
          suggestion: didYouMeanOrList(id.name, metricNames, "metrics"),
        });
      } else if (metrics.includes(id.name as MetricName)) {
        reporter.report("E408", id.span, { callee: "metrics", name: id.name });
      } else metrics.push(id.name as MetricName);
    }
  }
  let settings: TrainingSettings = {
    optimizer: null,
    metrics,
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
