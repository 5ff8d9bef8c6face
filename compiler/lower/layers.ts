import type { Init, LayerKind, Operand } from "../ir/types.js";
import { exceptAxes, onlyAxes } from "../ops/axes.js";
import {
  type AnyLayerSpec,
  type LayerExpansion,
  type LayerSpec,
  fixed,
  fromInput,
  param,
  positive,
  signature,
  value,
} from "./layer-spec.js";
import { avgpool2d, conv1d, conv2d, global_avgpool, maxpool2d } from "./layers-spatial.js";

export type { AnyLayerSpec, ExpandedLayer, LayerExpansion, LayerSpec } from "./layer-spec.js";

/**
 * The layers of language.md: each expands into primitive equations and declares its
 * parameters, whose sizes may depend on the input (resolved when shapes are inferred).
 * Names and layouts follow PyTorch so checkpoints load into the matching torch.nn module.
 */

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
