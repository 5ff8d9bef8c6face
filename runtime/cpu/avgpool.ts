/**
 * 2-D average pooling over NCHW planes, as torch.nn.AvgPool2d with its defaults: window
 * (oh, ow) covers padded rows oh*stride .. + size and columns ow*stride .. + size of the plane
 * with `padding` zeros on every side, and its mean divides by size^2 (count_include_pad=True),
 * however much of it lies in the padding. Floor mode: the geometry's outH/outW windows all
 * start inside the padded plane; parts past its end are clipped like padding.
 */
import type { AvgPoolGeometry, FloatArray } from "../backend.js";

/** The rows (or columns) of the plane window `o` covers: [first, end), clipped to [0, n). */
function span(o: number, g: AvgPoolGeometry, n: number): [number, number] {
  const start = o * g.stride - g.padding;
  return [Math.max(start, 0), Math.min(start + g.size, n)];
}

/** y = the mean of each window of x. */
export function avgpool2dForward(x: FloatArray, y: FloatArray, g: AvgPoolGeometry): void {
  const { height, width, outH, outW } = g;
  const scale = 1 / (g.size * g.size);
  const planes = g.batch * g.channels;
  for (let plane = 0; plane < planes; plane++) {
    const xOff = plane * height * width;
    let yi = plane * outH * outW;
    for (let oh = 0; oh < outH; oh++) {
      const [h0, h1] = span(oh, g, height);
      for (let ow = 0; ow < outW; ow++) {
        const [w0, w1] = span(ow, g, width);
        let sum = 0;
        for (let h = h0; h < h1; h++) {
          const row = xOff + h * width;
          for (let w = w0; w < w1; w++) sum += x[row + w]!;
        }
        y[yi++] = sum * scale;
      }
    }
  }
}

/** dx = each window's dy / size^2 added to its elements inside the plane (zero elsewhere). */
export function avgpool2dBackward(dy: FloatArray, dx: FloatArray, g: AvgPoolGeometry): void {
  const { height, width, outH, outW } = g;
  const scale = 1 / (g.size * g.size);
  const planes = g.batch * g.channels;
  dx.fill(0, 0, planes * height * width);
  for (let plane = 0; plane < planes; plane++) {
    const xOff = plane * height * width;
    let yi = plane * outH * outW;
    for (let oh = 0; oh < outH; oh++) {
      const [h0, h1] = span(oh, g, height);
      for (let ow = 0; ow < outW; ow++) {
        const [w0, w1] = span(ow, g, width);
        const share = dy[yi++]! * scale;
        for (let h = h0; h < h1; h++) {
          const row = xOff + h * width;
          for (let w = w0; w < w1; w++) dx[row + w] = dx[row + w]! + share;
        }
      }
    }
  }
}
