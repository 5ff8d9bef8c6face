/**
 * Argument checks shared by the CPU backends (plain JS and wasm): a few comparisons per call,
 * the message built only when a check fails. Each throws a RangeError naming the operation and
 * the argument.
 */
import type { AvgPoolGeometry, ConvGeometry, FloatArray, PoolGeometry } from "../backend.js";

/** Throws a RangeError unless `buffer` holds at least `size` elements. */
export function need(buffer: FloatArray, size: number, op: string, what: string): void {
  if (!(size <= buffer.length)) {
    throw new RangeError(`${op}: ${what} holds ${buffer.length} elements, needs ${size}`);
  }
}

/** x holds [outer, mid, inner]; y holds [outer, inner] when `reduced`, else x's shape. */
export function checkReduce(
  x: FloatArray,
  y: FloatArray,
  outer: number,
  mid: number,
  inner: number,
  op: string,
  reduced: boolean,
): void {
  need(x, outer * mid * inner, op, "x");
  need(y, reduced ? outer * inner : outer * mid * inner, op, "y");
}

/** The three operands of a convolution (or of one of its gradients) fit the geometry. */
export function checkConv(
  g: ConvGeometry,
  x: FloatArray,
  w: FloatArray,
  y: FloatArray,
  op: string,
  xName: string,
  wName: string,
  yName: string,
): void {
  if (!(g.stride >= 1)) throw new RangeError(`${op}: stride ${g.stride} must be at least 1`);
  need(x, g.batch * g.channels * g.height * g.width, op, xName);
  need(w, g.filters * g.channels * g.kernelH * g.kernelW, op, wName);
  need(y, g.batch * g.filters * g.outH * g.outW, op, yName);
}

/** The input and output of a pooling (or of its gradient) fit the geometry. */
export function checkPool(
  g: PoolGeometry,
  x: FloatArray,
  y: FloatArray,
  op: string,
  yName: string,
): void {
  if (!(g.stride >= 1)) throw new RangeError(`${op}: stride ${g.stride} must be at least 1`);
  need(x, g.batch * g.channels * g.height * g.width, op, "x");
  need(y, g.batch * g.channels * g.outH * g.outW, op, yName);
}

/** The plane and the pooled plane of an average pooling (or of its gradient) fit the geometry. */
export function checkAvgPool(
  g: AvgPoolGeometry,
  x: FloatArray,
  y: FloatArray,
  op: string,
  xName: string,
  yName: string,
): void {
  if (!(g.stride >= 1)) throw new RangeError(`${op}: stride ${g.stride} must be at least 1`);
  if (!(g.padding >= 0 && 2 * g.padding <= g.size)) {
    throw new RangeError(`${op}: padding ${g.padding} must be in [0, size / 2]`);
  }
  need(x, g.batch * g.channels * g.height * g.width, op, xName);
  need(y, g.batch * g.channels * g.outH * g.outW, op, yName);
}
