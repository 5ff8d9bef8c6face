import type { Random } from "./random.js";

/** Weight initialisers (language.md), with PyTorch's fan rules. */
export type Init =
  | { readonly kind: "xavier" | "xavier_normal" | "he" | "he_uniform" | "lecun" | "zeros" | "ones" }
  | { readonly kind: "normal"; readonly std: number }
  | { readonly kind: "uniform"; readonly limit: number };

/**
 * Fan in and fan out of a weight as torch.nn.init computes them: dimension 1 and dimension 0
 * of the shape, each times the receptive field (the product of the dimensions after 1).
 */
export function fans(shape: readonly number[]): {
  readonly fanIn: number;
  readonly fanOut: number;
} {
  if (shape.length < 2) {
    const n = shape[0] ?? 1;
    return { fanIn: n, fanOut: n };
  }
  const receptive = shape.slice(2).reduce((p, d) => p * d, 1);
  return { fanIn: shape[1]! * receptive, fanOut: shape[0]! * receptive };
}

/** Fills `out` with the initial values of a parameter of `shape`, drawing from `random`. */
export function initialize(
  init: Init,
  shape: readonly number[],
  random: Random,
  out: Float64Array | Float32Array,
): void {
  const { fanIn, fanOut } = fans(shape);
  const uniform = (limit: number) => {
    for (let i = 0; i < out.length; i++) out[i] = (random.uniform() * 2 - 1) * limit;
  };
  const normal = (std: number) => {
    for (let i = 0; i < out.length; i++) out[i] = random.normal() * std;
  };
  switch (init.kind) {
    case "xavier": // Glorot uniform
      return uniform(Math.sqrt(6 / (fanIn + fanOut)));
    case "xavier_normal":
      return normal(Math.sqrt(2 / (fanIn + fanOut)));
    case "he": // Kaiming normal, fan in, ReLU gain sqrt 2
      return normal(Math.sqrt(2 / fanIn));
    case "he_uniform":
      return uniform(Math.sqrt(6 / fanIn));
    case "lecun":
      return normal(Math.sqrt(1 / fanIn));
    case "normal":
      return normal(init.std);
    case "uniform":
      return uniform(init.limit);
    case "zeros":
      out.fill(0);
      return;
    case "ones":
      out.fill(1);
      return;
  }
}
