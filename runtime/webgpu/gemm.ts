/**
 * Batched GEMM on WebGPU: C (+)= op(A) op(B) for each of `batch` matrix triples, with the
 * contract of Backend.gemm (runtime/backend.ts): TRANS_A, TRANS_B, ACCUMULATE, element strides
 * between the matrices of a batch (0 reuses one), any m, n, k >= 0.
 *
 * The kernel is tiled (gemm-shader.ts): a workgroup computes a block of C from BK-deep
 * slices of op(A) and op(B) staged in workgroup memory, each invocation rm x rn outputs (8 along
 * a dimension of 64 or more, else 4), stored a vec4 of 4 columns at a time. Tiles past the matrix
 * edges are zero-padded on load and clipped on store, so every m, n, k is exact; k = 0 stores
 * zeros (or leaves C, accumulating). Tile and workgroup sizes come from the device's limits
 * and the product's shape (gemmTiling).
 *
 * vec4 access: when every row of C starts at a multiple of 4 elements (n and the C stride are
 * multiples of 4; offsets always are), the arena is bound as array<vec4<f32>> and C is stored
 * a vec4 at a time (a group of 4 columns is then wholly inside C or wholly past it, so no
 * invocation writes a neighbour's element); an operand whose stored rows are multiples of 4
 * is then loaded a vec4 at a time too, others element by element. Otherwise the arena is
 * array<f32> and every access is scalar: a store to one component of a vec4 may write the
 * whole vec4 (WGSL), which would race with the invocation that owns the other components.
 *
 * `reduce` (internal): instead of `batch` separate products, C (+)= the sum over j < reduce of
 * op(A_j) op(B_j), for conv2dGradWeight's sum over images.
 */
import { ACCUMULATE, TRANS_A, TRANS_B } from "../backend.js";
import type { GpuBuffer, GpuContext } from "./context.js";
import { foldGroups, powerOfTwoAtMost } from "./grid.js";
import {
  type GemmTiling,
  type GemmVariant,
  gemmShader,
  gemmWorkgroupBytes,
} from "./gemm-shader.js";

export { type GemmTiling, gemmShader } from "./gemm-shader.js";

/**
 * The tiling of an m x n x k product within the device's limits: at most 256 invocations
 * (16 x 16; 16 x 8 where 128 is the limit) of rm x rn outputs each (8 x 8: a 128 x 128 block
 * of C at 16 x 16), narrowed along a dimension the matrix does not fill (a 10-column C gets 4
 * columns an invocation and 4 invocations across, not 16) and widened along the other up to
 * what it needs, no deeper than k (k = 9: 16 would waste 7 of 16 steps) and within the
 * workgroup memory; powers of two.
 */
export function gemmTiling(
  limits: GPUSupportedLimits,
  m = Infinity,
  n = Infinity,
  k = Infinity,
): GemmTiling {
  const threads = powerOfTwoAtMost(Math.min(256, limits.maxComputeInvocationsPerWorkgroup));
  const [maxX, maxY] = [limits.maxComputeWorkgroupSizeX, limits.maxComputeWorkgroupSizeY];
  // 8 x 8 outputs an invocation where the matrix is large enough (fewer loads per multiply-add:
  // T1's products 6.5 -> 9.8 GFLOP/s on llvmpipe against 4 x 4), 4 along a short dimension.
  const rm = m >= 64 ? 8 : 4;
  const rn = n >= 64 ? 8 : 4;
  // Invocations needed to cover a dimension with `per` outputs each.
  const cover = (size: number, per = 4): number => powerOfTwoAtLeast(Math.ceil(size / per));
  let tx = powerOfTwoAtMost(Math.min(16, threads, maxX));
  let ty = powerOfTwoAtMost(Math.min(threads / tx, maxY));
  if (cover(m, rm) < ty) {
    ty = cover(m, rm);
    tx = powerOfTwoAtMost(Math.min(threads / ty, maxX, cover(n, rn)));
  } else if (cover(n, rn) < tx) {
    tx = cover(n, rn);
    ty = powerOfTwoAtMost(Math.min(threads / tx, maxY, cover(m, rm)));
  }
  let bk = Math.min(16, Math.max(4, powerOfTwoAtLeast(k)));
  const fits = (depth: number): boolean =>
    gemmWorkgroupBytes({ tx, ty, rm, rn, bk: depth }) <= limits.maxComputeWorkgroupStorageSize;
  while (bk > 4 && !fits(bk)) bk /= 2;
  return { tx, ty, rm, rn, bk };
}

/** The smallest power of two at least `n` (1 for n <= 1). */
function powerOfTwoAtLeast(n: number): number {
  return n <= 1 ? 1 : 2 ** Math.ceil(Math.log2(Math.min(n, 2 ** 30)));
}

const PARAM_WORDS = 16;

/**
 * C (+)= op(A) op(B), `batch` times (see the module comment). A, B and C are arena buffers;
 * the strides default to one matrix each (A: m k, B: k n, C: m n).
 */
export function encodeGemm(
  ctx: GpuContext,
  a: GpuBuffer,
  b: GpuBuffer,
  c: GpuBuffer,
  m: number,
  n: number,
  k: number,
  flags: number,
  batch = 1,
  strideA = m * k,
  strideB = k * n,
  strideC = m * n,
): void {
  const call = { a: a.offset, b: b.offset, c: c.offset, m, n, k, flags, batch, reduce: 1 };
  if (batch > 1 && strideC === 0) {
    // Every product lands in one C, in order: their sum added to it, or the last one alone.
    if (flags & ACCUMULATE) {
      encodeGemmAt(ctx, { ...call, batch: 1, reduce: batch, strideA, strideB, strideC: 0 });
    } else {
      const [lastA, lastB] = [a.offset + (batch - 1) * strideA, b.offset + (batch - 1) * strideB];
      encodeGemmAt(ctx, {
        ...call,
        a: lastA,
        b: lastB,
        batch: 1,
        strideA: 0,
        strideB: 0,
        strideC: 0,
      });
    }
    return;
  }
  encodeGemmAt(ctx, { ...call, strideA, strideB, strideC });
}

/**
 * A GEMM over arena element offsets: `batch` products into `batch` C matrices (C_j at
 * c + j strideC), each the sum of `reduce` products (the operands of term t of product j are
 * matrix j reduce + t of A and of B).
 */
export interface GemmAt {
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly flags: number;
  readonly batch: number;
  readonly reduce: number;
  readonly strideA: number;
  readonly strideB: number;
  readonly strideC: number;
}

/** Records one GemmAt. */
export function encodeGemmAt(ctx: GpuContext, call: GemmAt): void {
  const { a, b, c, m, n, k, flags, batch, reduce, strideA, strideB, strideC } = call;
  if (m <= 0 || n <= 0 || batch <= 0) return;
  const transA = (flags & TRANS_A) !== 0;
  const transB = (flags & TRANS_B) !== 0;
  const terms = batch * reduce;
  const vec = c % 4 === 0 && n % 4 === 0 && (batch === 1 || strideC % 4 === 0);
  const aligned = (start: number, row: number, stride: number): boolean =>
    vec && start % 4 === 0 && row % 4 === 0 && (terms === 1 || stride % 4 === 0);
  const variant: GemmVariant = {
    transA,
    transB,
    vec,
    vecA: aligned(a, transA ? m : k, strideA),
    vecB: aligned(b, transB ? k : n, strideB),
  };
  const tiling = gemmTiling(ctx.limits, m, n, k);
  const key =
    `gemm:${tiling.tx}x${tiling.ty}x${tiling.rm}x${tiling.rn}x${tiling.bk}:${+transA}${+transB}` +
    `${+variant.vec}${+variant.vecA}${+variant.vecB}`;
  const pipeline = ctx.pipeline(key, () => gemmShader(variant, tiling));
  const tilesN = Math.ceil(n / (tiling.rn * tiling.tx));
  const tilesM = Math.ceil(m / (tiling.rm * tiling.ty));
  const groups = tilesN * tilesM * batch;
  const grid = foldGroups(groups, ctx.limits);
  const params = gemmParams;
  params[0] = m;
  params[1] = n;
  params[2] = k;
  params[3] = flags & ACCUMULATE ? 1 : 0;
  params[4] = a;
  params[5] = b;
  params[6] = c;
  params[7] = reduce;
  params[8] = strideA;
  params[9] = strideB;
  params[10] = strideC;
  params[11] = tilesN;
  params[12] = tilesM;
  params[13] = groups;
  params[14] = grid.x;
  ctx.dispatch(pipeline, params, grid.x, grid.y);
}

/** The params of the GEMM being recorded: every word set per call (the context copies them). */
const gemmParams = new Uint32Array(PARAM_WORDS);
