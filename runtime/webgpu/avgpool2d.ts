/**
 * 2-D average pooling on WebGPU, as runtime/cpu/avgpool.ts defines it: NCHW planes, window
 * (oh, ow) over padded rows oh*stride .. + size and columns ow*stride .. + size, `padding`
 * zeros on every side counted in the mean (every window divides by size^2).
 *
 * The gradient is a gather, one invocation per input pixel: it adds dy / size^2 of the windows
 * holding its pixel. No atomics, no zeroing pass. Coordinates are i32 in the shaders, since a
 * window's first padded row may lie before the plane.
 */
import type { AvgPoolGeometry } from "../backend.js";
import type { GpuBuffer, GpuContext } from "./context.js";
import { dispatchElementwise } from "./elementwise.js";

const FIELDS = ["src", "dst", "height", "width", "size", "stride", "padding", "outH", "outW"];

function values(g: AvgPoolGeometry, src: number, dst: number): number[] {
  const { height, width, size, stride, padding, outH, outW } = g;
  return [src, dst, height, width, size, stride, padding, outH, outW];
}

/** y = the mean of each window of x. */
export function encodeAvgpool2d(
  ctx: GpuContext,
  x: GpuBuffer,
  y: GpuBuffer,
  g: AvgPoolGeometry,
): void {
  const total = g.batch * g.channels * g.outH * g.outW;
  dispatchElementwise(ctx, "avgpool2d", total, FIELDS, values(g, x.offset, y.offset), FORWARD);
}

/** dx = each window's dy / size^2 added to its pixels inside the plane. */
export function encodeAvgpool2dGrad(
  ctx: GpuContext,
  dy: GpuBuffer,
  dx: GpuBuffer,
  g: AvgPoolGeometry,
): void {
  const total = g.batch * g.channels * g.height * g.width;
  const fields = values(g, dy.offset, dx.offset);
  dispatchElementwise(ctx, "avgpool2dGrad", total, FIELDS, fields, BACKWARD);
}

const FORWARD = `
  let ow = i32(i % p.outW);
  let oh = i32((i / p.outW) % p.outH);
  let plane = i / (p.outW * p.outH);
  let base = p.src + plane * p.height * p.width;
  let h0 = oh * i32(p.stride) - i32(p.padding);
  let w0 = ow * i32(p.stride) - i32(p.padding);
  let h1 = min(h0 + i32(p.size), i32(p.height));
  let w1 = min(w0 + i32(p.size), i32(p.width));
  var sum = 0.0;
  for (var h = max(h0, 0); h < h1; h++) {
    for (var w = max(w0, 0); w < w1; w++) {
      sum += mem[base + u32(h) * p.width + u32(w)];
    }
  }
  mem[p.dst + i] = sum / f32(p.size * p.size);`;

const BACKWARD = `
  let pixel = i % (p.height * p.width);
  let plane = i / (p.height * p.width);
  // the pixel's padded coordinates; window o holds q when o * stride <= q < o * stride + size
  let qh = i32(pixel / p.width + p.padding);
  let qw = i32(pixel % p.width + p.padding);
  let stride = i32(p.stride);
  let size = i32(p.size);
  let ohFirst = select(0, (qh - size + stride) / stride, qh >= size);
  let owFirst = select(0, (qw - size + stride) / stride, qw >= size);
  let ohLast = min(qh / stride + 1, i32(p.outH));
  let owLast = min(qw / stride + 1, i32(p.outW));
  let dyBase = p.src + plane * p.outH * p.outW;
  var sum = 0.0;
  for (var oh = ohFirst; oh < ohLast; oh++) {
    for (var ow = owFirst; ow < owLast; ow++) {
      sum += mem[dyBase + u32(oh) * p.outW + u32(ow)];
    }
  }
  mem[p.dst + i] = sum / f32(p.size * p.size);`;
