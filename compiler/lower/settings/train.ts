import { didYouMean, didYouMeanOrList, oneOf } from "../../diagnostics/suggest.js";
import { defaultTrainSettings } from "../../ir/settings.js";
import type {
  CheckpointSettings,
  EarlyStoppingSettings,
  LrSchedule,
  MetricName,
  TrainSettings,
} from "../../../runtime/spec.js";
import type { TrainSection } from "../../syntax/ast.js";
import { ArgReader } from "../arg-reader.js";
import { type Signature, bindArguments, settingCallCodes, settingCodes } from "../arguments.js";
import type { Reporter } from "../reporter.js";
import { type LocatedArg, describeVal } from "../values.js";
import { entryArgs } from "./literal.js";

/** The `train` section: every key of language.md with its default, range-checked. */

const optional = (...names: string[]): Signature["params"] =>
  names.map((name) => ({ name, required: false }));

export const trainSignature: Signature = {
  name: "train",
  params: optional(
    "epochs",
    "batch_size",
    "shuffle",
    "drop_last",
    "seed",
    "validation_split",
    "early_stopping",
    "lr_schedule",
    "checkpoint",
  ),
};

/** The keys of `checkpoint: { ... }`, in language.md's order. */
export const checkpointKeys = ["dir", "every", "keep", "monitor"] as const;

const positiveInt = { integer: true, min: 1 } as const;

export function lowerTrain(
  section: TrainSection,
  metrics: readonly MetricName[],
  reporter: Reporter,
): TrainSettings | null {
  const bound = bindArguments(
    trainSignature,
    entryArgs(section.entries, reporter),
    section.span,
    reporter,
    settingCodes,
  );
  if (!bound) return null;
  const r = new ArgReader(bound, "train", reporter, () => [], settingCodes);
  const d = defaultTrainSettings;
  // Read first, so `failed` tells whether this setting was the bad one.
  const validationSplit = r.number("validation_split", d.validationSplit, {
    min: 0,
    max: 1,
    maxExclusive: true,
  });
  const splitKnown = !r.failed;
  const spec: TrainSettings = {
    epochs: r.number("epochs", d.epochs, positiveInt),
    batchSize: r.number("batch_size", d.batchSize, positiveInt),
    shuffle: r.bool("shuffle", d.shuffle),
    dropLast: r.bool("drop_last", d.dropLast),
    seed: r.number("seed", d.seed, { integer: true, min: 0 }),
    validationSplit,
    earlyStopping: earlyStopping(
      r.get("early_stopping"),
      metrics,
      splitKnown ? validationSplit : null,
      reporter,
    ),
    lrSchedule: lrSchedule(r.get("lr_schedule"), reporter),
  };
  const checkpointArg = r.get("checkpoint");
  const checkpoint = checkpointArg
    ? checkpointSettings(checkpointArg, metrics, splitKnown ? validationSplit : null, reporter)
    : undefined;
  if (checkpoint === null) return null;
  return r.failed ? null : { ...spec, ...(checkpoint ? { checkpoint } : {}) };
}

/** `early_stopping: { monitor: val_loss, patience: 5, min_delta: 0, restore_best: true }`, or `true`. */
function earlyStopping(
  arg: LocatedArg | undefined,
  metrics: readonly MetricName[],
  /** Null when the model's validation_split was itself invalid (and reported). */
  validationSplit: number | null,
  reporter: Reporter,
): EarlyStoppingSettings | null {
  if (!arg || arg.val.kind === "error") return null;
  const defaults: EarlyStoppingSettings = {
    monitor: "val_loss",
    patience: 5,
    minDelta: 0,
    restoreBest: true,
  };
  let spec = defaults;
  if (arg.val.kind === "bool") {
    if (!arg.val.value) return null;
  } else if (arg.val.kind === "object") {
    const signature: Signature = {
      name: "early_stopping",
      params: optional("monitor", "patience", "min_delta", "restore_best"),
    };
    const bound = bindArguments(signature, arg.val.entries, arg.span, reporter, settingCodes);
    if (!bound) return null;
    const r = new ArgReader(bound, "early_stopping", reporter, () => [], settingCodes);
    const monitors = ["loss", "val_loss", ...metrics.flatMap((m) => [m, `val_${m}`])];
    const monitorArg = r.get("monitor");
    let monitor = defaults.monitor;
    if (monitorArg) {
      const v = monitorArg.val;
      const written =
        v.kind === "symbol" || v.kind === "string"
          ? v.kind === "symbol"
            ? v.name
            : v.value
          : null;
      if (written !== null && monitors.includes(written)) monitor = written;
      else if (v.kind !== "error") {
        reporter.report("E403", monitorArg.span, {
          what: "early_stopping setting `monitor`",
          expected: oneOf(monitors),
          actual:
            (written === null ? describeVal(v) : `\`${written}\``) +
            (written ? didYouMean(written, monitors) : ""),
        });
        return null;
      }
    }
    spec = {
      monitor,
      patience: r.number("patience", defaults.patience, { integer: true, min: 0 }),
      minDelta: r.number("min_delta", defaults.minDelta, { min: 0 }),
      restoreBest: r.bool("restore_best", defaults.restoreBest),
    };
    if (r.failed) return null;
  } else {
    reporter.report("E404", arg.span, {
      what: "train setting `early_stopping`",
      expected: "`true`, `false` or { monitor: val_loss, patience: 5, ... }",
      actual: arg.val.kind,
    });
    return null;
  }
  if (spec.monitor.startsWith("val_") && validationSplit === 0) {
    reporter.report("E409", arg.span, {
      detail: `early_stopping monitors ${spec.monitor}, but there is no validation data: set validation_split in train`,
    });
    return null;
  }
  return spec;
}

export const schedules: Record<LrSchedule["kind"], Signature> = {
  step: {
    name: "step",
    params: [
      { name: "every", required: true },
      { name: "gamma", required: false },
    ],
  },
  exponential: { name: "exponential", params: [{ name: "gamma", required: true }] },
  cosine: {
    name: "cosine",
    params: [
      { name: "epochs", required: true },
      { name: "min_lr", required: false },
    ],
  },
};

/** `step(every: N, gamma: G)`, `exponential(gamma: G)` or `cosine(epochs: N)`, stepped once per epoch. */
function lrSchedule(arg: LocatedArg | undefined, reporter: Reporter): LrSchedule | null {
  if (!arg || arg.val.kind === "error") return null;
  const v = arg.val;
  const name = v.kind === "symcall" || v.kind === "symbol" ? v.name : null;
  if (name === null || !(name in schedules)) {
    reporter.report("E410", arg.span, {
      name: name ?? "(not a schedule)",
      suggestion: name
        ? didYouMeanOrList(name, Object.keys(schedules), "schedules")
        : "; write e.g. step(every: 10, gamma: 0.5)",
    });
    return null;
  }
  const kind = name as LrSchedule["kind"];
  const bound = bindArguments(
    schedules[kind],
    v.kind === "symcall" ? v.args : [],
    arg.span,
    reporter,
    settingCallCodes,
  );
  if (!bound) return null;
  const r = new ArgReader(bound, name, reporter, () => [], settingCallCodes);
  const gamma = (fallback: number) => r.number("gamma", fallback, { min: 0, minExclusive: true });
  let schedule: LrSchedule;
  switch (kind) {
    case "step":
      schedule = { kind, every: r.number("every", 1, positiveInt), gamma: gamma(0.1) };
      break;
    case "exponential":
      schedule = { kind, gamma: gamma(1) };
      break;
    case "cosine":
      schedule = {
        kind,
        epochs: r.number("epochs", 1, positiveInt),
        minLr: r.number("min_lr", 0, { min: 0 }),
      };
      break;
  }
  return r.failed ? null : schedule;
}

/**
 * `checkpoint: { dir: "checkpoints", every: 1, keep: 3, monitor: val_loss }`, or `true` for
 * those defaults (monitor: val_loss with validation data, else loss); `false` is none
 * (undefined). Null after reporting a problem.
 */
function checkpointSettings(
  arg: LocatedArg,
  metrics: readonly MetricName[],
  /** Null when the model's validation_split was itself invalid (and reported). */
  validationSplit: number | null,
  reporter: Reporter,
): CheckpointSettings | null | undefined {
  const defaults: CheckpointSettings = { dir: "checkpoints", every: 1, keep: 3, monitor: null };
  const v = arg.val;
  if (v.kind === "error") return null;
  if (v.kind === "bool") return v.value ? defaults : undefined;
  if (v.kind !== "object") {
    reporter.report("E404", arg.span, {
      what: "train setting `checkpoint`",
      expected: '`true`, `false` or { dir: "checkpoints", every: 1, keep: 3, monitor: val_loss }',
      actual: describeVal(v),
    });
    return null;
  }
  const signature: Signature = { name: "checkpoint", params: optional(...checkpointKeys) };
  const bound = bindArguments(signature, v.entries, arg.span, reporter, settingCodes);
  if (!bound) return null;
  const r = new ArgReader(bound, "checkpoint", reporter, () => [], settingCodes);
  let dir = defaults.dir;
  const dirArg = r.get("dir");
  if (dirArg) {
    const d = dirArg.val;
    if (d.kind === "string" && d.value.trim() !== "") dir = d.value;
    else if (d.kind !== "error") {
      reporter.report(d.kind === "string" ? "E403" : "E404", dirArg.span, {
        what: "checkpoint setting `dir`",
        expected: d.kind === "string" ? "a folder name" : "a folder name in quotes",
        actual: d.kind === "string" ? "an empty string" : describeVal(d),
      });
      return null;
    } else return null;
  }
  const monitors = ["loss", "val_loss", ...metrics.flatMap((m) => [m, `val_${m}`])];
  const spec: CheckpointSettings = {
    dir,
    every: r.number("every", defaults.every, positiveInt),
    keep: r.number("keep", defaults.keep, { integer: true, min: 0 }),
    monitor: r.get("monitor") ? r.word("monitor", monitors, "loss") : null,
  };
  if (r.failed) return null;
  if (spec.monitor?.startsWith("val_") && validationSplit === 0) {
    reporter.report("E409", r.get("monitor")!.span, {
      detail: `checkpoint monitors ${spec.monitor}, but there is no validation data: set validation_split in train, or monitor loss`,
    });
    return null;
  }
  return spec;
}
