import type { Span } from "../../diagnostics/span.js";
import { didYouMeanOrList } from "../../diagnostics/suggest.js";
import type { OptimizerSpec } from "../../ir/settings.js";
import type { OptimizerSettings } from "../../../runtime/spec.js";
import type { OptimizerSection } from "../../syntax/ast.js";
import { ArgReader } from "../arg-reader.js";
import { type Signature, bindArguments, settingCallCodes } from "../arguments.js";
import type { Reporter } from "../reporter.js";
import { describeVal } from "../values.js";
import { literalVal } from "./literal.js";

/**
 * `optimizer CALL`: the torch.optim update rules with their names, defaults and argument
 * checks (PyTorch's own ranges: a negative rate, momentum or decay is an error).
 */

type OptimizerKind = OptimizerSettings["kind"];

/** Every optimizer takes torch.nn.utils' clipping (Keras puts clipnorm on the optimizer too). */
const args = (...names: string[]) => [...names, "clip_grad_norm", "clip_grad_value"];
export const optimizerArgs: Record<OptimizerKind, readonly string[]> = {
  sgd: args("lr", "momentum", "nesterov", "dampening", "weight_decay"),
  adagrad: args("lr", "eps", "weight_decay"),
  rmsprop: args("lr", "alpha", "eps", "momentum", "weight_decay"),
  adadelta: args("lr", "rho", "eps", "weight_decay"),
  adam: args("lr", "beta1", "beta2", "eps", "weight_decay"),
  adamw: args("lr", "beta1", "beta2", "eps", "weight_decay"),
};

export const defaultLr: Record<OptimizerKind, number | null> = {
  sgd: null,
  adagrad: 0.01,
  rmsprop: 0.01,
  adadelta: 1.0,
  adam: 0.001,
  adamw: 0.001,
};

/** Keras and PyTorch spellings of our argument names, for suggestions. */
const kerasNames: Readonly<Record<string, string>> = {
  learning_rate: "lr",
  beta_1: "beta1",
  beta_2: "beta2",
  betas: "beta1` and `beta2",
  epsilon: "eps",
  decay: "weight_decay",
  clipnorm: "clip_grad_norm",
  global_clipnorm: "clip_grad_norm",
  clipvalue: "clip_grad_value",
  max_norm: "clip_grad_norm",
};

const nonNegative = { min: 0 } as const;
const unit = { min: 0, max: 1, maxExclusive: true } as const;

export function lowerOptimizer(
  section: OptimizerSection,
  reporter: Reporter,
): OptimizerSpec | null {
  const val = literalVal(section.value, reporter);
  if (val.kind === "error") return null;
  const call =
    val.kind === "symbol" ? { name: val.name, args: [] } : val.kind === "symcall" ? val : null;
  const span = section.value.kind === "call" ? section.value.callee.span : section.value.span;
  if (!call) {
    reporter.report("E404", section.value.span, {
      what: "optimizer",
      expected: "an optimizer such as adam(lr: 0.001)",
      actual: describeVal(val),
    });
    return null;
  }
  if (!(call.name in optimizerArgs)) {
    reporter.report("E401", span, {
      name: call.name,
      suggestion: didYouMeanOrList(call.name, Object.keys(optimizerArgs), "optimizers"),
    });
    return null;
  }
  const kind = call.name as OptimizerKind;
  const lrDefault = defaultLr[kind];
  const signature: Signature = {
    name: kind,
    params: optimizerArgs[kind].map((name) => ({
      name,
      required: name === "lr" && lrDefault === null,
    })),
    aliases: kerasNames,
  };
  const bound = bindArguments(signature, call.args, section.value.span, reporter, settingCallCodes);
  if (!bound) return null;
  const r = new ArgReader(bound, kind, reporter, () => [], settingCallCodes);
  const lr = r.number("lr", lrDefault ?? 0.01, nonNegative);
  const eps = (fallback: number) => r.number("eps", fallback, nonNegative);
  const weightDecay = (fallback: number) => r.number("weight_decay", fallback, nonNegative);
  const positive = { min: 0, minExclusive: true } as const;
  const clipGradNorm = r.number("clip_grad_norm", Number.NaN, positive);
  const clipGradValue = r.number("clip_grad_value", Number.NaN, positive);
  const spec: OptimizerSpec = {
    ...buildSpec(kind, r, lr, eps, weightDecay, section.span),
    ...(Number.isNaN(clipGradNorm) ? {} : { clipGradNorm }),
    ...(Number.isNaN(clipGradValue) ? {} : { clipGradValue }),
  };
  if (r.failed) return null;
  if (lr === 0) {
    reporter.report("W401", bound.get("lr")?.[0]?.span ?? span, {
      detail: "lr is 0: the parameters will never change",
    });
  }
  if (spec.kind === "sgd" && spec.nesterov && (spec.momentum <= 0 || spec.dampening !== 0)) {
    reporter.report("E409", section.value.span, {
      detail: "nesterov momentum needs momentum > 0 and dampening 0 (as torch.optim.SGD requires)",
    });
    return null;
  }
  return spec;
}

function buildSpec(
  kind: OptimizerKind,
  r: ArgReader,
  lr: number,
  eps: (fallback: number) => number,
  weightDecay: (fallback: number) => number,
  span: Span,
): OptimizerSpec {
  switch (kind) {
    case "sgd":
      return {
        kind,
        lr,
        momentum: r.number("momentum", 0, nonNegative),
        nesterov: r.bool("nesterov", false),
        dampening: r.number("dampening", 0, { min: 0, max: 1 }),
        weightDecay: weightDecay(0),
        span,
      };
    case "adagrad":
      return { kind, lr, eps: eps(1e-10), weightDecay: weightDecay(0), span };
    case "rmsprop":
      return {
        kind,
        lr,
        alpha: r.number("alpha", 0.99, nonNegative),
        eps: eps(1e-8),
        momentum: r.number("momentum", 0, nonNegative),
        weightDecay: weightDecay(0),
        span,
      };
    case "adadelta":
      return {
        kind,
        lr,
        rho: r.number("rho", 0.9, { min: 0, max: 1 }),
        eps: eps(1e-6),
        weightDecay: weightDecay(0),
        span,
      };
    case "adam":
    case "adamw":
      return {
        kind,
        lr,
        beta1: r.number("beta1", 0.9, unit),
        beta2: r.number("beta2", 0.999, unit),
        eps: eps(1e-8),
        weightDecay: weightDecay(kind === "adamw" ? 0.01 : 0),
        span,
      };
  }
}
