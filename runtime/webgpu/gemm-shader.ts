/**
 * The WGSL of the tiled GEMM (gemm.ts says what it computes and when which variant runs).
 *
 * A workgroup of tx x ty invocations computes a BM x BN block of C (BM = rm ty, BN = rn tx).
 * For each BK-deep slice of k it stages op(A)'s BM x BK and op(B)'s BK x BN blocks in workgroup
 * memory as vec4s, [kk][4 rows of op(A)] and [kk][4 columns of op(B)], every vec4 written whole
 * by one invocation; then invocation (x, y) accumulates rows rm y .. rm y + rm - 1 and columns
 * rn x .. rn x + rn - 1 of C: per kk, rn / 4 vec4s of op(B) and rm / 4 of op(A) feed rm rn
 * multiply-adds, as rm rn / 4 vec4 FMAs.
 * Tile rows are padded by one vec4, so that invocations writing kk-neighbours fall in
 * different banks. Loads past the matrix edges give zeros; stores past them are skipped.
 *
 * Staging loads from the arena follow the operand's storage: along k (A as stored, B
 * transposed), an invocation reads a 4 x 4 block as 4 vec4s along k and writes its transpose;
 * along m or n, one vec4. When the operand's stored rows are not multiples of 4 (no vec4
 * loads), it reads 4 elements. Neighbouring invocations read neighbouring memory either way.
 */

/** Invocations (tx x ty), rows of C per invocation (4 or 8), and k-depth of a workgroup. */
export interface GemmTiling {
  readonly tx: number;
  readonly ty: number;
  readonly rm: number;
  /** Columns of C per invocation: 4 or 8. */
  readonly rn: number;
  readonly bk: number;
}

/** One shader variant: the transposes and which accesses are vec4. */
export interface GemmVariant {
  readonly transA: boolean;
  readonly transB: boolean;
  /** The arena is array<vec4<f32>> and C is stored by vec4. */
  readonly vec: boolean;
  readonly vecA: boolean;
  readonly vecB: boolean;
}

/** Bytes of workgroup memory a tiling takes. */
export function gemmWorkgroupBytes(t: GemmTiling): number {
  return 16 * t.bk * ((t.rm * t.ty) / 4 + 1 + (t.rn * t.tx) / 4 + 1);
}

/** The WGSL of one variant. */
export function gemmShader(v: GemmVariant, t: GemmTiling): string {
  const bm = t.rm * t.ty;
  const bn = t.rn * t.tx;
  const [rowA, rowB] = [bm / 4 + 1, bn / 4 + 1];
  const threads = t.tx * t.ty;
  const quads = t.rm / 4;
  const rows = Array.from({ length: t.rm }, (_, i) => i);
  const colQuads = Array.from({ length: t.rn / 4 }, (_, j) => j);
  // acc{i}_{j}: row i of the invocation's block, its columns 4 j .. 4 j + 3.
  const acc = (i: number, j = 0): string => `acc${i}_${j}`;
  const bvs = colQuads
    .map((j) => `        let b${j} = tileB[kk * ${rowB}u + lid.x * ${t.rn / 4}u + ${j}u];`)
    .join("\n");
  const fmas = Array.from({ length: quads }, (_, j) => {
    const av = `tileA[kk * ${rowA}u + lid.y * ${quads}u + ${j}u]`;
    const lines = ["x", "y", "z", "w"].flatMap((c, q) =>
      colQuads.map((jj) => {
        const target = acc(4 * j + q, jj);
        return `        ${target} = fma(vec4<f32>(a${j}.${c}), b${jj}, ${target});`;
      }),
    );
    return [`        let a${j} = ${av};`, ...lines].join("\n");
  }).join("\n");
  const store = (i: number, jj: number): string => {
    const row = `row0A + lid.y * ${t.rm}u + ${i}u`;
    const c0 = `c0 + ${4 * jj}u`;
    return v.vec
      ? `  if (${row} < p.m && ${c0} < p.n) {
    let at = (cBase + (${row}) * p.n + ${c0}) >> 2u;
    var value = ${acc(i, jj)};
    if (p.accumulate != 0u) { value += mem[at]; }
    mem[at] = value;
  }`
      : `  if (${row} < p.m) {
    let rowAt = cBase + (${row}) * p.n + ${c0};
    for (var q = 0u; q < 4u; q++) {
      if (${c0} + q < p.n) {
        var value = ${acc(i, jj)}[q];
        if (p.accumulate != 0u) { value += mem[rowAt + q]; }
        mem[rowAt + q] = value;
      }
    }
  }`;
  };
  const stage = (operand: "A" | "B"): string => {
    const isA = operand === "A";
    return stageTile({
      operand,
      width: isA ? bm : bn,
      row: isA ? rowA : rowB,
      bk: t.bk,
      threads,
      vec4: isA ? v.vecA : v.vecB,
      alongK: isA ? !v.transA : v.transB,
      extent: isA ? "p.m" : "p.n",
    });
  };
  return `
struct Params {
  m: u32, n: u32, k: u32, accumulate: u32,
  a: u32, b: u32, c: u32, reduce: u32,
  strideA: u32, strideB: u32, strideC: u32, tilesN: u32,
  tilesM: u32, groups: u32, groupsX: u32, unused: u32,
}
@group(0) @binding(0) var<storage, read_write> mem: array<${v.vec ? "vec4<f32>" : "f32"}>;
@group(0) @binding(1) var<uniform> p: Params;
var<workgroup> tileA: array<vec4<f32>, ${t.bk * rowA}>;
var<workgroup> tileB: array<vec4<f32>, ${t.bk * rowB}>;

fn load(i: u32) -> f32 { return ${v.vec ? "mem[i >> 2u][i & 3u]" : "mem[i]"}; }

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
${rows.flatMap((i) => colQuads.map((j) => `  var ${acc(i, j)} = vec4<f32>(0.0);`)).join("\n")}
  for (var term = 0u; term < p.reduce; term++) {
    let j = batch * p.reduce + term;
    let baseA = p.a + j * p.strideA;
    let baseB = p.b + j * p.strideB;
    for (var k0 = 0u; k0 < p.k; k0 += ${t.bk}u) {
${stage("A")}
${stage("B")}
      workgroupBarrier();
      for (var kk = 0u; kk < ${t.bk}u; kk++) {
${bvs}
${fmas}
      }
      workgroupBarrier();
    }
  }
  let cBase = p.c + batch * p.strideC;
  let c0 = row0B + ${t.rn}u * lid.x;
${rows.flatMap((i) => colQuads.map((j) => store(i, j))).join("\n")}
}
`;
}

interface TileStaging {
  readonly operand: "A" | "B";
  /** BM or BN: rows of op(A), or columns of op(B), in the tile. */
  readonly width: number;
  /** vec4s per tile row (width / 4 and the padding). */
  readonly row: number;
  readonly bk: number;
  readonly threads: number;
  /** The operand's stored rows are multiples of 4, at 16-byte boundaries. */
  readonly vec4: boolean;
  /** The operand is stored contiguous along k (A as stored, B transposed). */
  readonly alongK: boolean;
  /** Its extent along the tile's width: p.m or p.n. */
  readonly extent: string;
}

/**
 * The WGSL that fills tile[kk][w4] (a vec4: elements w4*4 .. + 3 along the width) for the
 * slice at k0: element (r, kk) is op(X) at row (or column) row0 + r and k0 + kk, read at
 * `at(r, kk)` from the operand's base; zero outside the matrix.
 */
function stageTile(s: TileStaging): string {
  const { operand, width, row, bk, threads } = s;
  const base = `base${operand}`;
  const row0 = `row0${operand}`;
  const tile = `tile${operand}`;
  // Where element (r, kk) of op(X) lives: stored along k, row r is contiguous in k; else
  // column kk is contiguous in r.
  const at = (r: string, kk: string): string =>
    s.alongK ? `${base} + (${r}) * p.k + ${kk}` : `${base} + (${kk}) * ${s.extent} + ${r}`;
  const quads = width / 4;
  if (s.vec4 && s.alongK) {
    // A 4 x 4 block per item: 4 vec4s along k (rows r .. r + 3), written transposed.
    return `      for (var e = li; e < ${(quads * bk) / 4}u; e += ${threads}u) {
        let kq = (e % ${bk / 4}u) * 4u;
        let w4 = e / ${bk / 4}u;
        let r = ${row0} + w4 * 4u;
        let gk = k0 + kq;
        var v0 = vec4<f32>(0.0); var v1 = vec4<f32>(0.0);
        var v2 = vec4<f32>(0.0); var v3 = vec4<f32>(0.0);
        if (gk < p.k) {
          if (r < ${s.extent}) { v0 = mem[(${at("r", "gk")}) >> 2u]; }
          if (r + 1u < ${s.extent}) { v1 = mem[(${at("r + 1u", "gk")}) >> 2u]; }
          if (r + 2u < ${s.extent}) { v2 = mem[(${at("r + 2u", "gk")}) >> 2u]; }
          if (r + 3u < ${s.extent}) { v3 = mem[(${at("r + 3u", "gk")}) >> 2u]; }
        }
        ${tile}[kq * ${row}u + w4] = vec4<f32>(v0.x, v1.x, v2.x, v3.x);
        ${tile}[(kq + 1u) * ${row}u + w4] = vec4<f32>(v0.y, v1.y, v2.y, v3.y);
        ${tile}[(kq + 2u) * ${row}u + w4] = vec4<f32>(v0.z, v1.z, v2.z, v3.z);
        ${tile}[(kq + 3u) * ${row}u + w4] = vec4<f32>(v0.w, v1.w, v2.w, v3.w);
      }`;
  }
  // One vec4 of the tile per item; neighbours along the operand's contiguous axis.
  const [fast, fastExtent, slow] = s.alongK ? ["kk", bk, "w4"] : ["w4", quads, "kk"];
  const body = s.vec4
    ? `if (gk < p.k && r < ${s.extent}) { value = mem[(${at("r", "gk")}) >> 2u]; }`
    : [0, 1, 2, 3]
        .map(
          (q) =>
            `if (gk < p.k && r + ${q}u < ${s.extent}) { value[${q}] = load(${at(`r + ${q}u`, "gk")}); }`,
        )
        .join("\n        ");
  return `      for (var e = li; e < ${quads * bk}u; e += ${threads}u) {
        let ${fast} = e % ${fastExtent}u;
        let ${slow} = e / ${fastExtent}u;
        let r = ${row0} + w4 * 4u;
        let gk = k0 + kk;
        var value = vec4<f32>(0.0);
        ${body}
        ${tile}[kk * ${row}u + w4] = value;
      }`;
}
