/**
 * 2-D max pooling on WebGPU, as runtime/cpu/pool.ts defines it: NCHW planes, window (oh, ow)
 * over rows oh*stride .. + size and columns ow*stride .. + size, no padding, clipped to the
 * image. The forward keeps the first NaN of a window (NaN propagates); the gradient goes to
 * the FIRST maximum of each window (PyTorch's choice; a NaN counts as the maximum once seen),
 * summed where windows overlap.
 *
 * The gradient is a gather, one invocation per input pixel: it visits the windows holding its
 * pixel in the CPU's order, finds each one's first maximum again and adds that window's dy
 * when it is this pixel. No atomics, no zeroing pass, and the sums come out in the CPU's order.
 */
import type { PoolGeometry } from "../backend.js";
import type { GpuBuffer, GpuContext } from "./context.js";
import { dispatchElementwise } from "./elementwise.js";

const FIELDS = ["x", "y", "dy", "height", "width", "size", "stride", "outH", "outW", "negInf"];

/** The bits of -Infinity, passed in: a WGSL constant expression cannot be infinite. */
const NEGATIVE_INFINITY_BITS = 0xff800000;

function values(g: PoolGeometry, x: number, y: number, dy: number): number[] {
  const { height, width, size, stride, outH, outW } = g;
  return [x, y, dy, height, width, size, stride, outH, outW, NEGATIVE_INFINITY_BITS];
}

/** y = the maximum of each window of x. */
export function encodeMaxpool2d(
  ctx: GpuContext,
  x: GpuBuffer,
  y: GpuBuffer,
  g: PoolGeometry,
): void {
  const total = g.batch * g.channels * g.outH * g.outW;
  dispatchElementwise(ctx, "maxpool2d", total, FIELDS, values(g, x.offset, y.offset, 0), FORWARD);
}

/** dx = dy routed to the first maximum of each window of x, zero elsewhere. */
export function encodeMaxpool2dGrad(
  ctx: GpuContext,
  x: GpuBuffer,
  dy: GpuBuffer,
  dx: GpuBuffer,
  g: PoolGeometry,
): void {
  const total = g.batch * g.channels * g.height * g.width;
  // `y` is dx here: the output of this kernel.
  const fields = values(g, x.offset, dx.offset, dy.offset);
  dispatchElementwise(ctx, "maxpool2dGrad", total, FIELDS, fields, BACKWARD, FIRST_MAXIMUM);
}

const FORWARD = `
  let ow = i % p.outW;
  let oh = (i / p.outW) % p.outH;
  let plane = i / (p.outW * p.outH);
  let base = p.x + plane * p.height * p.width;
  let h1 = min(oh * p.stride + p.size, p.height);
  let w1 = min(ow * p.stride + p.size, p.width);
  var best = bitcast<f32>(p.negInf);
  for (var h = oh * p.stride; h < h1; h++) {
    for (var w = ow * p.stride; w < w1; w++) {
      let v = mem[base + h * p.width + w];
      if (v > best || isNan(v)) { best = v; }
    }
  }
  mem[p.y + i] = best;`;

const FIRST_MAXIMUM = `
/** The flat index (within its plane) of the first maximum of window (oh, ow); it is not empty. */
fn firstMaximum(base: u32, oh: u32, ow: u32) -> u32 {
  let h0 = oh * p.stride;
  let w0 = ow * p.stride;
  let h1 = min(h0 + p.size, p.height);
  let w1 = min(w0 + p.size, p.width);
  var at = h0 * p.width + w0;
  var best = mem[base + at];
  for (var h = h0; h < h1; h++) {
    for (var w = w0; w < w1; w++) {
      let v = mem[base + h * p.width + w];
      if (v > best || (isNan(v) && !isNan(best))) { best = v; at = h * p.width + w; }
    }
  }
  return at;
}`;

const BACKWARD = `
  let pixel = i % (p.height * p.width);
  let plane = i / (p.height * p.width);
  let h = pixel / p.width;
  let w = pixel % p.width;
  let base = p.x + plane * p.height * p.width;
  let dyBase = p.dy + plane * p.outH * p.outW;
  // Windows holding row h: oh * stride <= h < oh * stride + size, oh < outH (and the same for w).
  let ohFirst = select(0u, (h + 1u - p.size + p.stride - 1u) / p.stride, h + 1u > p.size);
  let owFirst = select(0u, (w + 1u - p.size + p.stride - 1u) / p.stride, w + 1u > p.size);
  let ohLast = min(h / p.stride + 1u, p.outH);
  let owLast = min(w / p.stride + 1u, p.outW);
  var sum = 0.0;
  for (var oh = ohFirst; oh < ohLast; oh++) {
    for (var ow = owFirst; ow < owLast; ow++) {
      if (firstMaximum(base, oh, ow) == pixel) { sum += mem[dyBase + oh * p.outW + ow]; }
    }
  }
  mem[p.y + i] = sum;`;
