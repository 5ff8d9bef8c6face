/**
 * Batched GEMM on WebGPU: C (+)= op(A) op(B) for each of `batch` matrix triples, with the
 * contract of Backend.gemm (runtime/backend.ts): TRANS_A, TRANS_B, ACCUMULATE, element strides
 * between the matrices of a batch (0 reuses one), any m, n, k >= 0.
 *
 * The kernel is tiled: a workgroup of tx x ty invocations computes a BM x BN block of C
 * (BM = 4 ty, BN = 4 tx), staging BK-deep slices of op(A) and op(B) in workgroup memory; each
 * invocation keeps 4 x 4 sums, rows lid.y + i ty and the 4 adjacent columns 4 lid.x + q, so
 * that its row of 4 is one vec4 store. Tiles past the matrix edges are zero-padded on load and
 * clipped on store, so every m, n, k is exact; k = 0 stores zeros (or leaves C, accumulating).
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

/** Invocations and k-depth of a GEMM workgroup. Each invocation computes 4 x 4 outputs. */
export interface GemmTiling {
  readonly tx: number;
  readonly ty: number;
  readonly bk: number;
}

/**
 * The tiling of an m x n x k product within the device's limits: at most 256 invocations
 * (16 x 16, a 64 x 64 tile; 16 x 8 where 128 is the limit), narrowed along a dimension the
 * matrix does not fill (a 10-column C gets 4 invocations across, not 16) and widened along
 * the other to keep the invocations, and no deeper than k (k = 9: 16 would waste 7 of 16
 * steps), all powers of two.
 */
export function gemmTiling(
  limits: GPUSupportedLimits,
  m = Infinity,
  n = Infinity,
  k = Infinity,
): GemmTiling {
  const threads = powerOfTwoAtMost(Math.min(256, limits.maxComputeInvocationsPerWorkgroup));
  const [maxX, maxY] = [limits.maxComputeWorkgroupSizeX, limits.maxComputeWorkgroupSizeY];
  // Invocations needed to cover a dimension with 4 outputs each.
  const cover = (size: number): number => powerOfTwoAtLeast(Math.ceil(size / 4));
  let tx = powerOfTwoAtMost(Math.min(16, threads, maxX));
  let ty = powerOfTwoAtMost(Math.min(threads / tx, maxY));
  if (cover(m) < ty) {
    ty = cover(m);
    tx = powerOfTwoAtMost(Math.min(threads / ty, maxX, cover(n)));
  } else if (cover(n) < tx) {
    tx = cover(n);
    ty = powerOfTwoAtMost(Math.min(threads / tx, maxY, cover(m)));
  }
  let bk = Math.min(16, Math.max(4, powerOfTwoAtLeast(k)));
  // Workgroup memory: BK rows of op(A) and op(B), each row padded by one element.
  while (bk > 4 && 4 * bk * (4 * (tx + ty) + 2) > limits.maxComputeWorkgroupStorageSize) bk /= 2;
  return { tx, ty, bk };
}

/** The smallest power of two at least `n` (1 for n <= 1). */
function powerOfTwoAtLeast(n: number): number {
  return n <= 1 ? 1 : 2 ** Math.ceil(Math.log2(Math.min(n, 2 ** 30)));
}

/** One shader variant: the transposes and which accesses are vec4. */
interface GemmVariant {
  readonly transA: boolean;
  readonly transB: boolean;
  /** The arena is array<vec4<f32>> and C is stored by vec4. */
  readonly vec: boolean;
  readonly vecA: boolean;
  readonly vecB: boolean;
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
    `gemm:${tiling.tx}x${tiling.ty}x${tiling.bk}:${+transA}${+transB}` +
    `${+variant.vec}${+variant.vecA}${+variant.vecB}`;
  const pipeline = ctx.pipeline(key, () => gemmShader(variant, tiling));
  const tilesN = Math.ceil(n / (4 * tiling.tx));
  const tilesM = Math.ceil(m / (4 * tiling.ty));
  const groups = tilesN * tilesM * batch;
  const grid = foldGroups(groups, ctx.limits);
  const params = new Uint32Array(PARAM_WORDS);
  params.set([m, n, k, flags & ACCUMULATE ? 1 : 0, a, b, c, reduce]);
  params.set([strideA, strideB, strideC, tilesN, tilesM, groups, grid.x], 8);
  ctx.dispatch(pipeline, params, grid.x, grid.y);
}

/** The WGSL of one variant. */
export function gemmShader(v: GemmVariant, t: GemmTiling): string {
  const bm = 4 * t.ty;
  const bn = 4 * t.tx;
  // Rows of a tile in workgroup memory. A tile stored along kk (A as stored, B transposed) is
  // written by neighbouring invocations a row apart: one element of padding puts those writes
  // in different banks.
  const rowA = bm + (v.transA ? 0 : 1);
  const rowB = bn + (v.transB ? 1 : 0);
  const threads = t.tx * t.ty;
  const load = v.vec ? "mem[i >> 2u][i & 3u]" : "mem[i]";
  // Operand tiles in workgroup memory, [kk][mm] and [kk][nn]: the inner loop reads a column of
  // each across kk. A stored tile row (along the operand's contiguous axis) is read by
  // neighbouring invocations, so global loads coalesce.
  const tileA = v.transA
    ? loadTile("A", [bm, rowA], t.bk, threads, v.vecA, "gk * p.m + gr", true)
    : loadTile("A", [bm, rowA], t.bk, threads, v.vecA, "gr * p.k + gk", false);
  const tileB = v.transB
    ? loadTile("B", [bn, rowB], t.bk, threads, v.vecB, "gr * p.k + gk", false)
    : loadTile("B", [bn, rowB], t.bk, threads, v.vecB, "gk * p.n + gr", true);
  const rows = Array.from({ length: 4 }, (_, i) => i);
  // Four accumulator variables and stores unrolled by row: no array in function memory.
  const store = (i: number): string =>
    v.vec
      ? `  if (row0A + lid.y + ${i * t.ty}u < p.m && c0 < p.n) {
    let at = (cBase + (row0A + lid.y + ${i * t.ty}u) * p.n + c0) >> 2u;
    var value = acc${i};
    if (p.accumulate != 0u) { value += mem[at]; }
    mem[at] = value;
  }`
      : `  if (row0A + lid.y + ${i * t.ty}u < p.m) {
    let rowAt = cBase + (row0A + lid.y + ${i * t.ty}u) * p.n + c0;
    for (var q = 0u; q < 4u; q++) {
      if (c0 + q < p.n) {
        var value = acc${i}[q];
        if (p.accumulate != 0u) { value += mem[rowAt + q]; }
        mem[rowAt + q] = value;
      }
    }
  }`;
  return `
struct Params {
  m: u32, n: u32, k: u32, accumulate: u32,
  a: u32, b: u32, c: u32, reduce: u32,
  strideA: u32, strideB: u32, strideC: u32, tilesN: u32,
  tilesM: u32, groups: u32, groupsX: u32, unused: u32,
}
@group(0) @binding(0) var<storage, read_write> mem: array<${v.vec ? "vec4<f32>" : "f32"}>;
@group(0) @binding(1) var<uniform> p: Params;
var<workgroup> tileA: array<f32, ${t.bk * rowA}>;
var<workgroup> tileB: array<f32, ${t.bk * rowB}>;

fn load(i: u32) -> f32 { return ${load}; }

@compute @workgroup_size(${t.tx}, ${t.ty})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(local_invocation_index) li: u32) {
  let g = wid.y * p.groupsX + wid.x;
  if (g >= p.groups) { return; }
  let tn = g % p.tilesN;
  let tm = (g / p.tilesN) % p.tilesM;
  let batch = g / (p.tilesN * p.tilesM);
  let row0A = tm * ${bm}u;
  let row0B = tn * ${bn}u;
${rows.map((i) => `  var acc${i} = vec4<f32>(0.0);`).join("\n")}
  for (var term = 0u; term < p.reduce; term++) {
    let j = batch * p.reduce + term;
    let baseA = p.a + j * p.strideA;
    let baseB = p.b + j * p.strideB;
    for (var k0 = 0u; k0 < p.k; k0 += ${t.bk}u) {
${tileA}
${tileB}
      workgroupBarrier();
      for (var kk = 0u; kk < ${t.bk}u; kk++) {
        let bv = vec4<f32>(${rows.map((q) => `tileB[kk * ${rowB}u + 4u * lid.x + ${q}u]`).join(", ")});
${rows.map((i) => `        acc${i} = fma(vec4<f32>(tileA[kk * ${rowA}u + lid.y + ${i * t.ty}u]), bv, acc${i});`).join("\n")}
      }
      workgroupBarrier();
    }
  }
  let cBase = p.c + batch * p.strideC;
  let c0 = row0B + 4u * lid.x;
${rows.map(store).join("\n")}
}
`;
}

/**
 * The WGSL that stages one operand's BK-deep slice into its tile (tileA or tileB, [kk][mm],
 * `width` = BM or BN columns in rows of `row` elements): element (gr, gk) of op(X), gr = row0
 * + mm along m (or n), gk = k0 + kk, at `address` from the operand's base; zero past the
 * edges. `alongRows`: the operand is stored contiguous along mm (A transposed, B not), else
 * along kk; neighbouring invocations load neighbouring elements either way. With `vec4`, 4
 * contiguous elements per load: the stored row length is a multiple of 4, so they are all in
 * or all out.
 */
function loadTile(
  operand: "A" | "B",
  [width, row]: readonly [number, number],
  bk: number,
  threads: number,
  vec4: boolean,
  address: string,
  alongRows: boolean,
): string {
  const [tile, base, row0] = [`tile${operand}`, `base${operand}`, `row0${operand}`];
  const inside = `gr < p.${operand === "A" ? "m" : "n"} && gk < p.k`;
  if (!vec4) {
    const [fast, fastExtent, slow] = alongRows ? ["mm", width, "kk"] : ["kk", bk, "mm"];
    return `      for (var e = li; e < ${width * bk}u; e += ${threads}u) {
        let ${fast} = e % ${fastExtent}u;
        let ${slow} = e / ${fastExtent}u;
        let gr = ${row0} + mm;
        let gk = k0 + kk;
        var value = 0.0;
        if (${inside}) { let i = ${base} + ${address}; value = load(i); }
        ${tile}[kk * ${row}u + mm] = value;
      }`;
  }
  const [fast, fastExtent, slow] = alongRows ? ["mm", width / 4, "kk"] : ["kk", bk / 4, "mm"];
  const element = (q: number): string =>
    alongRows ? `kk * ${row}u + mm + ${q}u` : `(kk + ${q}u) * ${row}u + mm`;
  return `      for (var e = li; e < ${(width * bk) / 4}u; e += ${threads}u) {
        let ${fast} = (e % ${fastExtent}u) * 4u;
        let ${slow} = e / ${fastExtent}u;
        let gr = ${row0} + mm;
        let gk = k0 + kk;
        var value = vec4<f32>(0.0);
        if (${inside}) { value = mem[(${base} + ${address}) >> 2u]; }
${[0, 1, 2, 3].map((q) => `        ${tile}[${element(q)}] = value[${q}];`).join("\n")}
      }`;
}
