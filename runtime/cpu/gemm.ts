/**
 * General matrix multiply on typed arrays, C (+)= op(A) op(B), in the manner of BLIS: the
 * operands are copied block by block into packed panels (which absorbs both transposes, so one
 * inner kernel serves all four combinations), and a 4x4 register-blocked micro-kernel sweeps
 * the panels with sixteen accumulators held in locals.
 *
 * Blocking: C is cut into column blocks of at most NC, the shared dimension into blocks of at
 * most KC, and the rows into blocks of at most MC. A packed KC x NR panel of B (8 KiB) stays in
 * L1 while the MC x KC block of A (128 KiB) stays in L2. Block sizes are split evenly (784 is
 * cut as 4 x 196, not 3 x 256 + 16) so that no block is a sliver.
 *
 * The packed buffers are Float64Array whatever the precision: JavaScript arithmetic is done in
 * doubles anyway, the micro-kernel then sees one element kind (monomorphic loads), and an f32
 * product is accumulated in double and rounded once per k block. They are module constants of
 * fixed size, which lets the optimising compiler embed their addresses in the micro-kernel; a
 * resizable buffer measured 15-25% slower. JavaScript is single-threaded, so one set serves
 * every backend.
 */
import type { FloatArray } from "../backend.js";

/** Rows of a micro-tile (lanes of a packed A panel). */
const MR = 4;
/** Columns of a micro-tile (lanes of a packed B panel). */
const NR = 4;
/** Largest block of the shared dimension. */
const KC = 256;
/** Largest row block of A; a multiple of MR. */
const MC = 64;
/** Largest column block of B; a multiple of NR. */
const NC = 512;

/** Panels of A: panel q (rows q*MR ..) holds element (r, p) at q*MR*kc + p*MR + r. */
const packedA = new Float64Array(MC * KC);
/** Panels of B: panel q (columns q*NR ..) holds element (p, c) at q*NR*kc + p*NR + c. */
const packedB = new Float64Array(NC * KC);
/** A full micro-tile, for storing the clipped tiles at the bottom and right edges of C. */
const edgeTile = new Float64Array(MR * NR);

/**
 * C[cOff ..] (+)= op(A) op(B) for one matrix triple, C being m x n with row stride n.
 * A is m x k (or k x m with `transA`) from aOff, B k x n (or n x k with `transB`) from bOff.
 * Without `accumulate` C is overwritten, so NaN or garbage already in C does not leak in.
 * C must not overlap A or B.
 */
export function gemmOne(
  a: FloatArray,
  aOff: number,
  b: FloatArray,
  bOff: number,
  c: FloatArray,
  cOff: number,
  m: number,
  n: number,
  k: number,
  transA: boolean,
  transB: boolean,
  accumulate: boolean,
): void {
  if (m === 0 || n === 0) return;
  if (k === 0) {
    if (!accumulate) c.fill(0, cOff, cOff + m * n);
    return;
  }
  // op(A)[i, p] = a[aOff + i*aLane + p*aDepth]; op(B)[p, j] = b[bOff + j*bLane + p*bDepth].
  const aLane = transA ? 1 : k;
  const aDepth = transA ? m : 1;
  const bLane = transB ? k : 1;
  const bDepth = transB ? 1 : n;
  const ncStep = evenBlock(n, NC, NR);
  const kcStep = evenBlock(k, KC, 1);
  const mcStep = evenBlock(m, MC, MR);
  for (let jc = 0; jc < n; jc += ncStep) {
    const nc = Math.min(ncStep, n - jc);
    for (let pc = 0; pc < k; pc += kcStep) {
      const kc = Math.min(kcStep, k - pc);
      packPanels(b, bOff, bLane, bDepth, jc, nc, pc, kc, packedB);
      const overwrite = pc === 0 && !accumulate;
      for (let ic = 0; ic < m; ic += mcStep) {
        const mc = Math.min(mcStep, m - ic);
        packPanels(a, aOff, aLane, aDepth, ic, mc, pc, kc, packedA);
        macroKernel(kc, mc, nc, c, cOff + ic * n + jc, n, overwrite);
      }
    }
  }
}

/** The block size (a multiple of `unit`, at most `limit`) that cuts `extent` most evenly. */
function evenBlock(extent: number, limit: number, unit: number): number {
  const blocks = Math.ceil(extent / limit);
  const size = Math.ceil(extent / blocks);
  return Math.ceil(size / unit) * unit;
}

/**
 * Packs lanes [lane0, lane0 + lanes) by depths [p0, p0 + kc) of the operand whose element
 * (lane, p) is src[off + lane*laneStride + p*depthStride] into 4-lane panels of dst, lanes
 * past the end zero-filled (the micro-kernel always computes full tiles).
 */
function packPanels(
  src: FloatArray,
  off: number,
  laneStride: number,
  depthStride: number,
  lane0: number,
  lanes: number,
  p0: number,
  kc: number,
  dst: Float64Array,
): void {
  let o = 0;
  const full = lanes - (lanes % 4);
  for (let q = 0; q < full; q += 4) {
    let s = off + (lane0 + q) * laneStride + p0 * depthStride;
    if (laneStride === 1) {
      for (let p = 0; p < kc; p++) {
        dst[o] = src[s]!;
        dst[o + 1] = src[s + 1]!;
        dst[o + 2] = src[s + 2]!;
        dst[o + 3] = src[s + 3]!;
        o += 4;
        s += depthStride;
      }
    } else {
      const s2 = 2 * laneStride;
      const s3 = 3 * laneStride;
      for (let p = 0; p < kc; p++) {
        dst[o] = src[s]!;
        dst[o + 1] = src[s + laneStride]!;
        dst[o + 2] = src[s + s2]!;
        dst[o + 3] = src[s + s3]!;
        o += 4;
        s += depthStride;
      }
    }
  }
  const rest = lanes - full;
  if (rest === 0) return;
  const s0 = off + (lane0 + full) * laneStride + p0 * depthStride;
  for (let p = 0; p < kc; p++) {
    const s = s0 + p * depthStride;
    for (let r = 0; r < 4; r++) dst[o + r] = r < rest ? src[s + r * laneStride]! : 0;
    o += 4;
  }
}

/** Sweeps the packed mc x kc block of A against the packed kc x nc block of B into C. */
function macroKernel(
  kc: number,
  mc: number,
  nc: number,
  c: FloatArray,
  cOff: number,
  ldc: number,
  overwrite: boolean,
): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = Math.min(NR, nc - jr);
    for (let ir = 0; ir < mc; ir += MR) {
      const rows = Math.min(MR, mc - ir);
      microKernel(kc, ir * kc, jr * kc, c, cOff + ir * ldc + jr, ldc, rows, cols, overwrite);
    }
  }
}

/**
 * The 4x4 tile of C at cOff (+)= the A panel at ao times the B panel at bo, over kc depths,
 * clipped to rows x cols. Sixteen accumulators, four A and four B values are live per step:
 * wider tiles (4x8, 8x4) spill to the stack and measured slower in V8, as did unrolling p.
 */
function microKernel(
  kc: number,
  ao: number,
  bo: number,
  c: FloatArray,
  cOff: number,
  ldc: number,
  rows: number,
  cols: number,
  overwrite: boolean,
): void {
  // prettier-ignore
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0,
    c10 = 0, c11 = 0, c12 = 0, c13 = 0,
    c20 = 0, c21 = 0, c22 = 0, c23 = 0,
    c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  // One index t walks the A panel; the B panel sits a fixed distance d further on, since both
  // advance 4 per depth. Indices stay far below 2^31 (the panels are small), so `| 0` is exact
  // and lets the compiler drop the overflow check of each addition (about 10% measured).
  const d = (bo - ao) | 0;
  const end = (ao + 4 * kc) | 0;
  for (let t = ao; t < end; t = (t + 4) | 0) {
    const u = (t + d) | 0;
    const b0 = packedB[u]!;
    const b1 = packedB[(u + 1) | 0]!;
    const b2 = packedB[(u + 2) | 0]!;
    const b3 = packedB[(u + 3) | 0]!;
    let a = packedA[t]!;
    c00 += a * b0;
    c01 += a * b1;
    c02 += a * b2;
    c03 += a * b3;
    a = packedA[(t + 1) | 0]!;
    c10 += a * b0;
    c11 += a * b1;
    c12 += a * b2;
    c13 += a * b3;
    a = packedA[(t + 2) | 0]!;
    c20 += a * b0;
    c21 += a * b1;
    c22 += a * b2;
    c23 += a * b3;
    a = packedA[(t + 3) | 0]!;
    c30 += a * b0;
    c31 += a * b1;
    c32 += a * b2;
    c33 += a * b3;
  }
  if (rows === MR && cols === NR) {
    const r0 = cOff;
    const r1 = r0 + ldc;
    const r2 = r1 + ldc;
    const r3 = r2 + ldc;
    if (overwrite) {
      c[r0] = c00;
      c[r0 + 1] = c01;
      c[r0 + 2] = c02;
      c[r0 + 3] = c03;
      c[r1] = c10;
      c[r1 + 1] = c11;
      c[r1 + 2] = c12;
      c[r1 + 3] = c13;
      c[r2] = c20;
      c[r2 + 1] = c21;
      c[r2 + 2] = c22;
      c[r2 + 3] = c23;
      c[r3] = c30;
      c[r3 + 1] = c31;
      c[r3 + 2] = c32;
      c[r3 + 3] = c33;
    } else {
      c[r0] = c[r0]! + c00;
      c[r0 + 1] = c[r0 + 1]! + c01;
      c[r0 + 2] = c[r0 + 2]! + c02;
      c[r0 + 3] = c[r0 + 3]! + c03;
      c[r1] = c[r1]! + c10;
      c[r1 + 1] = c[r1 + 1]! + c11;
      c[r1 + 2] = c[r1 + 2]! + c12;
      c[r1 + 3] = c[r1 + 3]! + c13;
      c[r2] = c[r2]! + c20;
      c[r2 + 1] = c[r2 + 1]! + c21;
      c[r2 + 2] = c[r2 + 2]! + c22;
      c[r2 + 3] = c[r2 + 3]! + c23;
      c[r3] = c[r3]! + c30;
      c[r3 + 1] = c[r3 + 1]! + c31;
      c[r3 + 2] = c[r3 + 2]! + c32;
      c[r3 + 3] = c[r3 + 3]! + c33;
    }
    return;
  }
  const t = edgeTile;
  t[0] = c00;
  t[1] = c01;
  t[2] = c02;
  t[3] = c03;
  t[4] = c10;
  t[5] = c11;
  t[6] = c12;
  t[7] = c13;
  t[8] = c20;
  t[9] = c21;
  t[10] = c22;
  t[11] = c23;
  t[12] = c30;
  t[13] = c31;
  t[14] = c32;
  t[15] = c33;
  for (let r = 0; r < rows; r++) {
    const row = cOff + r * ldc;
    for (let j = 0; j < cols; j++) {
      if (overwrite) c[row + j] = t[r * NR + j]!;
      else c[row + j] = c[row + j]! + t[r * NR + j]!;
    }
  }
}
