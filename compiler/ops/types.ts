import type { DiagnosticData } from "../diagnostics/messages.js";
import type { IrAlgebra } from "../ir/builder.js";
import type { Dim, Eqn, Operand, Shape, TensorType } from "../ir/types.js";
import type { LibraryLowering } from "./library.js";
import type { ElementExpr, IndexExpr } from "../kernel/types.js";

/** Attributes of every primitive op: compile-time constants that parameterise it. */
export interface OpAttrMap {
  // elementwise, one operand
  neg: NoAttrs;
  not: NoAttrs;
  exp: NoAttrs;
  log: NoAttrs;
  sqrt: NoAttrs;
  abs: NoAttrs;
  sign: NoAttrs;
  square: NoAttrs;
  sin: NoAttrs;
  cos: NoAttrs;
  tanh: NoAttrs;
  sigmoid: NoAttrs;
  relu: NoAttrs;
  softplus: NoAttrs;
  log1p: NoAttrs;
  step: NoAttrs;
  gelu: NoAttrs;
  erf: NoAttrs;
  leaky_relu: { readonly alpha: number };
  elu: { readonly alpha: number };
  // elementwise, two or three operands, broadcasting
  add: NoAttrs;
  sub: NoAttrs;
  mul: NoAttrs;
  div: NoAttrs;
  pow: NoAttrs;
  maximum: NoAttrs;
  minimum: NoAttrs;
  lt: NoAttrs;
  gt: NoAttrs;
  le: NoAttrs;
  ge: NoAttrs;
  eq: NoAttrs;
  ne: NoAttrs;
  where: NoAttrs;
  clip: NoAttrs;
  // reductions
  sum: ReduceAttrs;
  mean: ReduceAttrs;
  max_over: ReduceAttrs;
  softmax: { readonly axis: number };
  log_softmax: { readonly axis: number };
  // linear algebra and layout
  matmul: { readonly transA: boolean; readonly transB: boolean };
  transpose: NoAttrs;
  reshape: { readonly shape: Shape };
  concat: { readonly axis: number };
  one_hot: { readonly classes: number };
  flatten: NoAttrs;
  broadcast_to: { readonly shape: Shape };
  slice: { readonly axis: number; readonly start: Dim; readonly size: Dim };
  reshape_as: NoAttrs;
  maxout: { readonly pieces: number };
  // layers' own primitives
  conv2d: { readonly stride: number; readonly padding: Padding2d };
  conv2d_grad_input: { readonly stride: number; readonly padding: Padding2d };
  conv2d_grad_weight: { readonly stride: number; readonly padding: Padding2d };
  maxpool2d: { readonly size: number; readonly stride: number };
  maxpool2d_grad: { readonly size: number; readonly stride: number };
  conv1d: { readonly stride: number; readonly padding: Padding1d };
  conv1d_grad_input: { readonly stride: number; readonly padding: Padding1d };
  conv1d_grad_weight: { readonly stride: number; readonly padding: Padding1d };
  avgpool2d: AvgPoolAttrs;
  avgpool2d_grad: AvgPoolAttrs;
  dropout_mask: { readonly rate: number };
  select_train: NoAttrs;
  size: { readonly axes: AxisSet };
  // row lookup by ids (embedding) and its transpose
  gather_rows: NoAttrs;
  scatter_add_rows: { readonly rows: number };
  // losses (scalar results, mean reductions)
  mse: NoAttrs;
  mae: NoAttrs;
  huber: { readonly delta: number };
  cross_entropy: CategoricalLossAttrs;
  binary_cross_entropy: BinaryLossAttrs;
  softmax_cross_entropy: CategoricalLossAttrs;
  sigmoid_binary_cross_entropy: BinaryLossAttrs;
  scale_classes: { readonly scales: readonly number[] };
}

/**
 * torch.nn.CrossEntropyLoss's `weight` (one per class) and `label_smoothing`; absent keys are
 * the plain loss (and print nothing in IR dumps).
 */
export interface CategoricalLossAttrs {
  readonly weight?: readonly number[];
  readonly labelSmoothing?: number;
}

/** BCEWithLogitsLoss's `pos_weight`: one number, or one per element of the last axis. */
export interface BinaryLossAttrs {
  readonly posWeight?: readonly number[];
}

export type OpKind = keyof OpAttrMap;
export type OpAttrs<K extends OpKind> = OpAttrMap[K];

export type NoAttrs = Readonly<Record<never, never>>;

/**
 * A set of axes, resolved against an operand's rank by the shape rule: all of them, the
 * listed ones, or all but the listed ones (so batch norm can reduce every axis but the
 * channel axis without knowing the rank). Listed axes may be negative (from the end).
 */
export type AxisSet =
  | { readonly kind: "all" }
  | { readonly kind: "only"; readonly axes: readonly number[] }
  | { readonly kind: "except"; readonly axes: readonly number[] };

/** Axes to reduce; `keepdims` keeps them as size 1. */
export interface ReduceAttrs {
  readonly axes: AxisSet;
  readonly keepdims: boolean;
}

/** Zero padding added before and after each spatial dimension. */
export interface Padding2d {
  readonly top: number;
  readonly bottom: number;
  readonly left: number;
  readonly right: number;
}

/** Zero padding added before and after the length of a 1-D signal. */
export interface Padding1d {
  readonly left: number;
  readonly right: number;
}

/** Average pooling as torch.nn.AvgPool2d: zero `padding` on every side, counted in the mean. */
export interface AvgPoolAttrs {
  readonly size: number;
  readonly stride: number;
  readonly padding: number;
}

export type ShapeResult =
  | { readonly ok: true; readonly type: TensorType }
  | { readonly ok: false; readonly error: DiagnosticData };

/** What a shape rule may know besides its operands' types: their names, for messages. */
export interface ShapeContext {
  /** The IR value name of each operand (null for inline constants). */
  readonly operandNames: readonly (string | null)[];
}

/** Result type of an op from its operand types, or the user error that prevents it. */
export type ShapeRule<K extends OpKind> = (
  args: readonly TensorType[],
  attrs: OpAttrs<K>,
  context: ShapeContext,
) => ShapeResult;

/**
 * The vector-Jacobian product of one equation: given the cotangent `g` of its output (same
 * shape as the output), one cotangent per operand, or null where the op has no derivative
 * with respect to that operand (or it is not differentiable there, like a class id). A
 * cotangent may have the broadcast (output) shape; the differentiation driver reduces it
 * to the operand's shape, once, for every op.
 *
 * The rule writes its equations with `m`, the IR builder's typed algebra, so it reads as
 * its formula: `m.mul(g, m.sub(m.c(1), m.square(y)))` for d tanh. An equation that does not
 * type-check is a compiler bug (rules only combine values whose shapes they know), so `m`
 * throws then.
 */
export type GradRule<K extends OpKind> = (
  m: IrAlgebra,
  eqn: Eqn<K>,
  g: Operand,
) => readonly (Operand | null)[];

/** What an elementwise expression may know besides its operands' elements. */
export interface ElementContext {
  /** The operands' shapes (the result has the kernel's domain shape). */
  readonly shapes: readonly Shape[];
  /** The number of elements of a product of dimensions, as an integer expression (`n * 784`). */
  readonly count: (dims: Shape) => IndexExpr;
}

/**
 * How an op runs. Elementwise ops give one element of their result as a kernel-IR expression
 * of their operands' elements (`compiler/kernel/`), fused into kernels with their neighbours;
 * every printer and the constant folder read it. `library` ops call a Backend method of that
 * name; `view` ops are the same buffer seen with another shape; `layout` ops are copies whose
 * element is a load at an index expression (a kernel of their own); `legalized` ops are rewritten into others before code generation.
 */
export type Lowering<K extends OpKind> =
  | {
      readonly kind: "elementwise";
      readonly expr: (
        operands: readonly ElementExpr[],
        attrs: OpAttrs<K>,
        context: ElementContext,
      ) => ElementExpr;
      /** How an operand lines up with the result, when not by NumPy broadcasting (one_hot's ids: by row). */
      readonly operandShape?: (shape: Shape, index: number) => Shape;
    }
  | LibraryLowering<K>
  | { readonly kind: "view" }
  | {
      readonly kind: "layout";
      /** The output element at flat index `i`: loads of operand k (buffer k) at index expressions. */
      readonly expr: (attrs: OpAttrs<K>, context: ElementContext) => ElementExpr;
    }
  | { readonly kind: "legalized" };

/** Everything the compiler knows about one primitive, side by side. */
export interface OpDef<K extends OpKind> {
  /** Number of operands. */
  readonly arity: number;
  /** One line for the docs and IR dumps. */
  readonly summary: string;
  readonly shape: ShapeRule<K>;
  /** Reverse-mode rule, or null for ops that only appear in derivatives or have none at all. */
  readonly grad: GradRule<K> | null;
  readonly lowering: Lowering<K>;
}

export type OpTable = { readonly [K in OpKind]: OpDef<K> };

export function ok(type: TensorType): ShapeResult {
  return { ok: true, type };
}

export function fail(error: DiagnosticData): ShapeResult {
  return { ok: false, error };
}
