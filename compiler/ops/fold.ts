import type { OpKind } from "./types.js";

/**
 * Elementwise ops evaluated on plain numbers at compile time: the lowering folds constants
 * with them, and the simplifier folds equations whose operands are all constants.
 */
export const foldUnary: Partial<Record<OpKind, (x: number) => number>> = {
  neg: (x) => -x,
  not: (x) => (x === 0 ? 1 : 0),
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  abs: Math.abs,
  sign: Math.sign,
  square: (x) => x * x,
  sin: Math.sin,
  cos: Math.cos,
  tanh: Math.tanh,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  relu: (x) => Math.max(x, 0),
  softplus: (x) => Math.log1p(Math.exp(x)),
  log1p: Math.log1p,
  step: (x) => (x > 0 ? 1 : 0),
};

export const foldBinary: Partial<Record<OpKind, (a: number, b: number) => number>> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: (a, b) => a ** b,
  maximum: Math.max,
  minimum: Math.min,
  lt: (a, b) => Number(a < b),
  gt: (a, b) => Number(a > b),
  le: (a, b) => Number(a <= b),
  ge: (a, b) => Number(a >= b),
  eq: (a, b) => Number(a === b),
  ne: (a, b) => Number(a !== b),
};
