import type { OpAttrs, OpKind, Padding1d, Padding2d } from "../ops.js";
import type { AxisSet } from "../ops.js";
import { resolveAxes } from "../ops/axes.js";
import type { Dim, Shape } from "../ir/types.js";
import { atom, call, literal, operator, type PyExpr, type PyOperand } from "./python.js";

/**
 * How each primitive op of compiler/ops.ts reads in PyTorch: the one table both printers use,
 * model.py's `forward` (body.ts) and train.py's loss function (train-loss.ts). A row is a
 * Python expression over the op's operands (`expr`: usable in a forward and in a loss), a
 * loss's expression (`loss`: printed only in train.py's loss function; a forward never holds
 * one, and one reaching it is E222), or an explicit "cannot emit" for ops that only exist in
 * derivatives or training steps (E222 in a forward, a located problem in a loss). The mapped
 * type makes a new op without a row here a type error.
 *
 * Every expression computes what the op's `lowering` computes in nnc (same formula, float32),
 * so a model.py forward equals `nnc predict` within rounding, and train.py's loss equals nnc's.
 */

/** What a printer may know besides its operands: their ranks and shapes, and dimension text. */
export interface PyOpContext {
  readonly shapes: readonly Shape[];
  /** The result's shape. */
  readonly shape: Shape;
  /** A dimension as Python (`784`, `batch`, `784 * batch`). */
  readonly dim: (d: Dim) => string;
}

/** An op's Python from its operands, attributes and shapes. */
export type PyOpPrint<K extends OpKind> = (
  args: readonly PyOperand[],
  attrs: OpAttrs<K>,
  ctx: PyOpContext,
) => PyExpr;

export type PyOpRule<K extends OpKind> =
  | { readonly kind: "expr"; readonly print: PyOpPrint<K> }
  | { readonly kind: "loss"; readonly print: PyOpPrint<K> }
  | { readonly kind: "cannot"; readonly reason: string };

export type PyOpTable = { readonly [K in OpKind]: PyOpRule<K> };

function expr<K extends OpKind>(print: PyOpPrint<K>): PyOpRule<K> {
  return { kind: "expr", print };
}

/** A loss: train.py's loss function prints it; model.py's forward reports it (E222). */
function loss<K extends OpKind>(print: PyOpPrint<K>): PyOpRule<K> {
  return { kind: "loss", print };
}

function cannot<K extends OpKind>(reason: string): PyOpRule<K> {
  return { kind: "cannot", reason };
}

/** `torch.NAME(x)` */
function torchFn<K extends OpKind>(name: string): PyOpRule<K> {
  return expr(([x]) => call(name, [x!.text]));
}

/** A binary infix operator. */
function infix<K extends OpKind>(symbol: string, precedence: number): PyOpRule<K> {
  return expr(([a, b]) => operator(a!, symbol, b!, precedence));
}

/** A comparison as float 0/1, as nnc computes it. */
function compare<K extends OpKind>(symbol: string): PyOpRule<K> {
  return expr(([a, b]) => {
    const mask = operator(a!, symbol, b!, 6).text;
    return { ...atom(`(${mask}).float()`), mask };
  });
}

/** Tensor operands in a call that needs tensors: a constant becomes one like the other operands. */
function tensorArg(value: PyOperand, like: PyOperand | undefined): string {
  if (!value.constant || like === undefined || like.constant) return value.text;
  return `${like.text}.new_tensor(${value.text})`;
}

/** torch.maximum/minimum of two operands, a number made a tensor like the other. */
function extremum<K extends "maximum" | "minimum">(torchName: string, pyName: string): PyOpRule<K> {
  return expr(([a, b]) => {
    const like = [a, b].find((o) => !o!.constant);
    if (like === undefined) return call(pyName, [a!.text, b!.text]);
    return call(torchName, [tensorArg(a!, like), tensorArg(b!, like)]);
  });
}

/** The axes an AxisSet names for an operand of `rank`, as a Python tuple. */
function axesTuple(set: AxisSet, rank: number): string {
  const resolved = resolveAxes(set, rank);
  const axes = resolved.ok ? resolved.axes : [];
  return axes.length === 1 ? String(axes[0]) : `(${axes.join(", ")})`;
}

function reduce<K extends "sum" | "mean" | "max_over">(method: string): PyOpRule<K> {
  return expr(([x], attrs, ctx) => {
    const rank = ctx.shapes[0]!.length;
    if (attrs.axes.kind === "all" && !attrs.keepdims) return atom(`${x!.atomText}.${method}()`);
    const keep = attrs.keepdims ? ", keepdim=True" : "";
    return atom(`${x!.atomText}.${method}(dim=${axesTuple(attrs.axes, rank)}${keep})`);
  });
}

/** Shape arguments of reshape/expand: one unknown dimension as -1, others as Python. */
function shapeArgs(shape: Shape, ctx: PyOpContext, allowInfer: boolean): string {
  const symbolic = shape.filter((d) => typeof d !== "number").length;
  return shape
    .map((d) =>
      typeof d === "number" ? String(d) : allowInfer && symbolic === 1 ? "-1" : ctx.dim(d),
    )
    .join(", ");
}

/** Zero padding as torch's own argument when it is the same on both sides, else F.pad first. */
function paddedInput(x: PyOperand, sides: readonly [number, number][]): PyExpr {
  if (sides.every(([before, after]) => before === after)) return x;
  // F.pad lists the last axis first.
  const pads = [...sides].reverse().flatMap(([before, after]) => [before, after]);
  return call("F.pad", [x.text, `(${pads.join(", ")})`]);
}

function symmetric(sides: readonly [number, number][]): string {
  const each = sides.map(([before, after]) => (before === after ? before : 0));
  return each.length === 1 ? String(each[0]) : `(${each.join(", ")})`;
}

function sides2d(p: Padding2d): [number, number][] {
  return [
    [p.top, p.bottom],
    [p.left, p.right],
  ];
}

function sides1d(p: Padding1d): [number, number][] {
  return [[p.left, p.right]];
}

const derivativeOnly = "it appears only in derivatives, which PyTorch's autograd computes";
/** Why model.py's forward cannot hold a `loss` row's op (E222's reason). */
export const lossOnly = "it is a loss, which train.py computes outside the module";

/** Class weights as a float32 tensor on `like`'s device, or None; train.py's helpers take it. */
function classTensor(values: readonly number[] | undefined, like: PyOperand): string {
  if (values === undefined) return "None";
  return `${like.atomText}.new_tensor([${values.map((v) => literal(v).text).join(", ")}])`;
}

export const pyOps: PyOpTable = {
  neg: expr(([x]) => operator(null, "-", x!, 12)),
  not: expr(([x]) => atom(`(${x!.text} == 0).float()`)),
  exp: torchFn("torch.exp"),
  log: torchFn("torch.log"),
  sqrt: torchFn("torch.sqrt"),
  abs: torchFn("torch.abs"),
  sign: torchFn("torch.sign"),
  square: torchFn("torch.square"),
  sin: torchFn("torch.sin"),
  cos: torchFn("torch.cos"),
  tanh: torchFn("torch.tanh"),
  sigmoid: torchFn("torch.sigmoid"),
  relu: torchFn("torch.relu"),
  // threshold 20, as nnc's: x itself above it
  softplus: torchFn("F.softplus"),
  log1p: torchFn("torch.log1p"),
  step: expr(([x]) => atom(`(${x!.text} > 0).float()`)),
  gelu: torchFn("F.gelu"),
  erf: torchFn("torch.erf"),
  leaky_relu: expr(([x], { alpha }) => call("F.leaky_relu", [x!.text, literal(alpha).text])),
  elu: expr(([x], { alpha }) => call("F.elu", [x!.text, literal(alpha).text])),
  add: infix("+", 10),
  sub: infix("-", 10),
  mul: infix("*", 11),
  div: infix("/", 11),
  pow: infix("**", 13),
  // torch.maximum/minimum, never clamp: nnc halves the cotangent on ties, as they do (clamp
  // gives it all to x), and train.py differentiates what model.py prints
  maximum: extremum("torch.maximum", "max"),
  minimum: extremum("torch.minimum", "min"),
  lt: compare("<"),
  gt: compare(">"),
  le: compare("<="),
  ge: compare(">="),
  eq: compare("=="),
  ne: compare("!="),
  where: expr(([mask, a, b]) => {
    const like = [a, b, mask].find((o) => !o!.constant);
    const condition = mask!.mask ?? `${tensorArg(mask!, like)} != 0`;
    return call("torch.where", [condition, tensorArg(a!, like), tensorArg(b!, like)]);
  }),
  // nnc's clip is min(max(x, lo), hi), which torch.clamp is too (hi wins when lo > hi)
  // torch.clamp, whose gradient nnc's clip follows (ends included in x's share); bounds as
  // numbers when both are, else all three as tensors (clamp takes no mix of the two)
  clip: expr(([x, lo, hi]) => {
    if (!x!.constant && lo!.constant && hi!.constant)
      return call("torch.clamp", [x!.text, lo!.text, hi!.text]);
    const like = [x, lo, hi].find((o) => !o!.constant);
    return call(
      "torch.clamp",
      [x, lo, hi].map((o) => tensorArg(o!, like)),
    );
  }),
  sum: reduce("sum"),
  mean: reduce("mean"),
  max_over: reduce("amax"),
  softmax: expr(([x], { axis }) => call("torch.softmax", [x!.text, `dim=${axis}`])),
  log_softmax: expr(([x], { axis }) => call("torch.log_softmax", [x!.text, `dim=${axis}`])),
  matmul: expr(([a, b], { transA, transB }) => {
    const t = (o: PyOperand, yes: boolean) => (yes ? `${o.atomText}.transpose(-1, -2)` : o.text);
    return call("torch.matmul", [t(a!, transA), t(b!, transB)]);
  }),
  transpose: expr(([x]) => atom(`${x!.atomText}.transpose(-1, -2)`)),
  reshape: expr(([x], { shape }, ctx) =>
    atom(`${x!.atomText}.reshape(${shapeArgs(shape, ctx, true)})`),
  ),
  concat: expr(([a, b], { axis }) =>
    call("torch.cat", [`(${a!.text}, ${b!.text})`, `dim=${axis}`]),
  ),
  one_hot: expr(([ids], { classes }) =>
    // rows of ids outside [0, classes) are zero, as nnc's (F.one_hot would raise)
    atom(
      `(${ids!.atomText}.unsqueeze(-1) == torch.arange(${classes}, device=${ids!.atomText}.device)).float()`,
    ),
  ),
  flatten: expr(([x]) => call("torch.flatten", [x!.text, "1"])),
  broadcast_to: expr(([x], { shape }, ctx) =>
    atom(`${x!.atomText}.expand(${shapeArgs(shape, ctx, false)})`),
  ),
  slice: expr(([x], { axis, start, size }, ctx) =>
    atom(`${x!.atomText}.narrow(${axis}, ${ctx.dim(start)}, ${ctx.dim(size)})`),
  ),
  reshape_as: expr(([x, like]) => atom(`${x!.atomText}.reshape(${like!.atomText}.shape)`)),
  maxout: expr(([x], { pieces }) =>
    atom(`${x!.atomText}.reshape(*${x!.atomText}.shape[:-1], -1, ${pieces}).amax(dim=-1)`),
  ),
  conv2d: expr(([x, w], { stride, padding }) => {
    const sides = sides2d(padding);
    const input = paddedInput(x!, sides);
    return call("F.conv2d", [
      input.text,
      w!.text,
      `stride=${stride}`,
      `padding=${symmetric(sides)}`,
    ]);
  }),
  conv2d_grad_input: cannot(derivativeOnly),
  conv2d_grad_weight: cannot(derivativeOnly),
  maxpool2d: expr(([x], { size, stride }) =>
    call("F.max_pool2d", [x!.text, String(size), String(stride)]),
  ),
  maxpool2d_grad: cannot(derivativeOnly),
  conv1d: expr(([x, w], { stride, padding }) => {
    const sides = sides1d(padding);
    const input = paddedInput(x!, sides);
    return call("F.conv1d", [
      input.text,
      w!.text,
      `stride=${stride}`,
      `padding=${symmetric(sides)}`,
    ]);
  }),
  conv1d_grad_input: cannot(derivativeOnly),
  conv1d_grad_weight: cannot(derivativeOnly),
  avgpool2d: expr(([x], { size, stride, padding }) =>
    call("F.avg_pool2d", [x!.text, String(size), String(stride), String(padding)]),
  ),
  avgpool2d_grad: cannot(derivativeOnly),
  // Both only occur inside dropout and batch norm layers, which print as their nn modules.
  dropout_mask: cannot("dropout prints as an nn.Dropout layer, never as a lone mask"),
  select_train: cannot("train/evaluate choices print as the module's own layers"),
  size: expr(([x], { axes }, ctx) => {
    const shape = ctx.shapes[0]!;
    const resolved = resolveAxes(axes, shape.length);
    const dims = (resolved.ok ? resolved.axes : []).map((a) => `${x!.atomText}.shape[${a}]`);
    return call("float", [dims.length === 0 ? "1" : dims.join(" * ")]);
  }),
  gather_rows: expr(([table, ids]) =>
    call("F.embedding", [`${ids!.atomText}.long()`, table!.text]),
  ),
  scatter_add_rows: cannot(derivativeOnly),
  // The losses: mean reductions as nnc's; the helpers named here are train.py's own
  // (train-py.ts), written where torch 1.13's own functions differ from nnc's math.
  mse: loss(([p, t]) => call("F.mse_loss", [p!.text, t!.text])),
  mae: loss(([p, t]) => call("F.l1_loss", [p!.text, t!.text])),
  huber: loss(([p, t], { delta }) =>
    call("F.huber_loss", [p!.text, t!.text, `delta=${literal(delta).text}`]),
  ),
  cross_entropy: loss(([p, t], { weight, labelSmoothing }) =>
    call("cross_entropy", [
      p!.text,
      t!.text,
      classTensor(weight, p!),
      literal(labelSmoothing ?? 0).text,
    ]),
  ),
  softmax_cross_entropy: loss(([z, t], { weight, labelSmoothing }) =>
    call("softmax_cross_entropy", [
      z!.text,
      t!.text,
      classTensor(weight, z!),
      literal(labelSmoothing ?? 0).text,
    ]),
  ),
  binary_cross_entropy: loss(([p, t], { posWeight }) =>
    call("binary_cross_entropy", [p!.text, t!.text, classTensor(posWeight, p!)]),
  ),
  sigmoid_binary_cross_entropy: loss(([z, t], { posWeight }) =>
    call("F.binary_cross_entropy_with_logits", [
      z!.text,
      t!.text,
      `pos_weight=${classTensor(posWeight, z!)}`,
    ]),
  ),
  // only in the derivatives of weighted losses; x times its class's scale along the last axis
  scale_classes: loss(([x], { scales }) => operator(x!, "*", atom(classTensor(scales, x!)), 11)),
};
