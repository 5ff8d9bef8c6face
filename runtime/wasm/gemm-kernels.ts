/**
 * The WebAssembly module of the GEMM (see gemm.ts for the driver): packing routines and the
 * macro-kernel, generated with the binary writer for one precision and one multiply-add flavour.
 *
 * Packed layout (E bytes per element): a panel of width W (MR rows of A, or NR columns of B)
 * holds element (p, c) at (p*W + c)*E; lanes past the matrix edge are zero, so the
 * micro-kernel always computes whole tiles and only the store is clipped.
 * Exports, all arguments i32 (byte offsets, byte strides, counts); besides these, `blocked`,
 * the loop nest over them (gemm-loops.ts):
 * - `pack_a` / `pack_b (src, sp, sc, kc, count, dst)`: panels of width MR / NR of the
 *   operand X with X(p, c) at src + p*sp + c*sc, for p < kc and c < count. The two transposes
 *   of each operand differ only in (sp, sc): rows contiguous (sc = E) copy vectors, columns
 *   contiguous (sp = E) transpose L x L blocks in registers (L lanes per vector).
 * - `macro (pa, pb, c, mc, nc, kc, bStep, bPanelStep, rowStride, colStride, accumulate, tile)`:
 *   C (+)= packed A (mc rows) times B (nc columns) for every MR x NR tile, B's depth step p
 *   of panel q at pb + q*bPanelStep + p*bStep: packed (bStep = NR*E, bPanelStep = kc*NR*E), or
 *   read in place when its rows are contiguous (bStep = its row bytes, bPanelStep = NR*E);
 *   element (i, j) of C at byte
 *   offset c + i*rowStride + j*colStride: colStride = E for C itself, or (rowStride = E,
 *   colStride = row bytes) to write the transposed product into C (see gemm.ts); `tile` is
 *   MR*NR*E bytes of scratch for clipped (or transposed) tiles.
 *
 * Micro-kernel: MR x NR accumulators (NR/L vectors per row), per depth step NR/L vector loads
 * of B and MR splat loads of A, then MR*NR/L multiply-adds (`relaxed_madd`, or mul then add).
 * MR is 4, or SKINNY_MR = 5 for products of few rows (see `buildGemmModule`).
 * The store phase (`storeTile`) is the place for a fused epilogue (bias, activation) later.
 */
import { buildPack } from "./gemm-pack.js";
import { storeTile } from "./gemm-store.js";
import {
  assign,
  bump,
  doWhile,
  i32Locals,
  laneShuffle,
  less,
  named,
  precisionOps,
} from "./gemm-codegen.js";
import { buildBlocked } from "./gemm-loops.js";
import { type FunctionRef, type MemoryLimits, ModuleBuilder } from "./writer.js";

export type GemmPrecision = "f32" | "f64";

export interface GemmKernelConfig {
  readonly precision: GemmPrecision;
  /** Multiply-add with `relaxed_madd` (fused where the hardware has FMA) instead of mul, add. */
  readonly relaxed: boolean;
  /** Rows of a micro-tile: the width of an A panel. */
  readonly mr: number;
  /** Columns of a micro-tile: the width of a B panel, a multiple of the lanes per vector. */
  readonly nr: number;
}

/** The micro-tile shapes measured fastest here (4x8 f32, 4x4 f64: 8 accumulators each). */
export function defaultKernelConfig(precision: GemmPrecision, relaxed: boolean): GemmKernelConfig {
  return precision === "f32"
    ? { precision, relaxed, mr: 4, nr: 8 }
    : { precision, relaxed, mr: 4, nr: 4 };
}

/**
 * Rows of the micro-tiles the module has besides `config.mr` (4): 5, for products of few rows
 * that 4 pads badly (10 rows: 10/12 of three 4-row tiles, two 5-row tiles exactly). Each
 * element of C has one accumulator whatever the tile, so the choice does not change the bits.
 */
export const SKINNY_MR = 5;

/** The name of the loop-nest export for micro-tiles of `mr` rows. */
export function blockedExport(config: GemmKernelConfig, mr: number): string {
  return mr === config.mr ? "blocked" : `blocked_mr${mr}`;
}

/**
 * Builds the module; `memory` must match the limits (and sharing) of the memory it runs on.
 * Exports `pack_a`, `pack_b`, `macro` and `blocked` for MR x NR tiles, and
 * `blocked_mr5` (its own packing of A and macro-kernel, not exported) for SKINNY_MR x NR.
 */
export function buildGemmModule(config: GemmKernelConfig, memory: MemoryLimits): Uint8Array {
  const { mr, nr } = config;
  const { lanes } = precisionOps(config.precision);
  if (nr % lanes !== 0 || mr % lanes !== 0) {
    throw new Error(`unsupported GEMM tile ${mr}x${nr}`);
  }
  const m = new ModuleBuilder();
  m.importMemory("env", "memory", memory);
  const packA = buildPack(m, "pack_a", mr, config);
  const packB = buildPack(m, "pack_b", nr, config);
  const macro = buildMacro(m, "macro", config, true);
  buildBlocked(m, config, { packA, packB, macro }, blockedExport(config, mr));
  const skinny: GemmKernelConfig = { ...config, mr: SKINNY_MR };
  const packA5 = buildPack(m, `pack_a_mr${SKINNY_MR}`, SKINNY_MR, skinny, { export: false });
  const macro5 = buildMacro(m, `macro_mr${SKINNY_MR}`, skinny, false);
  buildBlocked(
    m,
    skinny,
    { packA: packA5, packB, macro: macro5 },
    blockedExport(config, SKINNY_MR),
  );
  return m.bytes();
}

const MACRO_TYPE = {
  params: ["i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32"],
  results: [],
} as const;

function buildMacro(
  m: ModuleBuilder,
  name: string,
  config: GemmKernelConfig,
  exported: boolean,
): FunctionRef {
  const { mr, nr } = config;
  const ops = precisionOps(config.precision);
  const { bytes: E, lanes: L } = ops;
  const nv = nr / L;
  return m.function(
    name,
    MACRO_TYPE,
    (code, params) => {
      const { pa, pb, c, mc, nc, kc, bStep, bPanelStep, ldc, colStride, accumulate, tile } = named(
        params,
        [
          "pa",
          "pb",
          "c",
          "mc",
          "nc",
          "kc",
          "bStep",
          "bPanelStep",
          "ldc",
          "colStride",
          "accumulate",
          "tile",
        ],
      );
      const { i, j, cCol, cTile, paPanel, pbPanel, pA, pB, pBEnd } = i32Locals(code, [
        "i",
        "j",
        "cCol",
        "cTile",
        "paPanel",
        "pbPanel",
        "pA",
        "pB",
        "pBEnd",
      ]);
      const { aPanelBytes, bDepthBytes, tileRowStep, tileColumnStep } = i32Locals(code, [
        "aPanelBytes",
        "bDepthBytes",
        "tileRowStep",
        "tileColumnStep",
      ]);
      const acc = Array.from({ length: mr }, () =>
        Array.from({ length: nv }, () => code.local("v128")),
      );
      const b = Array.from({ length: nv }, () => code.local("v128"));
      const a = code.local("v128");
      const aLanes = code.local("v128");
      // 5-row tiles take rows 0-3 of A from one vector load and lane shuffles: with five
      // splat loads, V8 unrolled the loop twice, hoisted all the loads and spilled two
      // accumulators (33 against 48 GFLOP/s on 10x512x128).
      const vectorA = mr % L !== 0;
      assign(code, aPanelBytes, kc, "i32.mul", mr * E);
      assign(code, bDepthBytes, kc, "i32.mul", bStep);
      assign(code, tileRowStep, ldc, "i32.mul", mr);
      assign(code, tileColumnStep, colStride, "i32.mul", nr);
      code.get(c).set(cCol).get(pb).set(pbPanel);
      doWhile(code, () => {
        code.get(pa).set(paPanel).get(cCol).set(cTile).i32(0).set(i);
        doWhile(code, () => {
          const zero = new Array(16).fill(0);
          for (const row of acc) for (const x of row) code.v128(zero).set(x);
          code.get(paPanel).set(pA).get(pbPanel).tee(pB).get(bDepthBytes).op("i32.add").set(pBEnd);
          doWhile(code, () => {
            for (let v = 0; v < nv; v++) {
              code
                .get(pB)
                .mem("v128.load", { offset: v * 16 })
                .set(b[v]!);
            }
            for (let r = 0; r < mr; r++) {
              if (vectorA && r < mr - (mr % L)) {
                if (r % L === 0)
                  code
                    .get(pA)
                    .mem("v128.load", { offset: r * E })
                    .set(aLanes);
                code
                  .get(aLanes)
                  .get(aLanes)
                  .shuffle(laneShuffle(new Array(L).fill(r % L), E));
                code.set(a);
              } else {
                code
                  .get(pA)
                  .mem(ops.splat, { offset: r * E })
                  .set(a);
              }
              for (let v = 0; v < nv; v++) {
                const x = acc[r]![v]!;
                if (config.relaxed) {
                  code.get(a).get(b[v]!).get(x).op(`${ops.v}.relaxed_madd`).set(x);
                } else {
                  code.get(x).get(a).get(b[v]!).op(`${ops.v}.mul`).op(`${ops.v}.add`).set(x);
                }
              }
            }
            bump(code, pA, mr * E);
            bump(code, pB, bStep);
            code.get(pB).get(pBEnd).op("i32.ne");
          });
          storeTile(
            code,
            { acc, c: cTile, ldc, colStride, accumulate, tile, mEff: [mc, i], nEff: [nc, j] },
            config,
          );
          bump(code, paPanel, aPanelBytes);
          bump(code, cTile, tileRowStep);
          bump(code, i, mr);
          less(code, i, mc);
        });
        bump(code, pbPanel, bPanelStep);
        bump(code, cCol, tileColumnStep);
        bump(code, j, nr);
        less(code, j, nc);
      });
    },
    { export: exported },
  );
}
