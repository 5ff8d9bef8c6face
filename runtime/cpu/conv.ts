/**
 * 2-D convolution (PyTorch's Conv2d without bias: cross-correlation, NCHW input, weight
 * [filters, channels, kh, kw]) and its two gradients, each as one GEMM per image over the
 * im2col column matrix (see im2col.ts). With K = channels*kh*kw and Q = outH*outW:
 *   forward      y[b]  (F x Q) = w (F x K) . col(x[b]) (K x Q)
 *   grad input   dx[b]         = col2im(w^T (K x F) . dy[b] (F x Q))
 *   grad weight  dw    (F x K) = sum over b of dy[b] (F x Q) . col(x[b])^T (Q x K)
 * A 1x1 kernel with stride 1, no padding and the input's own size needs no lowering: the
 * image itself is its column matrix.
 *
 * `col` is caller-owned scratch of at least colSize(g) elements. `gemm` multiplies one matrix
 * triple (gemmOne's contract); the JS GEMM by default, a faster one where a backend has it.
 */
import type { ConvGeometry, FloatArray } from "../backend.js";
import { gemmOne } from "./gemm.js";
import { col2imAdd, im2col } from "./im2col.js";

/** gemmOne's signature: one matrix triple at element offsets of typed arrays. */
export type GemmOne = typeof gemmOne;

/** Elements of the column matrix of one image: channels*kh*kw*outH*outW. */
export function colSize(g: ConvGeometry): number {
  return g.channels * g.kernelH * g.kernelW * g.outH * g.outW;
}

/** Whether the column matrix of an image is the image itself (a pointwise convolution). */
export function isPointwise(g: ConvGeometry): boolean {
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

/** y = x (*) w. */
export function conv2dForward(
  x: FloatArray,
  w: FloatArray,
  y: FloatArray,
  g: ConvGeometry,
  col: FloatArray,
  gemm: GemmOne = gemmOne,
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
      im2col(x, b * imageSize, col, g);
      gemm(w, 0, col, 0, y, yOff, g.filters, q, k, false, false, false);
    }
  }
}

/** dx = the gradient of conv2d with respect to x, given dy. */
export function conv2dGradInput(
  dy: FloatArray,
  w: FloatArray,
  dx: FloatArray,
  g: ConvGeometry,
  col: FloatArray,
  gemm: GemmOne = gemmOne,
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
      col2imAdd(col, dx, xOff, g);
    }
  }
}

/** dw = the gradient of conv2d with respect to w, given x and dy (overwritten, not added to). */
export function conv2dGradWeight(
  x: FloatArray,
  dy: FloatArray,
  dw: FloatArray,
  g: ConvGeometry,
  col: FloatArray,
  gemm: GemmOne = gemmOne,
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
      im2col(x, b * imageSize, col, g);
      gemm(dy, dyOff, col, 0, dw, 0, g.filters, k, q, false, true, b > 0);
    }
  }
}
