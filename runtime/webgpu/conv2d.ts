/**
 * 2-D convolution on WebGPU (PyTorch's Conv2d without bias, NCHW input, weight
 * [filters, channels, kh, kw]) and its two gradients, lowered as runtime/cpu/conv.ts does to
 * GEMMs over the im2col column matrix, with K = channels*kh*kw and Q = outH*outW:
 *   forward      y[b]  (F x Q) = w (F x K) . col(x[b]) (K x Q)
 *   grad input   dx[b]         = col2im(w^T (K x F) . dy[b] (F x Q))
 *   grad weight  dw    (F x K) = sum over b of dy[b] (F x Q) . col(x[b])^T (Q x K)
 * Images go through in chunks, each one batched GEMM (the weight shared, stride 0) over the
 * chunk's column matrices in the caller's `scratch`: an arena buffer the backend keeps and
 * reuses for every call, of conv2dScratchSize(g) elements (or fewer, down to one image's
 * share, for more and smaller chunks). The weight gradient computes one F x K product per
 * image into the scratch too, then sums them in image order (plus the previous chunks' sum):
 * summing inside one GEMM would leave F x K / tile workgroups, often one, to do all the work.
 * A pointwise convolution (1x1, stride 1, no padding) needs no lowering: the images are their
 * own column matrices.
 *
 * col2im is a gather, one invocation per input pixel summing the column entries that came
 * from it: no atomics and no zeroing pass.
 */
import { ACCUMULATE, type ConvGeometry, TRANS_A, TRANS_B } from "../backend.js";
import type { GpuBuffer, GpuContext } from "./context.js";
import { dispatchElementwise } from "./elementwise.js";
import { encodeGemmAt } from "./gemm.js";

/** Scratch elements a chunk aims at (16 MiB of f32): few dispatches, bounded memory. */
const CHUNK_ELEMENTS = 1 << 22;

/** What one geometry's lowering works with. */
interface Lowering {
  /** K, Q, and the elements of an input image and of an output image. */
  readonly k: number;
  readonly q: number;
  readonly image: number;
  readonly outImage: number;
  /** Whether the images are their own column matrices. */
  readonly pointwise: boolean;
  /** Scratch elements per image: its column matrix (unless pointwise) and its F x K product. */
  readonly perImage: number;
}

function lowering(g: ConvGeometry): Lowering {
  const k = g.channels * g.kernelH * g.kernelW;
  const q = g.outH * g.outW;
  const pointwise =
    g.kernelH === 1 &&
    g.kernelW === 1 &&
    g.stride === 1 &&
    g.padTop === 0 &&
    g.padLeft === 0 &&
    g.outH === g.height &&
    g.outW === g.width;
  const image = g.channels * g.height * g.width;
  // Column matrices start at multiples of 4 elements, for the GEMM's vec4 loads.
  const col = pointwise ? 0 : align4(k * q);
  return { k, q, image, outImage: g.filters * q, pointwise, perImage: col + g.filters * k };
}

const align4 = (n: number): number => Math.ceil(n / 4) * 4;

/** Scratch elements the three functions want for `g`: chunks of about CHUNK_ELEMENTS. */
export function conv2dScratchSize(g: ConvGeometry): number {
  if (g.batch === 0) return 0;
  const { perImage } = lowering(g);
  return Math.max(1, Math.min(g.batch, Math.floor(CHUNK_ELEMENTS / perImage))) * perImage;
}

/**
 * The chunks of the batch as [first image, count] pairs, and where the chunk's column
 * matrices and F x K products start in the scratch: as many images per chunk as it holds.
 */
function chunks(
  g: ConvGeometry,
  l: Lowering,
  scratch: GpuBuffer | null,
): { readonly chunks: [number, number][]; readonly cols: number; readonly products: number } {
  const length = scratch?.length ?? 0;
  const per = Math.min(g.batch, Math.floor(length / l.perImage));
  if (per < 1) {
    throw new Error(`conv2d: scratch holds ${length} elements, needs ${l.perImage}`);
  }
  const out: [number, number][] = [];
  for (let first = 0; first < g.batch; first += per) {
    out.push([first, Math.min(per, g.batch - first)]);
  }
  const cols = scratch!.offset;
  return { chunks: out, cols, products: cols + per * (l.perImage - g.filters * l.k) };
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
  if (g.batch === 0) return;
  const l = lowering(g);
  const product = { a: w.offset, m: g.filters, n: l.q, k: l.k, flags: 0, reduce: 1 };
  if (l.pointwise) {
    const strides = { strideA: 0, strideB: l.image, strideC: l.outImage };
    encodeGemmAt(ctx, { ...product, b: x.offset, c: y.offset, batch: g.batch, ...strides });
    return;
  }
  const { chunks: parts, cols } = chunks(g, l, scratch);
  for (const [first, count] of parts) {
    encodeIm2col(ctx, x.offset + first * l.image, cols, count, g);
    const [c, strides] = [
      y.offset + first * l.outImage,
      { strideA: 0, strideB: align4(l.k * l.q) },
    ];
    encodeGemmAt(ctx, { ...product, b: cols, c, batch: count, ...strides, strideC: l.outImage });
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
  if (g.batch === 0) return;
  const l = lowering(g);
  const product = { a: w.offset, m: l.k, n: l.q, k: g.filters, flags: TRANS_A, reduce: 1 };
  if (l.pointwise) {
    const strides = { strideA: 0, strideB: l.outImage, strideC: l.image };
    encodeGemmAt(ctx, { ...product, b: dy.offset, c: dx.offset, batch: g.batch, ...strides });
    return;
  }
  const { chunks: parts, cols } = chunks(g, l, scratch);
  for (const [first, count] of parts) {
    const b = dy.offset + first * l.outImage;
    const strides = { strideA: 0, strideB: l.outImage, strideC: align4(l.k * l.q) };
    encodeGemmAt(ctx, { ...product, b, c: cols, batch: count, ...strides });
    encodeCol2im(ctx, cols, dx.offset + first * l.image, count, g);
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
  const l = lowering(g);
  const fk = g.filters * l.k;
  const product = { m: g.filters, n: l.k, k: l.q, reduce: 1, strideA: l.outImage };
  if (g.batch === 0) {
    // An empty sum: the GEMM with no terms stores zeros.
    const none = { a: dy.offset, b: x.offset, c: dw.offset, flags: TRANS_B, batch: 1 };
    encodeGemmAt(ctx, { ...product, ...none, reduce: 0, strideB: 0, strideC: 0 });
    return;
  }
  const { chunks: parts, cols, products } = chunks(g, l, scratch);
  for (const [first, count] of parts) {
    let b = cols;
    let strideB = align4(l.k * l.q);
    if (l.pointwise) [b, strideB] = [x.offset + first * l.image, l.image];
    else encodeIm2col(ctx, x.offset + first * l.image, cols, count, g);
    const a = dy.offset + first * l.outImage;
    if (count === 1) {
      const flags = TRANS_B | (first > 0 ? ACCUMULATE : 0);
      encodeGemmAt(ctx, { ...product, a, b, c: dw.offset, flags, batch: 1, strideB, strideC: 0 });
      continue;
    }
    const c = products;
    encodeGemmAt(ctx, { ...product, a, b, c, flags: TRANS_B, batch: count, strideB, strideC: fk });
    const values = [products, dw.offset, count, fk, first > 0 ? 1 : 0];
    dispatchElementwise(ctx, "sumProducts", fk, SUM_FIELDS, values, SUM_PRODUCTS);
  }
}

const SUM_FIELDS = ["src", "dst", "count", "stride", "accumulate"];

/** dst[i] = (dst[i] when accumulating) + the sum over j < count of src[j stride + i]. */
const SUM_PRODUCTS = `
  var sum = 0.0;
  for (var j = 0u; j < p.count; j++) { sum += mem[p.src + j * p.stride + i]; }
  if (p.accumulate != 0u) { sum = mem[p.dst + i] + sum; }
  mem[p.dst + i] = sum;`;

/** Params of im2col and col2im: the geometry, and `colStride` between column matrices. */
const GEOMETRY = [
  ...["src", "dst", "colStride", "channels", "height", "width"],
  ...["kernelH", "kernelW", "stride", "padTop", "padLeft", "outH", "outW"],
];

function geometryValues(src: number, dst: number, g: ConvGeometry): number[] {
  const { channels, height, width, kernelH, kernelW, stride, padTop, padLeft, outH, outW } = g;
  const colStride = align4(channels * kernelH * kernelW * outH * outW);
  const sizes = [channels, height, width, kernelH, kernelW, stride];
  return [src, dst, colStride, ...sizes, padTop, padLeft, outH, outW];
}

/**
 * col[j][(c, ki, kj)][(oh, ow)] = x[j][c][oh*stride - padTop + ki][ow*stride - padLeft + kj],
 * zero outside the image, for the `count` images at element `x` of the arena; column matrix
 * j starts at col + j colStride.
 */
function encodeIm2col(ctx: GpuContext, x: number, col: number, n: number, g: ConvGeometry): void {
  const total = n * g.channels * g.kernelH * g.kernelW * g.outH * g.outW;
  dispatchElementwise(ctx, "im2col", total, GEOMETRY, geometryValues(x, col, g), IM2COL);
}

/** dx[j][c][h][w] = the sum of the column entries of image j that read pixel (c, h, w). */
function encodeCol2im(ctx: GpuContext, col: number, dx: number, n: number, g: ConvGeometry): void {
  const total = n * g.channels * g.height * g.width;
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
  mem[p.dst + image * p.colStride + i % (q * kSize)] = value;`;

const COL2IM = `
  let q = p.outH * p.outW;
  let kSize = p.channels * p.kernelH * p.kernelW;
  let w = i % p.width;
  let h = (i / p.width) % p.height;
  let plane = i / (p.width * p.height);
  let c = plane % p.channels;
  let image = plane / p.channels;
  let base = p.src + image * p.colStride;
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
