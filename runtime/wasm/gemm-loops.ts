/**
 * The GEMM's blocking loop nest as a wasm export, `blocked` (and `blocked_mr5` for 5-row
 * tiles: one per micro-tile height, each calling its own packing of A and macro-kernel), so that
 * pool workers (which can only call wasm exports) run it on their own column range. It is the
 * loop nest gemm.ts describes (column blocks of the range, depth blocks, row blocks, then
 * pack_a/pack_b and the macro-kernel), with the same blocking and so the same summation order
 * per element of C.
 *
 * `blocked(j0, j1, part, xBase, xDepth, xLane, yBase, yDepth, yLane, i0, i1, k, c, rowStride,
 * colStride, accumulate, scratch, scratchStride, packBOffset, tileOffset, kcStep, mcStep,
 * ncLimit, inPlace)`, all i32: C[i, j] (+)= sum over p of X(p, i) Y(p, j) for rows i0..i1 and
 * columns j0..j1 of the product (X(p, i) at xBase + p*xDepth + i*xLane bytes, likewise Y;
 * element (i, j) at c + i*rowStride + j*colStride). Part `part` packs in its own scratch, at
 * scratch + part*scratchStride (packed A first, packed B at packBOffset, the tile at
 * tileOffset). The column block is the most even cut of j1 - j0 in multiples of NR of at most
 * ncLimit; depth and row blocks (kcStep, mcStep) are given (they do not depend on the range).
 * `inPlace`: read Y in place (whole NR-column panels) instead of packing it. Assumes k > 0.
 */
import { assign, bump, doWhile, i32Locals, named } from "./gemm-codegen.js";
import type { GemmKernelConfig } from "./gemm-kernels.js";
import type { CodeBuilder, FunctionRef, Local, ModuleBuilder } from "./writer.js";

/** The parameters of `blocked`, in order. */
export const BLOCKED_PARAMS = [
  "j0",
  "j1",
  "part",
  "xBase",
  "xDepth",
  "xLane",
  "yBase",
  "yDepth",
  "yLane",
  "i0",
  "i1",
  "k",
  "c",
  "rowStride",
  "colStride",
  "accumulate",
  "scratch",
  "scratchStride",
  "packBOffset",
  "tileOffset",
  "kcStep",
  "mcStep",
  "ncLimit",
  "inPlace",
] as const;

export interface GemmFunctions {
  readonly packA: FunctionRef;
  readonly packB: FunctionRef;
  readonly macro: FunctionRef;
}

/** target = min(a, b), signed. */
function minimum(code: CodeBuilder, target: Local, a: Local, b: Local): void {
  code.get(a).get(b).get(a).get(b).op("i32.lt_s").op("select").set(target);
}

/** Defines the loop nest (exported as `name`) over the MR x NR functions `fns` of `config`. */
export function buildBlocked(
  m: ModuleBuilder,
  config: GemmKernelConfig,
  fns: GemmFunctions,
  name: string,
): FunctionRef {
  const E = config.precision === "f32" ? 4 : 8;
  const NR = config.nr;
  const packedStep = NR * E;
  return m.function(
    name,
    { params: BLOCKED_PARAMS.map(() => "i32" as const), results: [] },
    (code, params) => {
      const p = named(params, BLOCKED_PARAMS);
      const l = i32Locals(code, [
        "packA",
        "packB",
        "tile",
        "extent",
        "blocks",
        "ncStep",
        "jc",
        "nc",
        "whole",
        "pc",
        "kc",
        "yAt",
        "add",
        "ic",
        "mc",
        "at",
        "left",
      ]);
      // Nothing to do for an empty range (the loops below run at least once).
      code.get(p.j1).get(p.j0).op("i32.le_s").get(p.i1).get(p.i0).op("i32.le_s").op("i32.or");
      code.if();
      code.return().end();
      code.get(p.scratch).get(p.part).get(p.scratchStride).op("i32.mul").op("i32.add");
      code.set(l.packA);
      assign(code, l.packB, l.packA, "i32.add", p.packBOffset);
      assign(code, l.tile, l.packA, "i32.add", p.tileOffset);
      // ncStep = roundUp(ceil(extent / blocks), NR), blocks = ceil(extent / ncLimit)
      assign(code, l.extent, p.j1, "i32.sub", p.j0);
      code.get(l.extent).get(p.ncLimit).op("i32.add").i32(1).op("i32.sub");
      code.get(p.ncLimit).op("i32.div_u").set(l.blocks);
      code.get(l.extent).get(l.blocks).op("i32.add").i32(1).op("i32.sub");
      code
        .get(l.blocks)
        .op("i32.div_u")
        .i32(NR - 1)
        .op("i32.add")
        .i32(NR)
        .op("i32.div_u");
      code.i32(NR).op("i32.mul").set(l.ncStep);
      code.get(p.j0).set(l.jc);
      doWhile(code, () => {
        assign(code, l.left, p.j1, "i32.sub", l.jc);
        minimum(code, l.nc, l.ncStep, l.left);
        // whole = inPlace ? nc - nc % NR : 0
        code.get(l.nc).get(l.nc).i32(NR).op("i32.rem_u").op("i32.sub").i32(0).get(p.inPlace);
        code.op("select").set(l.whole);
        code.i32(0).set(l.pc);
        doWhile(code, () => {
          assign(code, l.left, p.k, "i32.sub", l.pc);
          minimum(code, l.kc, p.kcStep, l.left);
          // yAt = yBase + pc*yDepth + jc*yLane
          code.get(p.yBase).get(l.pc).get(p.yDepth).op("i32.mul").op("i32.add");
          code.get(l.jc).get(p.yLane).op("i32.mul").op("i32.add").set(l.yAt);
          code.get(l.whole).get(l.nc).op("i32.lt_s").if();
          code.get(l.yAt).get(l.whole).get(p.yLane).op("i32.mul").op("i32.add");
          code.get(p.yDepth).get(p.yLane).get(l.kc);
          code.get(l.nc).get(l.whole).op("i32.sub").get(l.packB).call(fns.packB);
          code.end();
          // add = pc > 0 ? 1 : accumulate
          code.i32(1).get(p.accumulate).get(l.pc).i32(0).op("i32.gt_s").op("select").set(l.add);
          code.get(p.i0).set(l.ic);
          doWhile(code, () => {
            assign(code, l.left, p.i1, "i32.sub", l.ic);
            minimum(code, l.mc, p.mcStep, l.left);
            code.get(p.xBase).get(l.pc).get(p.xDepth).op("i32.mul").op("i32.add");
            code.get(l.ic).get(p.xLane).op("i32.mul").op("i32.add");
            code.get(p.xDepth).get(p.xLane).get(l.kc).get(l.mc).get(l.packA).call(fns.packA);
            // at = c + ic*rowStride + jc*colStride
            code.get(p.c).get(l.ic).get(p.rowStride).op("i32.mul").op("i32.add");
            code.get(l.jc).get(p.colStride).op("i32.mul").op("i32.add").set(l.at);
            code.get(l.whole).i32(0).op("i32.gt_s").if();
            code.get(l.packA).get(l.yAt).get(l.at).get(l.mc).get(l.whole).get(l.kc);
            code.get(p.yDepth).i32(packedStep).get(p.rowStride).get(p.colStride);
            code.get(l.add).get(l.tile).call(fns.macro);
            code.end();
            code.get(l.whole).get(l.nc).op("i32.lt_s").if();
            code.get(l.packA).get(l.packB);
            code.get(l.at).get(l.whole).get(p.colStride).op("i32.mul").op("i32.add");
            code.get(l.mc).get(l.nc).get(l.whole).op("i32.sub").get(l.kc);
            code.i32(packedStep).get(l.kc).i32(packedStep).op("i32.mul");
            code.get(p.rowStride).get(p.colStride).get(l.add).get(l.tile).call(fns.macro);
            code.end();
            bump(code, l.ic, p.mcStep);
            code.get(l.ic).get(p.i1).op("i32.lt_s");
          });
          bump(code, l.pc, p.kcStep);
          code.get(l.pc).get(p.k).op("i32.lt_s");
        });
        bump(code, l.jc, l.ncStep);
        code.get(l.jc).get(p.j1).op("i32.lt_s");
      });
    },
    { export: true },
  );
}
