import type { Span } from "../diagnostics/span.js";
import { allAxes, onlyAxes } from "../ops/axes.js";
import type { OpAttrs, OpKind } from "../ops.js";
import type { ArgReader } from "./arg-reader.js";
import type { Signature } from "./arguments.js";
import { elementwise, operandOf } from "./arith.js";
import type { GraphBuilder } from "./graph.js";
import { type LossSettings, binarySettings, categoricalSettings } from "./loss-settings.js";
import type { Reporter } from "./reporter.js";
import { type Val, errorVal, tensorVal } from "./values.js";

/**
 * Built-in functions, activations and losses: each a signature and how it lowers to
 * primitives. Used as calls (`relu(x)`) or as pipeline stages (`x -> relu`, where the stage's
 * input becomes the first argument).
 */

export type BuiltinKind = "activation" | "function" | "loss";

export interface BuiltinCall {
  readonly graph: GraphBuilder;
  readonly args: ArgReader;
  readonly reporter: Reporter;
  readonly span: Span;
}

export interface BuiltinSpec {
  readonly kind: BuiltinKind;
  readonly signature: Signature;
  readonly lower: (call: BuiltinCall) => Val;
}

type Numeric = Extract<Val, { kind: "tensor" | "number" | "error" }>;

/** The tensor-or-number argument `name`; errors were reported by the reader. */
function arg(call: BuiltinCall, name: string): Numeric {
  const located = call.args.get(name);
  if (!located) return errorVal as Numeric;
  return call.args.value(located, name) as Numeric;
}

function sig(
  name: string,
  required: readonly string[],
  optional: readonly string[] = [],
): Signature {
  return {
    name,
    params: [
      ...required.map((p) => ({ name: p, required: true })),
      ...optional.map((p) => ({ name: p, required: false })),
    ],
  };
}

/** Emits `op(x) {attrs}` for a tensor-only op, or propagates an error. */
function apply<K extends OpKind>(
  call: BuiltinCall,
  op: K,
  inputs: readonly Numeric[],
  attrs: OpAttrs<K>,
): Val {
  if (call.args.failed || inputs.some((v) => v.kind === "error")) return errorVal;
  const operands = inputs.map((v) => operandOf(v as Extract<Val, { kind: "tensor" | "number" }>));
  return tensorVal(call.graph.at(call.span).emit(op, operands, attrs).name);
}

type SimpleUnary =
  | "exp"
  | "log"
  | "sqrt"
  | "abs"
  | "sign"
  | "square"
  | "sin"
  | "cos"
  | "tanh"
  | "sigmoid"
  | "relu"
  | "softplus"
  | "log1p"
  | "step"
  | "gelu";

function unary(name: string, op: SimpleUnary, kind: BuiltinKind = "function"): BuiltinSpec {
  return {
    kind,
    signature: sig(name, ["x"]),
    lower: (call) => elementwise(call.graph, op, [arg(call, "x")], call.span),
  };
}

function binary(
  name: string,
  op: "pow" | "maximum" | "minimum",
  a: string,
  b: string,
): BuiltinSpec {
  return {
    kind: "function",
    signature: sig(name, [a, b]),
    lower: (call) => elementwise(call.graph, op, [arg(call, a), arg(call, b)], call.span),
  };
}

function reduction(name: string, op: "sum" | "mean" | "max_over"): BuiltinSpec {
  return {
    kind: "function",
    signature: sig(name, ["x"], ["axis", "keepdims"]),
    lower: (call) => {
      const axis = call.args.get("axis") ? call.args.number("axis", 0, { integer: true }) : null;
      const keepdims = call.args.bool("keepdims", false);
      return apply(call, op, [arg(call, "x")], {
        axes: axis === null ? allAxes : onlyAxes(axis),
        keepdims,
      });
    },
  };
}

function axisActivation(name: string, op: "softmax" | "log_softmax"): BuiltinSpec {
  return {
    kind: "activation",
    signature: sig(name, ["x"], ["axis"]),
    lower: (call) =>
      apply(call, op, [arg(call, "x")], { axis: call.args.number("axis", -1, { integer: true }) }),
  };
}

function alphaActivation(name: string, op: "leaky_relu" | "elu", fallback: number): BuiltinSpec {
  return {
    kind: "activation",
    signature: sig(name, ["x"], ["alpha"]),
    lower: (call) =>
      apply(call, op, [arg(call, "x")], { alpha: call.args.number("alpha", fallback) }),
  };
}

const identity: BuiltinSpec = {
  kind: "activation",
  signature: sig("identity", ["x"]),
  lower: (call) => arg(call, "x"),
};

/** A loss of prediction and target; `fused` replaces it when the prediction is that activation's output. */
function loss(
  name: string,
  op: "mse" | "mae" | "cross_entropy" | "binary_cross_entropy",
  fused?: {
    readonly activation: "softmax" | "sigmoid";
    readonly op: "softmax_cross_entropy" | "sigmoid_binary_cross_entropy";
  },
  settings?: LossSettings,
): BuiltinSpec {
  return {
    kind: "loss",
    signature: sig(name, ["p", "t"], settings?.names ?? []),
    lower: (call) => {
      const p = arg(call, "p");
      const t = arg(call, "t");
      // The fused and the plain op of one loss share their attributes' type.
      const attrs = (settings?.read(call.args) ?? {}) as OpAttrs<typeof op>;
      if (fused && p.kind === "tensor") {
        const producer = call.graph.producer(p.name);
        const lastAxis =
          producer?.op === "softmax" ? producer.attrs.axis === -1 : producer?.op === "sigmoid";
        if (producer && producer.op === fused.activation && lastAxis && producer.args[0]) {
          // The stable fused form from the logits: its gradient is (p - t) / batch.
          const logits = producer.args[0];
          const logitsVal: Numeric =
            logits.kind === "value"
              ? (tensorVal(logits.name) as Numeric)
              : { kind: "number", value: logits.value };
          return apply(call, fused.op, [logitsVal, t], attrs as OpAttrs<typeof fused.op>);
        }
        warnIfLogits(call, name, p.name, fused.activation);
      }
      return apply(call, op, [p, t], attrs);
    },
  };
}

/** W202 when a probability loss is fed a layer's raw output: the classic missing softmax. */
function warnIfLogits(
  call: BuiltinCall,
  lossName: string,
  value: string,
  activation: string,
): void {
  const producer = call.graph.producer(value);
  const layer = producer?.layer
    ? call.graph.layers.find((l) => l.name === producer.layer)
    : undefined;
  if (layer && layer.output === value) {
    call.reporter.report("W202", call.span, {
      loss: lossName,
      detail: `it is applied to the raw output of ${layer.name}; add \`-> ${activation}\` after it`,
    });
  }
}

const huber: BuiltinSpec = {
  kind: "loss",
  signature: sig("huber", ["p", "t"], ["delta"]),
  lower: (call) =>
    apply(call, "huber", [arg(call, "p"), arg(call, "t")], {
      delta: call.args.number("delta", 1, { min: 0, minExclusive: true }),
    }),
};

/** `l1(w, ...)` = sum of |w|, `l2(w, ...)` = sum of w^2, over every tensor given (`weights`: all layer weights). */
function penalty(name: string, op: "abs" | "square"): BuiltinSpec {
  return {
    kind: "loss",
    signature: { ...sig(name, ["weights"]), variadic: true },
    lower: (call) => {
      const terms: Val[] = [];
      for (const located of call.args.all("weights")) {
        const tensors: Numeric[] =
          located.val.kind === "weights"
            ? located.val.names.map((n) => tensorVal(n) as Numeric)
            : [call.args.value(located, "weights") as Numeric];
        for (const w of tensors) {
          const mapped = elementwise(call.graph, op, [w], call.span);
          terms.push(
            mapped.kind === "tensor"
              ? apply(call, "sum", [mapped], { axes: allAxes, keepdims: false })
              : mapped,
          );
        }
      }
      if (terms.length === 0) return { kind: "number", value: 0 };
      return terms.reduce((total, term) =>
        elementwise(call.graph, "add", [total as Numeric, term as Numeric], call.span),
      );
    },
  };
}

export const builtinSpecs: ReadonlyMap<string, BuiltinSpec> = new Map<string, BuiltinSpec>([
  ["exp", unary("exp", "exp")],
  ["log", unary("log", "log")],
  ["sqrt", unary("sqrt", "sqrt")],
  ["abs", unary("abs", "abs")],
  ["sign", unary("sign", "sign")],
  ["square", unary("square", "square")],
  ["sin", unary("sin", "sin")],
  ["cos", unary("cos", "cos")],
  ["log1p", unary("log1p", "log1p")],
  ["pow", binary("pow", "pow", "x", "p")],
  ["max", binary("max", "maximum", "a", "b")],
  ["min", binary("min", "minimum", "a", "b")],
  [
    "clip",
    {
      kind: "function",
      signature: sig("clip", ["x", "lo", "hi"]),
      lower: (call) =>
        elementwise(
          call.graph,
          "clip",
          [arg(call, "x"), arg(call, "lo"), arg(call, "hi")],
          call.span,
        ),
    },
  ],
  [
    "where",
    {
      kind: "function",
      signature: sig("where", ["mask", "a", "b"]),
      lower: (call) =>
        elementwise(
          call.graph,
          "where",
          [arg(call, "mask"), arg(call, "a"), arg(call, "b")],
          call.span,
        ),
    },
  ],
  ["sum", reduction("sum", "sum")],
  ["mean", reduction("mean", "mean")],
  ["max_over", reduction("max_over", "max_over")],
  [
    "matmul",
    {
      kind: "function",
      signature: sig("matmul", ["a", "b"]),
      lower: (call) =>
        apply(call, "matmul", [arg(call, "a"), arg(call, "b")], { transA: false, transB: false }),
    },
  ],
  [
    "transpose",
    {
      kind: "function",
      signature: sig("transpose", ["x"]),
      lower: (call) => apply(call, "transpose", [arg(call, "x")], {}),
    },
  ],
  [
    "reshape",
    {
      kind: "function",
      signature: sig("reshape", ["x", "shape"]),
      lower: (call) => {
        const shape = call.args.shape("shape");
        return shape ? apply(call, "reshape", [arg(call, "x")], { shape }) : errorVal;
      },
    },
  ],
  [
    "concat",
    {
      kind: "function",
      signature: sig("concat", ["a", "b", "axis"]),
      lower: (call) =>
        apply(call, "concat", [arg(call, "a"), arg(call, "b")], {
          axis: call.args.number("axis", -1, { integer: true }),
        }),
    },
  ],
  [
    "one_hot",
    {
      kind: "function",
      signature: sig("one_hot", ["ids", "classes"]),
      lower: (call) =>
        apply(call, "one_hot", [arg(call, "ids")], {
          classes: call.args.number("classes", 1, { integer: true, min: 1 }),
        }),
    },
  ],
  // activations
  ["step", unary("step", "step", "activation")],
  ["sigmoid", unary("sigmoid", "sigmoid", "activation")],
  ["tanh", unary("tanh", "tanh", "activation")],
  ["relu", unary("relu", "relu", "activation")],
  ["gelu", unary("gelu", "gelu", "activation")],
  ["softplus", unary("softplus", "softplus", "activation")],
  ["leaky_relu", alphaActivation("leaky_relu", "leaky_relu", 0.01)],
  ["elu", alphaActivation("elu", "elu", 1)],
  ["softmax", axisActivation("softmax", "softmax")],
  ["log_softmax", axisActivation("log_softmax", "log_softmax")],
  [
    "swish",
    {
      kind: "activation",
      signature: sig("swish", ["x"]),
      lower: (call) => {
        const x = arg(call, "x");
        return elementwise(
          call.graph,
          "mul",
          [x, elementwise(call.graph, "sigmoid", [x], call.span) as Numeric],
          call.span,
        );
      },
    },
  ],
  ["identity", identity],
  ["linear", { ...identity, signature: sig("linear", ["x"]) }],
  // losses
  ["mse", loss("mse", "mse")],
  ["mae", loss("mae", "mae")],
  [
    "cross_entropy",
    loss(
      "cross_entropy",
      "cross_entropy",
      { activation: "softmax", op: "softmax_cross_entropy" },
      categoricalSettings,
    ),
  ],
  [
    "binary_cross_entropy",
    loss(
      "binary_cross_entropy",
      "binary_cross_entropy",
      { activation: "sigmoid", op: "sigmoid_binary_cross_entropy" },
      binarySettings,
    ),
  ],
  ["huber", huber],
  ["l1", penalty("l1", "abs")],
  ["l2", penalty("l2", "square")],
]);

/** Losses a bare name in the `loss` section applies to `output` and the model's target. */
export const targetLosses: ReadonlySet<string> = new Set([
  "mse",
  "mae",
  "cross_entropy",
  "binary_cross_entropy",
  "huber",
]);
