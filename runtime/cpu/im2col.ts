/**
 * The lowering of a convolution to a matrix product. For one image x[c, h, w] (C x H x W) the
 * column matrix has a row per weight position r = (c*kh + ki)*kw + kj and a column per output
 * position q = oh*outW + ow:
 *   col[r, q] = x[c, oh*stride - padTop + ki, ow*stride - padLeft + kj], 0 outside the image.
 * Then y = w . col with w viewed as [filters, C*kh*kw], and by adjointness the gradient of
 * the input scatters w^T . dy back through the same index map (col2im).
 *
 * For each kj the in-image output columns form one interval [lo, hi), found once, so the inner
 * loops carry no bounds tests.
 */
import type { ConvGeometry, FloatArray } from "../backend.js";

/** Writes the column matrix of the image at x[xOff ..] into col[0 .. C*kh*kw*outH*outW). */
export function im2col(x: FloatArray, xOff: number, col: FloatArray, g: ConvGeometry): void {
  const { channels, height, width, kernelH, kernelW, stride, padTop, padLeft, outH, outW } = g;
  let d = 0;
  for (let c = 0; c < channels; c++) {
    const plane = xOff + c * height * width;
    for (let ki = 0; ki < kernelH; ki++) {
      for (let kj = 0; kj < kernelW; kj++) {
        const lo = firstInside(padLeft - kj, stride, outW);
        const hi = endInside(width - 1 + padLeft - kj, stride, outW, lo);
        const shift = kj - padLeft;
        for (let oh = 0; oh < outH; oh++) {
          const ih = oh * stride - padTop + ki;
          if (ih < 0 || ih >= height) {
            col.fill(0, d, d + outW);
            d += outW;
            continue;
          }
          const src = plane + ih * width + shift;
          for (let ow = 0; ow < lo; ow++) col[d + ow] = 0;
          for (let ow = lo; ow < hi; ow++) col[d + ow] = x[src + ow * stride]!;
          for (let ow = hi; ow < outW; ow++) col[d + ow] = 0;
          d += outW;
        }
      }
    }
  }
}

/**
 * dx[xOff ..] += the scatter of the column matrix col through the im2col index map: every
 * col[r, q] whose source lies in the image is added to that pixel; padding positions drop out.
 */
export function col2imAdd(col: FloatArray, dx: FloatArray, xOff: number, g: ConvGeometry): void {
  const { channels, height, width, kernelH, kernelW, stride, padTop, padLeft, outH, outW } = g;
  let d = 0;
  for (let c = 0; c < channels; c++) {
    const plane = xOff + c * height * width;
    for (let ki = 0; ki < kernelH; ki++) {
      for (let kj = 0; kj < kernelW; kj++) {
        const lo = firstInside(padLeft - kj, stride, outW);
        const hi = endInside(width - 1 + padLeft - kj, stride, outW, lo);
        const shift = kj - padLeft;
        for (let oh = 0; oh < outH; oh++) {
          const ih = oh * stride - padTop + ki;
          if (ih >= 0 && ih < height) {
            const dst = plane + ih * width + shift;
            for (let ow = lo; ow < hi; ow++)
              dx[dst + ow * stride] = dx[dst + ow * stride]! + col[d + ow]!;
          }
          d += outW;
        }
      }
    }
  }
}

/** The least ow >= 0 with ow*stride >= need (the first column inside the left edge), <= outW. */
function firstInside(need: number, stride: number, outW: number): number {
  if (need <= 0) return 0;
  return Math.min(outW, Math.ceil(need / stride));
}

/** One past the greatest ow with ow*stride <= limit (inside the right edge), in [lo, outW]. */
function endInside(limit: number, stride: number, outW: number, lo: number): number {
  if (limit < 0) return lo;
  return Math.max(lo, Math.min(outW, Math.floor(limit / stride) + 1));
}
