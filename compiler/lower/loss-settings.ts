import type { BinaryLossAttrs, CategoricalLossAttrs } from "../ops.js";
import type { ArgReader } from "./arg-reader.js";

/**
 * The settings of the built-in losses that take any (PyTorch's): CrossEntropyLoss's `weight` and
 * `label_smoothing`, BCEWithLogitsLoss's `pos_weight`, read into the loss ops' attributes.
 * Assumes the arguments were bound against a signature with these names; guarantees
 * attributes holding only the settings that change the loss (none for the defaults), so a
 * plain loss prints and compiles as before.
 */

/** A loss's settings: their names, and how they become the op's attributes. */
export interface LossSettings {
  readonly names: readonly string[];
  readonly read: (args: ArgReader) => CategoricalLossAttrs | BinaryLossAttrs;
}

const nonNegative = { min: 0 } as const;
/**
 * Per-class constants become a select tree in every kernel that reads them (`scale_classes`):
 * a bound keeps those kernels small. ImageNet's 1,000 classes fit.
 */
const maxClassWeights = 4096;

/** torch.nn.CrossEntropyLoss's `weight` and `label_smoothing`. */
export const categoricalSettings: LossSettings = {
  names: ["weight", "label_smoothing"],
  read: (args) => {
    const weight = args.numbers("weight", nonNegative, maxClassWeights);
    const labelSmoothing = args.number("label_smoothing", 0, { min: 0, max: 1 });
    return {
      ...(weight ? { weight } : {}),
      ...(labelSmoothing > 0 ? { labelSmoothing } : {}),
    };
  },
};

/** BCEWithLogitsLoss's `pos_weight`: one number, or one per element of the last axis. */
export const binarySettings: LossSettings = {
  names: ["pos_weight"],
  read: (args) => {
    const posWeight = args.numbers("pos_weight", nonNegative, maxClassWeights, true);
    return posWeight ? { posWeight } : {};
  },
};
