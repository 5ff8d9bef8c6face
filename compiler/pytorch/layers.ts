import type { Layer, LayerKind, LayerOf, TypedModel } from "../ir/types.js";
import type { Padding1d, Padding2d } from "../ops.js";
import { invariant } from "../assert.js";
import { literal } from "./python.js";

/**
 * Each nnc layer as the torch.nn module whose state_dict holds the same names and layouts
 * as nnc's checkpoints (compiler/lower/layers*.ts follow PyTorch for this): `dense_1.weight`
 * `[out, in]` is nn.Linear's, `batchnorm_1.num_batches_tracked` nn.BatchNorm's. The mapped
 * type makes a new layer kind without a row here a type error.
 */

/** What a layer's constructor may know: its parameters' concrete shapes and its input's rank. */
export interface LayerContext {
  readonly paramShape: (name: string) => readonly number[];
  readonly inputRank: number;
}

export interface PyLayerRule<K extends LayerKind> {
  /** `nn.Linear(4, 16)` */
  readonly construct: (layer: LayerOf<K>, ctx: LayerContext) => string;
  /** How forward calls it, given its input's text (`self.dense_1(h)`). */
  readonly call?: (layer: LayerOf<K>, module: string, input: string) => string;
  /** Module-level helper classes the constructor uses, by name. */
  readonly helpers?: readonly HelperName[];
}

export type HelperName = "Maxout";

/** Python source of the helper modules torch.nn lacks, with nnc's parameter names. */
export const helperSource: { readonly [H in HelperName]: string } = {
  Maxout: `class Maxout(nn.Module):
    """nnc's maxout: a linear map to units * pieces features, then the maximum of each
    group of \`pieces\` consecutive ones (weight [units * pieces, in], as nn.Linear's)."""

    def __init__(self, in_features, units, pieces):
        super().__init__()
        self.pieces = pieces
        self.weight = nn.Parameter(torch.empty(units * pieces, in_features))
        self.bias = nn.Parameter(torch.zeros(units * pieces))

    def forward(self, x):
        z = F.linear(x, self.weight, self.bias)
        return z.reshape(*z.shape[:-1], -1, self.pieces).amax(dim=-1)
`,
};

function weightShape(layer: Layer, ctx: LayerContext): readonly number[] {
  const weight = layer.params.find((p) => p.endsWith(".weight"));
  invariant(weight !== undefined, `layer ${layer.name} has a weight`);
  return ctx.paramShape(weight);
}

/**
 * torch's `padding=` for nnc's resolved sides (before, after) per spatial axis: a number when
 * every side has it, a tuple when each axis is symmetric, else 0 and the forward pads first
 * (nnc's `same` with an even kernel: torch's padding="same" does the same but warns).
 */
function convPadding(sides: readonly (readonly [number, number])[]): string {
  if (!sides.every(([a, b]) => a === b)) return "0";
  const each = sides.map(([a]) => a);
  return each.every((p) => p === each[0]) ? String(each[0]) : `(${each.join(", ")})`;
}

/** The forward call of a convolution: its input padded first when the sides differ. */
function convCall(sides: readonly (readonly [number, number])[], module: string, input: string) {
  if (sides.every(([a, b]) => a === b)) return `${module}(${input})`;
  // F.pad lists the last axis first
  const pads = [...sides].reverse().flatMap(([a, b]) => [a, b]);
  return `${module}(F.pad(${input}, (${pads.join(", ")})))`;
}

function sides2d(p: Padding2d): readonly (readonly [number, number])[] {
  return [
    [p.top, p.bottom],
    [p.left, p.right],
  ];
}

function sides1d(p: Padding1d): readonly (readonly [number, number])[] {
  return [[p.left, p.right]];
}

const float = (v: number) => literal(v).text;

export const pyLayers: { readonly [K in LayerKind]: PyLayerRule<K> } = {
  dense: {
    construct: (layer, ctx) => {
      const [out, inFeatures] = weightShape(layer, ctx);
      return `nn.Linear(${inFeatures}, ${out}${layer.args.bias ? "" : ", bias=False"})`;
    },
  },
  maxout: {
    construct: (layer, ctx) =>
      `Maxout(${weightShape(layer, ctx)[1]}, ${layer.args.units}, ${layer.args.pieces})`,
    helpers: ["Maxout"],
  },
  batchnorm: {
    // nnc's momentum is PyTorch's: running <- (1 - momentum) running + momentum batch
    construct: (layer, ctx) =>
      `nn.BatchNorm${ctx.inputRank === 4 ? 2 : 1}d(${weightShape(layer, ctx)[0]}, eps=${float(layer.args.eps)}, momentum=${float(layer.args.momentum)})`,
  },
  layernorm: {
    construct: (layer, ctx) =>
      `nn.LayerNorm(${weightShape(layer, ctx)[0]}, eps=${float(layer.args.eps)})`,
  },
  dropout: { construct: (layer) => `nn.Dropout(${float(layer.args.rate)})` },
  flatten: { construct: () => "nn.Flatten()" },
  conv2d: {
    construct: (layer, ctx) => {
      const { filters, kernel, stride, padding, bias } = layer.args;
      const channels = weightShape(layer, ctx)[1];
      return `nn.Conv2d(${channels}, ${filters}, ${kernel}, stride=${stride}, padding=${convPadding(sides2d(padding))}${bias ? "" : ", bias=False"})`;
    },
    call: (layer, module, input) => convCall(sides2d(layer.args.padding), module, input),
  },
  maxpool2d: {
    construct: (layer) => `nn.MaxPool2d(${layer.args.size}, stride=${layer.args.stride})`,
  },
  embedding: {
    construct: (layer) => `nn.Embedding(${layer.args.vocab}, ${layer.args.dim})`,
    // nnc's ids are i32; torch indexes with int64
    call: (_layer, module, input) => `${module}(${input}.long())`,
  },
  conv1d: {
    construct: (layer, ctx) => {
      const { filters, kernel, stride, padding, bias } = layer.args;
      const channels = weightShape(layer, ctx)[1];
      return `nn.Conv1d(${channels}, ${filters}, ${kernel}, stride=${stride}, padding=${convPadding(sides1d(padding))}${bias ? "" : ", bias=False"})`;
    },
    call: (layer, module, input) => convCall(sides1d(layer.args.padding), module, input),
  },
  avgpool2d: {
    construct: (layer) =>
      `nn.AvgPool2d(${layer.args.size}, stride=${layer.args.stride}, padding=${layer.args.padding})`,
  },
  global_avgpool: { construct: () => "nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())" },
};

/** The constructor of any layer, narrowed to its kind's rule. */
export function layerRule(layer: Layer): PyLayerRule<LayerKind> {
  return pyLayers[layer.kind] as PyLayerRule<LayerKind>;
}

/** A layer's context from the typed model. */
export function layerContext(model: TypedModel, layer: Layer): LayerContext {
  return {
    paramShape: (name) => {
      const p = model.params.find((q) => q.name === name);
      invariant(p !== undefined, `parameter ${name} exists`);
      return p.shape;
    },
    inputRank: model.types.get(layer.input)?.shape.length ?? 2,
  };
}
