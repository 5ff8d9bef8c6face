import type { OpKind } from "../ops.js";
import {
  type OnnxEntry,
  onlyInGradients,
  onnxOp,
  rewrittenBefore,
  trainingOnly,
} from "./lowering.js";

/**
 * ONNX lowerings of the layers' own primitives (convolutions, pooling, row lookup) and the
 * entries of the ops no prediction holds: gradients, dropout masks, and the losses and class
 * scales, which the passes rewrite into elementwise ops and sums (compiler/passes/legalize.ts)
 * before a function reaches a printer.
 */

export const nnLowerings = {
  // NCHW cross-correlation; nnc's padding is [top, bottom, left, right], ONNX's begins then ends
  conv2d: onnxOp((c) => {
    const { stride, padding: p } = c.eqn.attrs;
    const w = c.types[1]!.shape as readonly number[];
    return c.g.node("Conv", c.args, {
      kernel_shape: { ints: w.slice(2) },
      strides: { ints: [stride, stride] },
      pads: { ints: [p.top, p.left, p.bottom, p.right] },
    });
  }),
  conv1d: onnxOp((c) => {
    const { stride, padding: p } = c.eqn.attrs;
    const w = c.types[1]!.shape as readonly number[];
    return c.g.node("Conv", c.args, {
      kernel_shape: { ints: w.slice(2) },
      strides: { ints: [stride] },
      pads: { ints: [p.left, p.right] },
    });
  }),
  maxpool2d: onnxOp((c) => {
    const { size, stride } = c.eqn.attrs;
    return c.g.node("MaxPool", c.args, {
      kernel_shape: { ints: [size, size] },
      strides: { ints: [stride, stride] },
    });
  }),
  // torch's AvgPool2d defaults: zero padding counted in the mean, windows floored
  avgpool2d: onnxOp((c) => {
    const { size, stride, padding } = c.eqn.attrs;
    return c.g.node("AveragePool", c.args, {
      kernel_shape: { ints: [size, size] },
      strides: { ints: [stride, stride] },
      pads: { ints: [padding, padding, padding, padding] },
      count_include_pad: { int: 1 },
    });
  }),
  // row ids[...] of a [rows, width] table
  gather_rows: onnxOp((c) => c.g.node("Gather", c.args, { axis: { int: 0 } })),
  conv2d_grad_input: onlyInGradients,
  conv2d_grad_weight: onlyInGradients,
  maxpool2d_grad: onlyInGradients,
  conv1d_grad_input: onlyInGradients,
  conv1d_grad_weight: onlyInGradients,
  avgpool2d_grad: onlyInGradients,
  scatter_add_rows: onlyInGradients,
  dropout_mask: trainingOnly,
  mse: rewrittenBefore,
  mae: rewrittenBefore,
  huber: rewrittenBefore,
  cross_entropy: rewrittenBefore,
  binary_cross_entropy: rewrittenBefore,
  softmax_cross_entropy: rewrittenBefore,
  sigmoid_binary_cross_entropy: rewrittenBefore,
  scale_classes: rewrittenBefore,
} satisfies {
  readonly [
    K in Extract<
      OpKind,
      | "conv2d"
      | "conv1d"
      | "maxpool2d"
      | "avgpool2d"
      | "gather_rows"
      | "conv2d_grad_input"
      | "conv2d_grad_weight"
      | "maxpool2d_grad"
      | "conv1d_grad_input"
      | "conv1d_grad_weight"
      | "avgpool2d_grad"
      | "scatter_add_rows"
      | "dropout_mask"
      | "mse"
      | "mae"
      | "huber"
      | "cross_entropy"
      | "binary_cross_entropy"
      | "softmax_cross_entropy"
      | "sigmoid_binary_cross_entropy"
      | "scale_classes"
    >
  ]: OnnxEntry<K>;
};
