/**
 * The WebAssembly module of the small-GEMM path (see gemm-small.ts for the driver and the
 * contract): `pack` (op(B) into zero-padded rows of whole vectors), one `rows` function per
 * (column-chunk vector count, lanes of its last vector, op(A) form), and the export `small`,
 * which packs or reads op(B) in place and calls the rows function of each column chunk.
 */
import { assign, bump, doWhile, i32Locals, less, named, precisionOps } from "./gemm-codegen.js";
import type { GemmKernelConfig } from "./gemm-kernels.js";
import { type CodeBuilder, type FunctionRef, type MemoryLimits, ModuleBuilder } from "./writer.js";

/** Vectors per column chunk. */
const CHUNK_VECTORS = 4;

/**
 * Row blocks by the chunk's vector count: rows x vectors accumulators, the chunk's B vectors and
 * a splat must fit x64's 16 vector registers, or V8 spills inside the depth loop (T3's 10
 * columns, 3 vectors: 4 rows took 2.0 us for 256 x 10 x 10, 3 rows 1.4; 8 rows of 1 vector and
 * 3 rows of 2 were slower than 4).
 */
const BLOCKS: readonly (readonly number[])[] = [
  [4, 2, 1],
  [4, 2, 1],
  [3, 2, 1],
  [2, 1],
];

const SMALL_PARAMS = [
  "a",
  "aRow",
  "aDepth",
  "b",
  "bDepth",
  "bLane",
  "c",
  "m",
  "n",
  "k",
  "kcStep",
  "accumulate",
  "pack",
  "inPlace",
] as const;

const ROWS_PARAMS = [
  "a",
  "aRow",
  "aDepth",
  "pb",
  "bDepth",
  "c",
  "ldc",
  "m",
  "k",
  "kcStep",
  "accumulate",
] as const;

/** The module's bytes; `memory` must match the memory it runs on (shared or not). */
export function buildSmallGemmModule(config: GemmKernelConfig, memory: MemoryLimits): Uint8Array {
  const m = new ModuleBuilder();
  m.importMemory("env", "memory", memory);
  const pack = buildPack(m, config);
  const L = precisionOps(config.precision).lanes;
  const rows: (readonly [RowsVariant, FunctionRef])[] = [];
  for (const form of ["general", "rowsContiguous"] as const) {
    for (let nv = 1; nv <= CHUNK_VECTORS; nv++) {
      for (let lastLanes = 1; lastLanes <= L; lastLanes++) {
        const variant = { nv, lastLanes, form };
        rows.push([variant, buildRows(m, config, variant)]);
      }
    }
  }
  buildSmall(m, config, pack, rows);
  return m.bytes();
}

/** pack(b, bDepth, bLane, n, k, rowBytes, dst): op(B) into k rows of rowBytes, zero-padded. */
function buildPack(m: ModuleBuilder, config: GemmKernelConfig): FunctionRef {
  const ops = precisionOps(config.precision);
  const E = ops.bytes;
  const names = ["b", "bDepth", "bLane", "n", "k", "rowBytes", "dst"] as const;
  return m.function(
    "pack",
    { params: names.map(() => "i32" as const), results: [] },
    (code, params) => {
      const p = named(params, names);
      const l = i32Locals(code, ["row", "src", "out", "j", "width"]);
      code.get(p.rowBytes).i32(E).op("i32.div_u").set(l.width);
      code.i32(0).set(l.row);
      doWhile(code, () => {
        code.get(p.b).get(l.row).get(p.bDepth).op("i32.mul").op("i32.add").set(l.src);
        code.get(p.dst).get(l.row).get(p.rowBytes).op("i32.mul").op("i32.add").set(l.out);
        code.i32(0).set(l.j);
        doWhile(code, () => {
          code.get(l.out).get(l.src).mem(`${ops.s}.load`).mem(`${ops.s}.store`);
          bump(code, l.src, p.bLane);
          bump(code, l.out, E);
          bump(code, l.j, 1);
          less(code, l.j, p.n);
        });
        // Zero lanes up to the vector boundary.
        const top = code.loop();
        code.get(l.j).get(l.width).op("i32.lt_s").if();
        code.get(l.out);
        if (E === 4) code.f32(0);
        else code.f64(0);
        code.mem(`${ops.s}.store`);
        bump(code, l.out, E);
        bump(code, l.j, 1);
        code.br(top);
        code.end();
        code.end();
        bump(code, l.row, 1);
        less(code, l.row, p.k);
      });
    },
  );
}

/** How a rows function reads op(A): rows apart by aRow, depth steps by aDepth (bytes). */
type AForm = "rowsContiguous" | "general";

/** The rows function for `nv` vectors of which the last has `lastLanes` lanes of C. */
interface RowsVariant {
  readonly nv: number;
  readonly lastLanes: number;
  readonly form: AForm;
}

/**
 * rows: every row of C against one column chunk, in blocks of rows (BLOCKS), then 2, then 1. With `rowsContiguous` (aRow = E: op(A) = A transposed) a block's splats are one
 * pointer at constant offsets; otherwise one pointer per row.
 */
function buildRows(m: ModuleBuilder, config: GemmKernelConfig, variant: RowsVariant): FunctionRef {
  const { nv, lastLanes, form } = variant;
  const blocks = BLOCKS[nv - 1]!;
  return m.function(
    `rows${nv}_${lastLanes}${form === "rowsContiguous" ? "t" : ""}`,
    { params: ROWS_PARAMS.map(() => "i32" as const), results: [] },
    (code, params) => {
      const p = named(params, ROWS_PARAMS);
      const i = code.local("i32");
      code.i32(0).set(i);
      for (const rows of blocks) {
        const exit = code.block();
        const top = code.loop();
        code.get(p.m).get(i).op("i32.sub").i32(rows).op("i32.lt_s").brIf(exit);
        rowBlock(code, config, p, i, rows, variant);
        bump(code, i, rows);
        code.br(top);
        code.end();
        code.end();
      }
    },
  );
}

type RowsParams = Record<(typeof ROWS_PARAMS)[number], ReturnType<CodeBuilder["local"]>>;

/** C rows i .. i + rows of the chunk: every depth block, summed and stored. */
function rowBlock(
  code: CodeBuilder,
  config: GemmKernelConfig,
  p: RowsParams,
  i: ReturnType<CodeBuilder["local"]>,
  rows: number,
  { nv, lastLanes, form }: RowsVariant,
): void {
  const ops = precisionOps(config.precision);
  const { bytes: E, lanes: L } = ops;
  const l = i32Locals(code, ["aBase", "cRow", "pc", "kc", "pB", "pEnd", "at"]);
  const pointers = form === "rowsContiguous" ? 1 : rows;
  const pA = Array.from({ length: pointers }, () => code.local("i32"));
  const acc = Array.from({ length: rows }, () =>
    Array.from({ length: nv }, () => code.local("v128")),
  );
  const b = Array.from({ length: nv }, () => code.local("v128"));
  const a = code.local("v128");
  code.get(p.a).get(i).get(p.aRow).op("i32.mul").op("i32.add").set(l.aBase);
  code.get(p.c).get(i).get(p.ldc).op("i32.mul").op("i32.add").set(l.cRow);
  code.i32(0).set(l.pc);
  doWhile(code, () => {
    // kc = min(kcStep, k - pc)
    assign(code, l.kc, p.k, "i32.sub", l.pc);
    code.get(p.kcStep).get(l.kc).get(p.kcStep).get(l.kc).op("i32.lt_s").op("select").set(l.kc);
    const zero = new Array<number>(16).fill(0);
    for (const row of acc) for (const x of row) code.v128(zero).set(x);
    code.get(l.aBase).get(l.pc).get(p.aDepth).op("i32.mul").op("i32.add").set(pA[0]!);
    for (let r = 1; r < pointers; r++) assign(code, pA[r]!, pA[r - 1]!, "i32.add", p.aRow);
    code.get(p.pb).get(l.pc).get(p.bDepth).op("i32.mul").op("i32.add").tee(l.pB);
    code.get(l.kc).get(p.bDepth).op("i32.mul").op("i32.add").set(l.pEnd);
    doWhile(code, () => {
      for (let v = 0; v < nv; v++)
        code
          .get(l.pB)
          .mem("v128.load", { offset: v * 16 })
          .set(b[v]!);
      for (let r = 0; r < rows; r++) {
        if (pointers === 1)
          code
            .get(pA[0]!)
            .mem(ops.splat, { offset: r * E })
            .set(a);
        else code.get(pA[r]!).mem(ops.splat).set(a);
        for (let v = 0; v < nv; v++) {
          const x = acc[r]![v]!;
          if (config.relaxed) code.get(a).get(b[v]!).get(x).op(`${ops.v}.relaxed_madd`).set(x);
          else code.get(x).get(a).get(b[v]!).op(`${ops.v}.mul`).op(`${ops.v}.add`).set(x);
        }
      }
      for (const pointer of pA) bump(code, pointer, p.aDepth);
      bump(code, l.pB, p.bDepth);
      code.get(l.pB).get(l.pEnd).op("i32.ne");
    });
    // Adds to C after the first depth block, or with ACCUMULATE; else overwrites it unread.
    code.i32(1).get(p.accumulate).get(l.pc).i32(0).op("i32.gt_s").op("select").if();
    storeRows(code, ops, l.cRow, l.at, p.ldc, acc, lastLanes, L, true);
    code.else();
    storeRows(code, ops, l.cRow, l.at, p.ldc, acc, lastLanes, L, false);
    code.end();
    bump(code, l.pc, p.kcStep);
    less(code, l.pc, p.k);
  });
}

/** The block's accumulators into C: whole vectors, then the last one's `lastLanes` lanes. */
function storeRows(
  code: CodeBuilder,
  ops: ReturnType<typeof precisionOps>,
  cRow: ReturnType<CodeBuilder["local"]>,
  at: ReturnType<CodeBuilder["local"]>,
  ldc: ReturnType<CodeBuilder["local"]>,
  acc: readonly (readonly ReturnType<CodeBuilder["local"]>[])[],
  lastLanes: number,
  L: number,
  add: boolean,
): void {
  const E = ops.bytes;
  code.get(cRow).set(at);
  acc.forEach((vectors, r) => {
    if (r > 0) bump(code, at, ldc);
    const nv = vectors.length;
    const whole = lastLanes === L ? nv : nv - 1;
    for (let v = 0; v < whole; v++) storeVector(code, ops, at, v * 16, vectors[v]!, add);
    if (whole === nv) return;
    const offset = (nv - 1) * 16;
    for (let lane = 0; lane < lastLanes; lane++) {
      code.get(at);
      if (add) code.get(at).mem(`${ops.s}.load`, { offset: offset + lane * E });
      code.get(vectors[nv - 1]!).lane(`${ops.v}.extract_lane`, lane);
      if (add) code.op(`${ops.s}.add`);
      code.mem(`${ops.s}.store`, { offset: offset + lane * E });
    }
  });
}

/** C's vector at `at + offset` = acc, or C + acc when adding. */
function storeVector(
  code: CodeBuilder,
  ops: ReturnType<typeof precisionOps>,
  at: ReturnType<CodeBuilder["local"]>,
  offset: number,
  x: ReturnType<CodeBuilder["local"]>,
  add: boolean,
): void {
  code.get(at);
  if (add) code.get(at).mem("v128.load", { offset });
  code.get(x);
  if (add) code.op(`${ops.v}.add`);
  code.mem("v128.store", { offset });
}

function buildSmall(
  m: ModuleBuilder,
  config: GemmKernelConfig,
  pack: FunctionRef,
  rows: readonly (readonly [RowsVariant, FunctionRef])[],
): void {
  const { bytes: E, lanes: L } = precisionOps(config.precision);
  const chunk = CHUNK_VECTORS * L;
  m.function(
    "small",
    { params: SMALL_PARAMS.map(() => "i32" as const), results: [] },
    (code, params) => {
      const p = named(params, SMALL_PARAMS);
      const l = i32Locals(code, ["pb", "stride", "jc", "cols", "nv", "lastLanes", "rowsT"]);
      code.get(p.inPlace).if();
      code.get(p.b).set(l.pb).get(p.bDepth).set(l.stride);
      code.else();
      // stride = ceil(n / L) * L * E: packed rows of whole vectors
      code
        .get(p.n)
        .i32(L - 1)
        .op("i32.add")
        .i32(L)
        .op("i32.div_u")
        .i32(L * E)
        .op("i32.mul");
      code.set(l.stride);
      code.get(p.b).get(p.bDepth).get(p.bLane).get(p.n).get(p.k).get(l.stride).get(p.pack);
      code.call(pack);
      code.get(p.pack).set(l.pb);
      code.end();
      code.get(p.aRow).i32(E).op("i32.eq").set(l.rowsT);
      code.i32(0).set(l.jc);
      doWhile(code, () => {
        // cols = min(chunk, n - jc); nv = ceil(cols / L); lastLanes = cols - (nv - 1) * L
        assign(code, l.cols, p.n, "i32.sub", l.jc);
        code.i32(chunk).get(l.cols).get(l.cols).i32(chunk).op("i32.gt_s").op("select");
        code.set(l.cols);
        code
          .get(l.cols)
          .i32(L - 1)
          .op("i32.add")
          .i32(L)
          .op("i32.div_u")
          .set(l.nv);
        code.get(l.cols).get(l.nv).i32(1).op("i32.sub").i32(L).op("i32.mul").op("i32.sub");
        code.set(l.lastLanes);
        for (const [variant, fn] of rows) {
          code.get(l.nv).i32(variant.nv).op("i32.eq");
          code.get(l.lastLanes).i32(variant.lastLanes).op("i32.eq").op("i32.and");
          code
            .get(l.rowsT)
            .i32(variant.form === "rowsContiguous" ? 1 : 0)
            .op("i32.eq");
          code.op("i32.and").if();
          code.get(p.a).get(p.aRow).get(p.aDepth);
          code.get(l.pb).get(l.jc).i32(E).op("i32.mul").op("i32.add").get(l.stride);
          code.get(p.c).get(l.jc).i32(E).op("i32.mul").op("i32.add");
          code.get(p.n).i32(E).op("i32.mul");
          code.get(p.m).get(p.k).get(p.kcStep).get(p.accumulate);
          code.call(fn);
          code.end();
        }
        bump(code, l.jc, chunk);
        less(code, l.jc, p.n);
      });
    },
    { export: true },
  );
}
