/**
 * 2-D max pooling over NCHW planes: window (oh, ow) covers rows oh*stride .. + size and
 * columns ow*stride .. + size, without padding (floor mode), clipped to the image should the
 * geometry's outH/outW reach past it. Windows are scanned in row-major order and only a strictly
 * greater value (or the first NaN) replaces the running maximum, so the gradient goes to the
 * FIRST maximum of each window, as PyTorch routes it.
 */
import type { FloatArray, PoolGeometry } from "../backend.js";

/** y = the maximum of each window of x. */
export function maxpool2dForward(x: FloatArray, y: FloatArray, g: PoolGeometry): void {
  const { height, width, size, stride, outH, outW } = g;
  const planes = g.batch * g.channels;
  for (let plane = 0; plane < planes; plane++) {
    const xOff = plane * height * width;
    let yi = plane * outH * outW;
    for (let oh = 0; oh < outH; oh++) {
      const h0 = oh * stride;
      const h1 = Math.min(h0 + size, height);
      for (let ow = 0; ow < outW; ow++) {
        const w0 = ow * stride;
        const w1 = Math.min(w0 + size, width);
        let best = -Infinity;
        for (let h = h0; h < h1; h++) {
          const row = xOff + h * width;
          for (let w = w0; w < w1; w++) {
            const v = x[row + w]!;
            if (v > best || v !== v) best = v;
          }
        }
        y[yi++] = best;
      }
    }
  }
}

/** dx = dy routed to the first maximum of each window of x, zero elsewhere. */
export function maxpool2dBackward(
  x: FloatArray,
  dy: FloatArray,
  dx: FloatArray,
  g: PoolGeometry,
): void {
  const { height, width, size, stride, outH, outW } = g;
  const planes = g.batch * g.channels;
  dx.fill(0, 0, planes * height * width);
  for (let plane = 0; plane < planes; plane++) {
    const xOff = plane * height * width;
    let yi = plane * outH * outW;
    for (let oh = 0; oh < outH; oh++) {
      const h0 = oh * stride;
      const h1 = Math.min(h0 + size, height);
      for (let ow = 0; ow < outW; ow++) {
        const w0 = ow * stride;
        const w1 = Math.min(w0 + size, width);
        if (h0 >= h1 || w0 >= w1) {
          yi++;
          continue;
        }
        // Start from the window's first element so that a window of -Infinity still routes.
        let at = xOff + h0 * width + w0;
        let best = x[at]!;
        for (let h = h0; h < h1; h++) {
          const row = xOff + h * width;
          for (let w = w0; w < w1; w++) {
            const v = x[row + w]!;
            if (v > best || (v !== v && best === best)) {
              best = v;
              at = row + w;
            }
          }
        }
        // Overlapping windows (stride < size) may pick the same pixel: gradients add.
        dx[at] = dx[at]! + dy[yi++]!;
      }
    }
  }
}
