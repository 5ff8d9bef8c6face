/**
 * The store phase of the GEMM's macro-kernel (gemm-kernels.ts): one MR x NR tile of the
 * product from its accumulators into C, element (i, j) at c + i*ldc + j*colStride bytes.
 * Three paths, all of whole vectors or elements, none reading C unless accumulating:
 * - a whole tile of C itself (colStride = E): vector stores along its rows;
 * - a whole tile of a transposed product (ldc = E, so that tile column j is contiguous in C):
 *   L x L blocks of the accumulators transposed in registers, then vector stores along C's rows,
 *   and the rows past the last whole block (the fifth of a 5-row tile) lane by lane;
 * - an edge tile: through the scratch tile, clipped element by element.
 * Accumulate adds to C; otherwise C is overwritten without being read (NaN in C does not leak
 * in). A fused epilogue (bias, activation) would apply to the values stored (the sum with C
 * when accumulating) on the last depth block only: gemm-loops.ts runs the depth blocks outside
 * the row blocks, so each tile is stored once per depth block; the macro-kernel would need a
 * "last depth block" flag (pc + kc = k in `blocked`) beside `accumulate`.
 */
import { assign, bump, doWhile, less, precisionOps } from "./gemm-codegen.js";
import type { GemmKernelConfig } from "./gemm-kernels.js";
import { transpose } from "./gemm-pack.js";
import type { CodeBuilder, Local } from "./writer.js";

export interface TileStore {
  readonly acc: readonly (readonly Local[])[];
  readonly c: Local;
  readonly ldc: Local;
  readonly colStride: Local;
  readonly accumulate: Local;
  readonly tile: Local;
  /** Rows left: extent - position. */
  readonly mEff: readonly [Local, Local];
  readonly nEff: readonly [Local, Local];
}

/** Writes the accumulators to C (see the module's comment); clobbers them. */
export function storeTile(code: CodeBuilder, t: TileStore, config: GemmKernelConfig): void {
  const { mr, nr } = config;
  const ops = precisionOps(config.precision);
  const { bytes: E, lanes: L } = ops;
  const rows = code.local("i32");
  const cols = code.local("i32");
  const row = code.local("i32");
  assign(code, rows, t.mEff[0], "i32.sub", t.mEff[1]);
  assign(code, cols, t.nEff[0], "i32.sub", t.nEff[1]);
  code.get(rows).i32(mr).op("i32.ge_s").get(cols).i32(nr).op("i32.ge_s").op("i32.and");
  code.get(t.colStride).i32(E).op("i32.eq").op("i32.and");
  code.if();
  {
    for (const add of [true, false]) {
      if (add) code.get(t.accumulate).if();
      else code.else();
      code.get(t.c).set(row);
      t.acc.forEach((vectors, r) => {
        if (r > 0) bump(code, row, t.ldc);
        vectors.forEach((x, v) => {
          code.get(row);
          if (add) code.get(row).mem("v128.load", { offset: v * 16 });
          code.get(x);
          if (add) code.op(`${ops.v}.add`);
          code.mem("v128.store", { offset: v * 16 });
        });
      });
    }
    code.end();
  }
  code.else();
  code.get(rows).i32(mr).op("i32.ge_s").get(cols).i32(nr).op("i32.ge_s").op("i32.and");
  code.get(t.ldc).i32(E).op("i32.eq").op("i32.and");
  code.if();
  storeTransposed(code, t, config);
  code.else();
  {
    t.acc.forEach((vectors, r) =>
      vectors.forEach((x, v) => {
        code
          .get(t.tile)
          .get(x)
          .mem("v128.store", { offset: (r * nr + v * L) * E });
      }),
    );
    // rows = min(rows, mr), cols = min(cols, nr)
    code.i32(mr).get(rows).get(rows).i32(mr).op("i32.gt_s").op("select").set(rows);
    code.i32(nr).get(cols).get(cols).i32(nr).op("i32.gt_s").op("select").set(cols);
    const r = code.local("i32");
    const col = code.local("i32");
    const src = code.local("i32");
    code.get(t.c).set(row).get(t.tile).set(src).i32(0).set(r);
    doWhile(code, () => {
      code.i32(0).set(col);
      doWhile(code, () => {
        const address = () => code.get(row).get(col).get(t.colStride).op("i32.mul").op("i32.add");
        const sum = () =>
          code.get(src).get(col).i32(E).op("i32.mul").op("i32.add").mem(`${ops.s}.load`);
        address();
        code.get(t.accumulate).if(ops.s);
        address();
        code.mem(`${ops.s}.load`);
        sum();
        code.op(`${ops.s}.add`);
        code.else();
        sum();
        code.end();
        code.mem(`${ops.s}.store`);
        bump(code, col, 1);
        less(code, col, cols);
      });
      bump(code, row, t.ldc);
      bump(code, src, nr * E);
      bump(code, r, 1);
      less(code, r, rows);
    });
  }
  code.end();
  code.end();
}

/**
 * A whole tile of a transposed product: C's row j (tile column j) gets the tile's rows
 * 0..MR-1 contiguously. Each L x L block of the accumulators (rows gL.., vector v) is transposed
 * in place, so acc[gL + l][v] then holds column vL + l of those rows.
 */
function storeTransposed(code: CodeBuilder, t: TileStore, config: GemmKernelConfig): void {
  const { mr, nr } = config;
  const ops = precisionOps(config.precision);
  const { bytes: E, lanes: L } = ops;
  const groups = Math.floor(mr / L);
  const tmp = Array.from({ length: L }, () => code.local("v128"));
  for (let g = 0; g < groups; g++) {
    for (let v = 0; v < nr / L; v++) {
      transpose(
        code,
        Array.from({ length: L }, (_, l) => t.acc[g * L + l]![v]!),
        tmp,
        E,
      );
    }
  }
  const at = code.local("i32");
  for (const add of [true, false]) {
    if (add) code.get(t.accumulate).if();
    else code.else();
    code.get(t.c).set(at);
    for (let j = 0; j < nr; j++) {
      const [v, l] = [Math.floor(j / L), j % L];
      if (j > 0) bump(code, at, t.colStride);
      for (let g = 0; g < groups; g++) {
        const offset = g * L * E;
        code.get(at);
        if (add) code.get(at).mem("v128.load", { offset });
        code.get(t.acc[g * L + l]![v]!);
        if (add) code.op(`${ops.v}.add`);
        code.mem("v128.store", { offset });
      }
      for (let r = groups * L; r < mr; r++) {
        const offset = r * E;
        code.get(at);
        if (add) code.get(at).mem(`${ops.s}.load`, { offset });
        code.get(t.acc[r]![v]!).lane(`${ops.v}.extract_lane`, l);
        if (add) code.op(`${ops.s}.add`);
        code.mem(`${ops.s}.store`, { offset });
      }
    }
  }
  code.end();
}
