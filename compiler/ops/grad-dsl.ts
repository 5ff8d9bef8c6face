import type { Eqn, Operand } from "../ir/types.js";
import { allAxes } from "./axes.js";
import type { AxisSet, GradEmitter, NoAttrs, OpAttrs, OpKind } from "./types.js";

/**
 * A small algebra over operands for writing gradient rules as the maths reads:
 * `m.mul(g, m.sub(m.c(1), m.square(y)))` for d tanh. Every call appends a typed equation.
 */
export interface GradMath {
  c(value: number): Operand;
  add(a: Operand, b: Operand): Operand;
  sub(a: Operand, b: Operand): Operand;
  mul(a: Operand, b: Operand): Operand;
  div(a: Operand, b: Operand): Operand;
  neg(a: Operand): Operand;
  square(a: Operand): Operand;
  unary(op: UnaryOp, a: Operand): Operand;
  binary(op: BinaryOp, a: Operand, b: Operand): Operand;
  where(mask: Operand, a: Operand, b: Operand): Operand;
  clip(x: Operand, lo: Operand, hi: Operand): Operand;
  sum(a: Operand, axes: AxisSet, keepdims: boolean): Operand;
  /** The number of elements of `a` over `axes`, as a runtime scalar. */
  count(a: Operand, axes?: AxisSet): Operand;
}

type NoAttrOp = {
  [K in OpKind]: OpAttrs<K> extends NoAttrs ? K : never;
}[OpKind];
type UnaryOp = Extract<
  NoAttrOp,
  "exp" | "log" | "sqrt" | "abs" | "sign" | "sin" | "cos" | "tanh" | "sigmoid" | "erf" | "log1p"
>;
type BinaryOp = Extract<
  NoAttrOp,
  "lt" | "gt" | "le" | "ge" | "eq" | "ne" | "maximum" | "minimum" | "pow"
>;

export function gradMath(e: GradEmitter): GradMath {
  const none = {};
  return {
    c: (value) => ({ kind: "const", value }),
    add: (a, b) => e.emit("add", [a, b], none),
    sub: (a, b) => e.emit("sub", [a, b], none),
    mul: (a, b) => e.emit("mul", [a, b], none),
    div: (a, b) => e.emit("div", [a, b], none),
    neg: (a) => e.emit("neg", [a], none),
    square: (a) => e.emit("square", [a], none),
    unary: (op, a) => e.emit(op, [a], none),
    binary: (op, a, b) => e.emit(op, [a, b], none),
    where: (mask, a, b) => e.emit("where", [mask, a, b], none),
    clip: (x, lo, hi) => e.emit("clip", [x, lo, hi], none),
    sum: (a, axes, keepdims) => e.emit("sum", [a], { axes, keepdims }),
    count: (a, axes = allAxes) => e.emit("size", [a], { axes }),
  };
}

/** The `i`th operand of an equation (which the op's arity guarantees exists). */
export function arg<K extends OpKind>(eqn: Eqn<K>, i: number): Operand {
  const operand = eqn.args[i];
  if (!operand) throw new Error(`internal error: ${eqn.op} has no operand ${i}`);
  return operand;
}

/** The equation's result as an operand. */
export function result<K extends OpKind>(eqn: Eqn<K>): Operand {
  return { kind: "value", name: eqn.out };
}
