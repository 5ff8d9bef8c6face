/**
 * runtime/cpu/conv.ts's three convolutions with the lowering (im2col, col2imAdd) as a
 * parameter, so the wasm backend runs it in WebAssembly (im2col.ts) on arrays of its memory.
 * Same loops, same GEMM calls, same results bit for bit (the lowering only copies, or adds in
 * the same order). conv.ts's functions are these with the JS lowering; they are kept apart
 * until conv.ts takes a lowering itself. Browser-safe.
 */
import type { ConvGeometry, FloatArray } from "../backend.js";
import type { GemmOne } from "../cpu/conv.js";

/** The index map of a convolution, as runtime/cpu/im2col.ts defines it. */
export interface Lowering {
  im2col(x: FloatArray, xOff: number, col: FloatArray, g: ConvGeometry): void;
  col2imAdd(col: FloatArray, dx: FloatArray, xOff: number, g: ConvGeometry): void;
}

function isPointwise(g: ConvGeometry): boolean {
  return (
    g.kernelH === 1 &&
    g.kernelW === 1 &&
    g.stride === 1 &&
    g.padTop === 0 &&
    g.padLeft === 0 &&
    g.outH === g.height &&
    g.outW === g.width
  );
}

/** y = x (*) w (conv.ts's conv2dForward). */
export function conv2dForwardWith(
  lowering: Lowering,
  x: FloatArray,
  w: FloatArray,
  y: FloatArray,
  g: ConvGeometry,
  col: FloatArray,
  gemm: GemmOne,
): void {
  const k = g.channels * g.kernelH * g.kernelW;
  const q = g.outH * g.outW;
  const imageSize = g.channels * g.height * g.width;
  const pointwise = isPointwise(g);
  for (let b = 0; b < g.batch; b++) {
    const yOff = b * g.filters * q;
    if (pointwise) {
      gemm(w, 0, x, b * imageSize, y, yOff, g.filters, q, k, false, false, false);
    } else {
      lowering.im2col(x, b * imageSize, col, g);
      gemm(w, 0, col, 0, y, yOff, g.filters, q, k, false, false, false);
    }
  }
}

/** dx = the gradient of conv2d with respect to x, given dy (conv.ts's conv2dGradInput). */
export function conv2dGradInputWith(
  lowering: Lowering,
  dy: FloatArray,
  w: FloatArray,
  dx: FloatArray,
  g: ConvGeometry,
  col: FloatArray,
  gemm: GemmOne,
): void {
  const k = g.channels * g.kernelH * g.kernelW;
  const q = g.outH * g.outW;
  const imageSize = g.channels * g.height * g.width;
  const pointwise = isPointwise(g);
  for (let b = 0; b < g.batch; b++) {
    const dyOff = b * g.filters * q;
    const xOff = b * imageSize;
    if (pointwise) {
      gemm(w, 0, dy, dyOff, dx, xOff, k, q, g.filters, true, false, false);
    } else {
      gemm(w, 0, dy, dyOff, col, 0, k, q, g.filters, true, false, false);
      dx.fill(0, xOff, xOff + imageSize);
      lowering.col2imAdd(col, dx, xOff, g);
    }
  }
}

/** dw = the gradient of conv2d with respect to w (conv.ts's conv2dGradWeight). */
export function conv2dGradWeightWith(
  lowering: Lowering,
  x: FloatArray,
  dy: FloatArray,
  dw: FloatArray,
  g: ConvGeometry,
  col: FloatArray,
  gemm: GemmOne,
): void {
  const k = g.channels * g.kernelH * g.kernelW;
  const q = g.outH * g.outW;
  const imageSize = g.channels * g.height * g.width;
  if (g.batch === 0) {
    dw.fill(0, 0, g.filters * k);
    return;
  }
  const pointwise = isPointwise(g);
  for (let b = 0; b < g.batch; b++) {
    const dyOff = b * g.filters * q;
    if (pointwise) {
      gemm(dy, dyOff, x, b * imageSize, dw, 0, g.filters, k, q, false, true, b > 0);
    } else {
      lowering.im2col(x, b * imageSize, col, g);
      gemm(dy, dyOff, col, 0, dw, 0, g.filters, k, q, false, true, b > 0);
    }
  }
}
