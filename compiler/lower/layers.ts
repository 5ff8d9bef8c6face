import type { Span } from "../diagnostics/span.js";
import type { Init, LayerArgs, LayerKind, Operand, ParamDim } from "../ir/types.js";
import { exceptAxes, onlyAxes } from "../ops/axes.js";
import type { Padding2d } from "../ops.js";
import type { ArgReader } from "./arg-reader.js";
import type { Signature } from "./arguments.js";
import type { GraphBuilder } from "./graph.js";

/**
 * The layers of language.md: each expands into primitive equations and declares its
 * parameters, whose sizes may depend on the input (resolved when shapes are inferred).
 * Names and layouts follow PyTorch so checkpoints load into the matching torch.nn module.
 */

export interface LayerExpansion {
  readonly graph: GraphBuilder;
  readonly args: ArgReader;
  /** The layer's name, e.g. `dense_1`. */
  readonly name: string;
  /** The input value. */
  readonly input: string;
  readonly span: Span;
}

/** What a layer became: its output value and the arguments it was built from. */
export interface ExpandedLayer<K extends LayerKind> {
  readonly output: string;
  readonly args: LayerArgs<K>;
}

export interface LayerSpec<K extends LayerKind> {
  readonly signature: Signature;
  /** Accepted input ranks (batch axis included) and the form errors show. */
  readonly minRank: number;
  readonly maxRank: number;
  readonly inputForm: string;
  /** The element type of the input: f32 unless said (`embedding` takes i32 ids). */
  readonly inputDtype?: "f32" | "i32";
  /** Emits the layer's equations, or returns null after reporting a problem. */
  readonly expand: (layer: LayerExpansion) => ExpandedLayer<K> | null;
}

/** A row of the layer table with its kind. */
export type AnyLayerSpec = { [K in LayerKind]: LayerSpec<K> & { readonly kind: K } }[LayerKind];

const fixed = (value: number): ParamDim => ({ kind: "fixed", value });
const fromInput = (axis: number): ParamDim => ({ kind: "input", axis });
const value = (name: string) => ({ kind: "value", name }) as const;

function param(
  layer: LayerExpansion,
  role: string,
  dims: readonly ParamDim[],
  init: Init,
  trainable = true,
  dtype: "f32" | "i64" = "f32",
): string {
  const name = `${layer.name}.${role}`;
  layer.graph.params.push({
    name,
    layer: layer.name,
    dims,
    init,
    trainable,
    dtype,
    span: layer.span,
  });
  return name;
}

function signature(name: string, params: readonly [string, boolean][]): Signature {
  return { name, params: params.map(([p, required]) => ({ name: p, required })) };
}

const positive = { integer: true, min: 1 } as const;

/** `x W^T (+ b)`: weight `[out, in]` as torch.nn.Linear. */
function affine(layer: LayerExpansion, out: number, bias: boolean, init: Init): string {
  const m = layer.graph.at(layer.span);
  const weight = param(layer, "weight", [fixed(out), fromInput(-1)], init);
  const x = value(layer.input);
  const product = m.emit("matmul", [x, value(weight)], { transA: false, transB: true });
  if (!bias) return product.name;
  const b = param(layer, "bias", [fixed(out)], { kind: "zeros" });
  return m.add(product, value(b)).name;
}

const dense: LayerSpec<"dense"> = {
  signature: signature("dense", [
    ["units", true],
    ["bias", false],
    ["init", false],
  ]),
  minRank: 2,
  maxRank: Infinity,
  inputForm: "[batch, ..., features]",
  expand: (layer) => {
    const units = layer.args.number("units", 1, positive);
    const bias = layer.args.bool("bias", true);
    const init = layer.args.init("init", { kind: "xavier" });
    if (layer.args.failed) return null;
    return { output: affine(layer, units, bias, init), args: { units, bias, init } };
  },
};

const maxout: LayerSpec<"maxout"> = {
  signature: signature("maxout", [
    ["units", true],
    ["pieces", false],
    ["init", false],
  ]),
  minRank: 2,
  maxRank: Infinity,
  inputForm: "[batch, ..., features]",
  expand: (layer) => {
    const units = layer.args.number("units", 1, positive);
    const pieces = layer.args.number("pieces", 2, positive);
    const init = layer.args.init("init", { kind: "xavier" });
    if (layer.args.failed) return null;
    const z = affine(layer, units * pieces, true, init);
    const output = layer.graph.at(layer.span).emit("maxout", [value(z)], { pieces });
    return { output: output.name, args: { units, pieces, init } };
  },
};

/**
 * Batch norm over every axis but the channel axis 1 (BatchNorm1d for `[batch, n]` and
 * `[batch, c, l]`, BatchNorm2d for `[batch, c, h, w]`). Training normalises with the batch's
 * biased variance and moves the running statistics by `momentum`, the running variance
 * with the unbiased one (n / (n - 1)), as PyTorch does; evaluation uses the running ones.
 */
const batchnorm: LayerSpec<"batchnorm"> = {
  signature: signature("batchnorm", [
    ["momentum", false],
    ["eps", false],
  ]),
  minRank: 2,
  maxRank: 4,
  inputForm: "[batch, features], [batch, channels, length] or [batch, channels, height, width]",
  expand: (layer) => {
    const momentum = layer.args.number("momentum", 0.1, { min: 0, max: 1 });
    const eps = layer.args.number("eps", 1e-5, { min: 0, minExclusive: true });
    if (layer.args.failed) return null;
    const { graph, span } = layer;
    const x = value(layer.input);
    const channels = [fromInput(1)];
    const weight = param(layer, "weight", channels, { kind: "ones" });
    const bias = param(layer, "bias", channels, { kind: "zeros" });
    const runningMean = param(layer, "running_mean", channels, { kind: "zeros" }, false);
    const runningVar = param(layer, "running_var", channels, { kind: "ones" }, false);
    const m = graph.at(span);
    const stats = exceptAxes(1);
    const batchMean = m.mean(x, stats, true);
    const batchVar = m.mean(m.square(m.sub(x, batchMean)), stats, true);
    const asStats = (p: string) => m.emit("reshape_as", [value(p), batchMean], {});
    const mean = m.emit("select_train", [batchMean, asStats(runningMean)], {});
    const variance = m.emit("select_train", [batchVar, asStats(runningVar)], {});
    const normalized = m.div(m.sub(x, mean), m.sqrt(m.add(variance, m.c(eps))));
    const out = m.add(m.mul(normalized, asStats(weight)), asStats(bias));
    // running <- (1 - momentum) running + momentum batch, in the buffers' own [c] layout.
    const count = m.count(x, stats);
    const unbiased = m.mul(batchVar, m.div(count, m.sub(count, m.c(1))));
    const move = (buffer: string, batch: Operand): void => {
      const kept = m.mul(value(buffer), m.c(1 - momentum));
      const added = m.mul(m.emit("reshape_as", [batch, value(buffer)], {}), m.c(momentum));
      graph.updates.push({ buffer, value: m.add(kept, added).name, origin: span });
    };
    move(runningMean, batchMean);
    move(runningVar, unbiased);
    // PyTorch counts the training batches in its state_dict; checkpoints carry the count too.
    const tracked = param(layer, "num_batches_tracked", [], { kind: "zeros" }, false, "i64");
    const counted = m.add(value(tracked), m.c(1));
    graph.updates.push({ buffer: tracked, value: counted.name, origin: span });
    return { output: out.name, args: { momentum, eps } };
  },
};

/** Layer norm over the last axis, with weight and bias `[n]` as torch.nn.LayerNorm(n). */
const layernorm: LayerSpec<"layernorm"> = {
  signature: signature("layernorm", [["eps", false]]),
  minRank: 2,
  maxRank: Infinity,
  inputForm: "[batch, ..., features]",
  expand: (layer) => {
    const eps = layer.args.number("eps", 1e-5, { min: 0, minExclusive: true });
    if (layer.args.failed) return null;
    const x = value(layer.input);
    const weight = param(layer, "weight", [fromInput(-1)], { kind: "ones" });
    const bias = param(layer, "bias", [fromInput(-1)], { kind: "zeros" });
    const m = layer.graph.at(layer.span);
    const last = onlyAxes(-1);
    const centered = m.sub(x, m.mean(x, last, true));
    const variance = m.mean(m.square(centered), last, true);
    const normalized = m.div(centered, m.sqrt(m.add(variance, m.c(eps))));
    const out = m.add(m.mul(normalized, value(weight)), value(bias));
    return { output: out.name, args: { eps } };
  },
};

/** Inverted dropout: scaled by 1 / (1 - rate) while training, the identity when evaluating. */
const dropout: LayerSpec<"dropout"> = {
  signature: signature("dropout", [["rate", true]]),
  minRank: 1,
  maxRank: Infinity,
  inputForm: "[batch, ...]",
  expand: (layer) => {
    const rate = layer.args.number("rate", 0, { min: 0, max: 1, maxExclusive: true });
    if (layer.args.failed) return null;
    if (rate === 0) return { output: layer.input, args: { rate } };
    const m = layer.graph.at(layer.span);
    const x = value(layer.input);
    const output = m.mul(x, m.emit("dropout_mask", [x], { rate }));
    return { output: output.name, args: { rate } };
  },
};

const flatten: LayerSpec<"flatten"> = {
  signature: signature("flatten", []),
  minRank: 2,
  maxRank: Infinity,
  inputForm: "[batch, ...]",
  expand: (layer) => ({
    output: layer.graph.at(layer.span).emit("flatten", [value(layer.input)], {}).name,
    args: {},
  }),
};

/** torch.nn.Conv2d: weight `[filters, channels, k, k]`, NCHW images. */
const conv2d: LayerSpec<"conv2d"> = {
  signature: signature("conv2d", [
    ["filters", true],
    ["kernel", false],
    ["stride", false],
    ["padding", false],
    ["bias", false],
    ["init", false],
  ]),
  minRank: 4,
  maxRank: 4,
  inputForm: "[batch, channels, height, width]",
  expand: (layer) => {
    const { args } = layer;
    const filters = args.number("filters", 1, positive);
    const kernel = args.number("kernel", 3, positive);
    const stride = args.number("stride", 1, positive);
    const bias = args.bool("bias", true);
    const init = args.init("init", { kind: "he" });
    const padding = conv2dPadding(args, kernel, stride);
    if (args.failed || padding === null) return null;
    const weight = param(
      layer,
      "weight",
      [fixed(filters), fromInput(1), fixed(kernel), fixed(kernel)],
      init,
    );
    const m = layer.graph.at(layer.span);
    const out = m.emit("conv2d", [value(layer.input), value(weight)], { stride, padding });
    const recorded = { filters, kernel, stride, padding, bias, init };
    if (!bias) return { output: out.name, args: recorded };
    const b = param(layer, "bias", [fixed(filters)], { kind: "zeros" });
    const column = m.emit("reshape", [value(b)], { shape: [filters, 1, 1] });
    return { output: m.add(out, column).name, args: recorded };
  },
};

/** `valid` (none), `same` (stride 1 only, as in PyTorch; extra padding after) or a number. */
function conv2dPadding(args: ArgReader, kernel: number, stride: number): Padding2d | null {
  const arg = args.get("padding");
  if (arg?.val.kind === "number") {
    const p = args.number("padding", 0, { integer: true, min: 0 });
    return { top: p, bottom: p, left: p, right: p };
  }
  const mode = args.word("padding", ["valid", "same"], "valid");
  if (mode === "valid") return { top: 0, bottom: 0, left: 0, right: 0 };
  if (stride !== 1) {
    args.outOfRange(
      "padding",
      "`valid` or a number when stride > 1 (`same` needs stride 1, as in PyTorch)",
      "`same`",
    );
    return null;
  }
  const before = Math.floor((kernel - 1) / 2);
  const after = kernel - 1 - before;
  return { top: before, bottom: after, left: before, right: after };
}

const maxpool2d: LayerSpec<"maxpool2d"> = {
  signature: signature("maxpool2d", [
    ["size", true],
    ["stride", false],
  ]),
  minRank: 4,
  maxRank: 4,
  inputForm: "[batch, channels, height, width]",
  expand: (layer) => {
    const size = layer.args.number("size", 2, positive);
    const stride = layer.args.number("stride", size, positive);
    if (layer.args.failed) return null;
    const output = layer.graph.at(layer.span).emit("maxpool2d", [value(layer.input)], {
      size,
      stride,
    });
    return { output: output.name, args: { size, stride } };
  },
};

/**
 * The largest vocabulary: ids travel as f32 values, whole numbers exactly so up to 2^24.
 */
const MAX_VOCAB = 2 ** 24;

/**
 * torch.nn.Embedding(vocab, dim): weight `[vocab, dim]`, initialised N(0, 1) as PyTorch does;
 * i32 ids `[batch, ...]` -> `[batch, ..., dim]`, row `id` of the weight for each id.
 */
const embedding: LayerSpec<"embedding"> = {
  signature: signature("embedding", [
    ["vocab", true],
    ["dim", true],
    ["init", false],
  ]),
  minRank: 1,
  maxRank: Infinity,
  inputForm: "i32[batch, ...] token ids",
  inputDtype: "i32",
  expand: (layer) => {
    const vocab = layer.args.number("vocab", 1, { integer: true, min: 1, max: MAX_VOCAB });
    const dim = layer.args.number("dim", 1, positive);
    const init = layer.args.init("init", { kind: "normal", std: 1 });
    if (layer.args.failed) return null;
    const weight = param(layer, "weight", [fixed(vocab), fixed(dim)], init);
    const m = layer.graph.at(layer.span);
    const output = m.emit("gather_rows", [value(weight), value(layer.input)], {});
    return { output: output.name, args: { vocab, dim, init } };
  },
};

/**
 * torch.nn.Conv1d: weight `[filters, channels, k]`, input `[batch, channels, length]`; the same
 * arguments as conv2d, padding on both ends of the length.
 */
const conv1d: LayerSpec<"conv1d"> = {
  signature: signature("conv1d", [
    ["filters", true],
    ["kernel", false],
    ["stride", false],
    ["padding", false],
    ["bias", false],
    ["init", false],
  ]),
  minRank: 3,
  maxRank: 3,
  inputForm: "[batch, channels, length]",
  expand: (layer) => {
    const { args } = layer;
    const filters = args.number("filters", 1, positive);
    const kernel = args.number("kernel", 3, positive);
    const stride = args.number("stride", 1, positive);
    const bias = args.bool("bias", true);
    const init = args.init("init", { kind: "he" });
    const sides = conv2dPadding(args, kernel, stride);
    if (args.failed || sides === null) return null;
    const padding = { left: sides.left, right: sides.right };
    const weight = param(layer, "weight", [fixed(filters), fromInput(1), fixed(kernel)], init);
    const m = layer.graph.at(layer.span);
    const out = m.emit("conv1d", [value(layer.input), value(weight)], { stride, padding });
    const recorded = { filters, kernel, stride, padding, bias, init };
    if (!bias) return { output: out.name, args: recorded };
    const b = param(layer, "bias", [fixed(filters)], { kind: "zeros" });
    const column = m.emit("reshape", [value(b)], { shape: [filters, 1] });
    return { output: m.add(out, column).name, args: recorded };
  },
};

/** torch.nn.AvgPool2d(size, stride, padding): zero padding counted in every mean, floor mode. */
const avgpool2d: LayerSpec<"avgpool2d"> = {
  signature: signature("avgpool2d", [
    ["size", true],
    ["stride", false],
    ["padding", false],
  ]),
  minRank: 4,
  maxRank: 4,
  inputForm: "[batch, channels, height, width]",
  expand: (layer) => {
    const size = layer.args.number("size", 2, positive);
    const stride = layer.args.number("stride", size, positive);
    // PyTorch's bound: a window never lies wholly in the padding.
    const padding = layer.args.number("padding", 0, {
      integer: true,
      min: 0,
      max: Math.floor(size / 2),
    });
    if (layer.args.failed) return null;
    const attrs = { size, stride, padding };
    const output = layer.graph.at(layer.span).emit("avgpool2d", [value(layer.input)], attrs);
    return { output: output.name, args: attrs };
  },
};

/**
 * The mean of each channel over its height and width, `[batch, c, h, w]` to `[batch, c]`, as
 * Keras' GlobalAveragePooling2D (torch: AdaptiveAvgPool2d(1) then flatten).
 */
const global_avgpool: LayerSpec<"global_avgpool"> = {
  signature: signature("global_avgpool", []),
  minRank: 4,
  maxRank: 4,
  inputForm: "[batch, channels, height, width]",
  expand: (layer) => {
    const m = layer.graph.at(layer.span);
    return { output: m.mean(value(layer.input), onlyAxes(2, 3), false).name, args: {} };
  },
};

const layerTable: { readonly [K in LayerKind]: LayerSpec<K> } = {
  dense,
  maxout,
  batchnorm,
  layernorm,
  dropout,
  flatten,
  conv2d,
  maxpool2d,
  embedding,
  conv1d,
  avgpool2d,
  global_avgpool,
};

export const layerSpecs: ReadonlyMap<string, AnyLayerSpec> = new Map(
  (Object.keys(layerTable) as LayerKind[]).map((kind) => [
    kind,
    { ...layerTable[kind], kind } as AnyLayerSpec,
  ]),
);
