import { onlyAxes } from "../ops/axes.js";
import type { Padding2d } from "../ops.js";
import type { ArgReader } from "./arg-reader.js";
import {
  type LayerSpec,
  fixed,
  fromInput,
  param,
  positive,
  signature,
  value,
} from "./layer-spec.js";

/**
 * The layers over images and signals (NCHW and NCL), as torch.nn's Conv2d, MaxPool2d, Conv1d,
 * AvgPool2d and AdaptiveAvgPool2d(1) + flatten.
 */

/** torch.nn.Conv2d: weight `[filters, channels, k, k]`, NCHW images. */
export const conv2d: LayerSpec<"conv2d"> = {
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

export const maxpool2d: LayerSpec<"maxpool2d"> = {
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
 * torch.nn.Conv1d: weight `[filters, channels, k]`, input `[batch, channels, length]`; the same
 * arguments as conv2d, padding on both ends of the length.
 */
export const conv1d: LayerSpec<"conv1d"> = {
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
export const avgpool2d: LayerSpec<"avgpool2d"> = {
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
export const global_avgpool: LayerSpec<"global_avgpool"> = {
  signature: signature("global_avgpool", []),
  minRank: 4,
  maxRank: 4,
  inputForm: "[batch, channels, height, width]",
  expand: (layer) => {
    const m = layer.graph.at(layer.span);
    return { output: m.mean(value(layer.input), onlyAxes(2, 3), false).name, args: {} };
  },
};
