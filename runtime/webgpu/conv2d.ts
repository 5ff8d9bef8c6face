/**
 * 2-D convolution on WebGPU (PyTorch's Conv2d without bias, NCHW input, weight
 * [filters, channels, kh, kw]) and its two gradients, lowered as runtime/cpu/conv.ts does to
 * GEMMs over the im2col column matrix, with K = channels*kh*kw and Q = outH*outW:
 *   forward      y[b]  (F x Q) = w (F x K) . col(x[b]) (K x Q)
 *   grad input   dx[b]         = col2im(w^T (K x F) . dy[b] (F x Q))
 *   grad weight  dw    (F x K) = sum over b of dy[b] (F x Q) . col(x[b])^T (Q x K)
 * Images go through in chunks: the column matrices of a chunk fill the caller's `scratch`
 * (an arena buffer the backend keeps and reuses for every call; conv2dScratchSize(g) elements,
 * or fewer, down to one image's column matrix, for more and smaller chunks), then one batched GEMM (the weight shared, stride 0) covers the chunk. The
 * weight gradient sums the chunk's products inside the GEMM (its `reduce` terms) and adds
 * chunks after the first. A pointwise convolution (1x1, stride 1, no padding) needs no
 * lowering: the images are their own column matrices, and it uses no scratch.
 *
 * col2im is a gather, one invocation per input pixel summing the column entries that came
 * from it: no atomics and no zeroing pass.
 */
import { ACCUMULATE, type ConvGeometry, TRANS_A, TRANS_B } from "../backend.js";
import type { GpuBuffer, GpuContext } from "./context.js";
import { dispatchElementwise } from "./elementwise.js";
import { encodeGemmAt } from "./gemm.js";

/** Column-matrix elements a chunk aims at (16 MiB of f32): fewer GEMMs, bounded scratch. */
const CHUNK_ELEMENTS = 1 << 22;

/** Elements of the column matrix of one image: channels*kh*kw*outH*outW. */
function colSize(g: ConvGeometry): number {
  return g.channels * g.kernelH * g.kernelW * g.outH * g.outW;
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

/** Images per chunk: as many column matrices as fit CHUNK_ELEMENTS, at least one. */
function chunkImages(g: ConvGeometry): number {
  return Math.max(1, Math.min(g.batch, Math.floor(CHUNK_ELEMENTS / Math.max(1, colSize(g)))));
}

/** Scratch elements the three functions need for `g` (0 for a pointwise convolution). */
export function conv2dScratchSize(g: ConvGeometry): number {
  return isPointwise(g) || g.batch === 0 ? 0 : chunkImages(g) * colSize(g);
}

/**
 * The chunks of the batch, [first image, count] pairs: as many column matrices per chunk as
 * `scratch` holds (conv2dScratchSize(g) elements give chunks of CHUNK_ELEMENTS).
 */
function chunks(g: ConvGeometry, scratch: GpuBuffer | null): [number, number][] {
  const per = Math.min(g.batch, Math.floor((scratch?.length ?? 0) / colSize(g)));
  if (per < 1) {
    throw new Error(`conv2d: scratch holds ${scratch?.length ?? 0} elements, needs ${colSize(g)}`);
  }
  const out: [number, number][] = [];
  for (let first = 0; first < g.batch; first += per)
    out.push([first, Math.min(per, g.batch - first)]);
  return out;
}

/** y = x (*) w. */
export function encodeConv2d(
  ctx: GpuContext,
  x: GpuBuffer,
  w: GpuBuffer,
  y: GpuBuffer,
  g: ConvGeometry,
  scratch: GpuBuffer | null,
): void {
  const k = g.channels * g.kernelH * g.kernelW;
  const q = g.outH * g.outW;
  const imageSize = g.channels * g.height * g.width;
  if (g.batch === 0) return;
  if (isPointwise(g)) {
    encodeGemmAt(
      ctx,
      w.offset,
      x.offset,
      y.offset,
      g.filters,
      q,
      k,
      0,
      g.batch,
      1,
      0,
      imageSize,
      g.filters * q,
    );
    return;
  }
  for (const [first, count] of chunks(g, scratch)) {
    encodeIm2col(ctx, x.offset + first * imageSize, scratch!.offset, count, g);
    const yAt = y.offset + first * g.filters * q;
    encodeGemmAt(
      ctx,
      w.offset,
      scratch!.offset,
      yAt,
      g.filters,
      q,
      k,
      0,
      count,
      1,
      0,
      k * q,
      g.filters * q,
    );
  }
}

/** dx = the gradient of conv2d with respect to x, given dy. */
export function encodeConv2dGradInput(
  ctx: GpuContext,
  dy: GpuBuffer,
  w: GpuBuffer,
  dx: GpuBuffer,
  g: ConvGeometry,
  scratch: GpuBuffer | null,
): void {
  const k = g.channels * g.kernelH * g.kernelW;
  const q = g.outH * g.outW;
  const imageSize = g.channels * g.height * g.width;
  if (g.batch === 0) return;
  if (isPointwise(g)) {
    encodeGemmAt(
      ctx,
      w.offset,
      dy.offset,
      dx.offset,
      k,
      q,
      g.filters,
      TRANS_A,
      g.batch,
      1,
      0,
      g.filters * q,
      imageSize,
    );
    return;
  }
  for (const [first, count] of chunks(g, scratch)) {
    const dyAt = dy.offset + first * g.filters * q;
    encodeGemmAt(
      ctx,
      w.offset,
      dyAt,
      scratch!.offset,
      k,
      q,
      g.filters,
      TRANS_A,
      count,
      1,
      0,
      g.filters * q,
      k * q,
    );
    encodeCol2im(ctx, scratch!.offset, dx.offset + first * imageSize, count, g);
  }
}

/** dw = the gradient of conv2d with respect to w, given x and dy (overwritten, not added to). */
export function encodeConv2dGradWeight(
  ctx: GpuContext,
  x: GpuBuffer,
  dy: GpuBuffer,
  dw: GpuBuffer,
  g: ConvGeometry,
  scratch: GpuBuffer | null,
): void {
  const k = g.channels * g.kernelH * g.kernelW;
  const q = g.outH * g.outW;
  const imageSize = g.channels * g.height * g.width;
  const dyImage = g.filters * q;
  if (isPointwise(g) || g.batch === 0) {
    // With no images the sum is empty: the GEMM stores zeros.
    encodeGemmAt(
      ctx,
      dy.offset,
      x.offset,
      dw.offset,
      g.filters,
      k,
      q,
      TRANS_B,
      1,
      g.batch,
      dyImage,
      imageSize,
      0,
    );
    return;
  }
  for (const [first, count] of chunks(g, scratch)) {
    encodeIm2col(ctx, x.offset + first * imageSize, scratch!.offset, count, g);
    const flags = TRANS_B | (first > 0 ? ACCUMULATE : 0);
    const dyAt = dy.offset + first * dyImage;
    encodeGemmAt(
      ctx,
      dyAt,
      scratch!.offset,
      dw.offset,
      g.filters,
      k,
      q,
      flags,
      1,
      count,
      dyImage,
      k * q,
      0,
    );
  }
}

const GEOMETRY = [
  "src",
  "dst",
  "channels",
  "height",
  "width",
  "kernelH",
  "kernelW",
  "stride",
  "padTop",
  "padLeft",
  "outH",
  "outW",
] as const;

function geometryValues(src: number, dst: number, g: ConvGeometry): number[] {
  return [
    src,
    dst,
    g.channels,
    g.height,
    g.width,
    g.kernelH,
    g.kernelW,
    g.stride,
    g.padTop,
    g.padLeft,
    g.outH,
    g.outW,
  ];
}

/**
 * col[j][(c, ki, kj)][(oh, ow)] = x[j][c][oh*stride - padTop + ki][ow*stride - padLeft + kj],
 * zero outside the image, for the `count` images at element `x` of the arena.
 */
function encodeIm2col(
  ctx: GpuContext,
  x: number,
  col: number,
  count: number,
  g: ConvGeometry,
): void {
  dispatchElementwise(
    ctx,
    "im2col",
    count * colSize(g),
    GEOMETRY,
    geometryValues(x, col, g),
    IM2COL,
  );
}

/** dx[j][c][h][w] = the sum of the column entries of image j that read pixel (c, h, w). */
function encodeCol2im(
  ctx: GpuContext,
  col: number,
  dx: number,
  count: number,
  g: ConvGeometry,
): void {
  const total = count * g.channels * g.height * g.width;
  dispatchElementwise(ctx, "col2im", total, GEOMETRY, geometryValues(col, dx, g), COL2IM);
}

const IM2COL = `
  let q = p.outH * p.outW;
  let kSize = p.channels * p.kernelH * p.kernelW;
  let ow = i % p.outW;
  let oh = (i / p.outW) % p.outH;
  let row = (i / q) % kSize;
  let image = i / (q * kSize);
  let kj = row % p.kernelW;
  let ki = (row / p.kernelW) % p.kernelH;
  let c = row / (p.kernelW * p.kernelH);
  let ih = i32(oh * p.stride + ki) - i32(p.padTop);
  let iw = i32(ow * p.stride + kj) - i32(p.padLeft);
  var value = 0.0;
  if (ih >= 0 && ih < i32(p.height) && iw >= 0 && iw < i32(p.width)) {
    let plane = image * p.channels + c;
    value = mem[p.src + (plane * p.height + u32(ih)) * p.width + u32(iw)];
  }
  mem[p.dst + i] = value;`;

const COL2IM = `
  let q = p.outH * p.outW;
  let kSize = p.channels * p.kernelH * p.kernelW;
  let w = i % p.width;
  let h = (i / p.width) % p.height;
  let plane = i / (p.width * p.height);
  let c = plane % p.channels;
  let image = plane / p.channels;
  let base = p.src + image * kSize * q;
  var sum = 0.0;
  for (var ki = 0u; ki < p.kernelH; ki++) {
    // oh * stride = h + padTop - ki, for a whole oh in [0, outH)
    let ohStride = i32(h + p.padTop) - i32(ki);
    if (ohStride < 0 || u32(ohStride) % p.stride != 0u) { continue; }
    let oh = u32(ohStride) / p.stride;
    if (oh >= p.outH) { continue; }
    for (var kj = 0u; kj < p.kernelW; kj++) {
      let owStride = i32(w + p.padLeft) - i32(kj);
      if (owStride < 0 || u32(owStride) % p.stride != 0u) { continue; }
      let ow = u32(owStride) / p.stride;
      if (ow >= p.outW) { continue; }
      let row = (c * p.kernelH + ki) * p.kernelW + kj;
      sum += mem[base + row * q + oh * p.outW + ow];
    }
  }
  mem[p.dst + i] = sum;`;
