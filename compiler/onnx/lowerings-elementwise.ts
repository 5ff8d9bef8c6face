import type { BroadcastKind, UnaryKind } from "../ops/elementwise.js";
import { compare, direct, onnxOp, type OnnxEntry } from "./lowering.js";

/**
 * ONNX lowerings of the elementwise ops: each computes what the op's kernel expression in
 * compiler/ops/elementwise.ts computes, with ONNX's NumPy broadcasting (the same as nnc's).
 * Where an ONNX op would overflow where nnc's expression does not (Softplus), or does not exist
 * at every opset (Gelu before 20), it is written out.
 */

const SQRT1_2 = Math.SQRT1_2;

export const elementwiseLowerings = {
  neg: direct("Neg"),
  // 1 where x is 0, else 0
  not: onnxOp((c) => {
    const zero = c.g.constant([0], [], c.types[0]!.dtype);
    return c.g.cast(c.g.node("Equal", [c.args[0]!, zero]), c.result.dtype);
  }),
  exp: direct("Exp"),
  log: direct("Log"),
  sqrt: direct("Sqrt"),
  abs: direct("Abs"),
  sign: direct("Sign"),
  square: onnxOp((c) => c.g.node("Mul", [c.args[0]!, c.args[0]!])),
  sin: direct("Sin"),
  cos: direct("Cos"),
  tanh: direct("Tanh"),
  sigmoid: direct("Sigmoid"),
  relu: direct("Relu"),
  // x above 20, else log(1 + e^x): the same switch as nnc's, so large x stays finite
  softplus: onnxOp((c) => {
    const x = c.args[0]!;
    const large = c.g.node("Greater", [x, c.g.constant([20], [])]);
    return c.g.node("Where", [large, x, c.g.node("Softplus", [x])]);
  }),
  log1p: onnxOp((c) => c.g.node("Log", [c.g.node("Add", [c.args[0]!, c.g.constant([1], [])])])),
  step: onnxOp((c) => c.g.cast(c.g.node("Greater", [c.args[0]!, c.g.constant([0], [])]), "f32")),
  // the exact form, x Phi(x) = 0.5 x (1 + erf(x / sqrt 2)): ONNX's Gelu op from opset 20
  gelu: onnxOp((c) => {
    const x = c.args[0]!;
    if (c.g.opset >= 20) return c.g.node("Gelu", [x], { approximate: { string: "none" } });
    const erf = c.g.node("Erf", [c.g.node("Mul", [x, c.g.constant([SQRT1_2], [])])]);
    const half = c.g.node("Mul", [c.g.constant([0.5], []), x]);
    return c.g.node("Mul", [half, c.g.node("Add", [c.g.constant([1], []), erf])]);
  }),
  erf: direct("Erf"),
  leaky_relu: onnxOp((c) => c.g.node("LeakyRelu", c.args, { alpha: { float: c.eqn.attrs.alpha } })),
  elu: onnxOp((c) => c.g.node("Elu", c.args, { alpha: { float: c.eqn.attrs.alpha } })),
  add: direct("Add"),
  sub: direct("Sub"),
  mul: direct("Mul"),
  div: direct("Div"),
  pow: direct("Pow"),
  maximum: direct("Max"),
  minimum: direct("Min"),
  lt: compare("Less"),
  gt: compare("Greater"),
  le: compare("LessOrEqual"),
  ge: compare("GreaterOrEqual"),
  eq: compare("Equal"),
  ne: compare("Equal", true),
  // a where mask is non-zero, else b
  where: onnxOp((c) => {
    const [mask, a, b] = c.args as [string, string, string];
    const zero = c.g.constant([0], [], c.types[0]!.dtype);
    const chosen = c.g.node("Not", [c.g.node("Equal", [mask, zero])]);
    return c.g.node("Where", [chosen, a, b]);
  }),
  // min(max(x, lo), hi) as nnc's expression: hi wins when lo > hi (ONNX's Clip needs scalars)
  clip: onnxOp((c) => {
    const [x, lo, hi] = c.args as [string, string, string];
    return c.g.node("Min", [c.g.node("Max", [x, lo]), hi]);
  }),
} satisfies { readonly [K in UnaryKind | BroadcastKind]: OnnxEntry<K> };
