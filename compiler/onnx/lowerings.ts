import type { OnnxTable } from "./lowering.js";
import { elementwiseLowerings } from "./lowerings-elementwise.js";
import { layoutLowerings } from "./lowerings-layout.js";
import { nnLowerings } from "./lowerings-nn.js";

/**
 * The ONNX lowering of every primitive op, beside the op table of compiler/ops.ts: an entry per
 * op (`satisfies OnnxTable`), either the ONNX nodes it becomes or why it cannot be exported
 * (E221, placed at the equation's source). A new op without an entry is a type error here.
 */
export const onnxLowerings = {
  ...elementwiseLowerings,
  ...layoutLowerings,
  ...nnLowerings,
} satisfies OnnxTable;
