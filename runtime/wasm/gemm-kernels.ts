/**
 * The WebAssembly module of the GEMM (see gemm.ts for the driver): packing routines and the
 * macro-kernel, generated with the binary writer for one precision and one multiply-add flavour.
 *
 * Packed layouts (E bytes per element, depth padded with zeros to `kcp`, a multiple of the
 * unroll, so the micro-kernel has no remainder loop):
 * - a panel of width W (MR rows of A, or NR columns of B) holds element (p, c) at (p*W + c)*E;
 *   lanes past the matrix edge are zero, so the micro-kernel always computes whole tiles and
 *   only the store is clipped.
 * Exports, all arguments i32 (byte offsets, byte strides, counts):
 * - `pack_a` / `pack_b (src, sp, sc, kc, kcp, count, dst)`: panels of width MR / NR of the
 *   operand X with X(p, c) at src + p*sp + c*sc, for p < kc and c < count. The two transposes
 *   of each operand differ only in (sp, sc): rows contiguous (sc = E) copy vectors, columns
 *   contiguous (sp = E) transpose L x L blocks in registers (L lanes per vector).
 * - `macro (pa, pb, c, mc, nc, kcp, ldc, accumulate, tile)`: C (+)= packed A (mc rows) times
 *   packed B (nc columns) for every MR x NR tile, C at byte offset c with row stride ldc bytes;
 *   `tile` is MR*NR*E bytes of scratch for clipped edge tiles.
 *
 * Micro-kernel: MR x NR accumulators (NR/L vectors per row), per depth step NR/L vector loads
 * of B and MR splat loads of A, then MR*NR/L multiply-adds (`relaxed_madd`, or mul then add).
 * The store phase (`storeTile`) is the place for a fused epilogue (bias, activation) later.
 */
import { type CodeBuilder, type Local, type MemoryLimits, ModuleBuilder } from "./writer.js";

export type GemmPrecision = "f32" | "f64";

export interface GemmKernelConfig {
  readonly precision: GemmPrecision;
  /** Multiply-add with `relaxed_madd` (fused where the hardware has FMA) instead of mul, add. */
  readonly relaxed: boolean;
  /** Rows of a micro-tile: the width of an A panel. */
  readonly mr: number;
  /** Columns of a micro-tile: the width of a B panel, a multiple of the lanes per vector. */
  readonly nr: number;
  /** Depth steps per micro-kernel iteration. */
  readonly unroll: number;
}

/** The micro-tile shapes measured fastest here (4x8 f32, 4x4 f64: 8 accumulators each). */
export function defaultKernelConfig(precision: GemmPrecision, relaxed: boolean): GemmKernelConfig {
  return precision === "f32"
    ? { precision, relaxed, mr: 4, nr: 8, unroll: 2 }
    : { precision, relaxed, mr: 4, nr: 4, unroll: 2 };
}

/** Element size and the instruction names of one precision. */
function precisionOps(precision: GemmPrecision) {
  return precision === "f32"
    ? ({ bytes: 4, lanes: 4, v: "f32x4", s: "f32", splat: "v128.load32_splat" } as const)
    : ({ bytes: 8, lanes: 2, v: "f64x2", s: "f64", splat: "v128.load64_splat" } as const);
}

type I32Op = "i32.add" | "i32.sub" | "i32.mul";

/** local = a op b, operands being locals or constants. */
function assign(code: CodeBuilder, target: Local, a: Local | number, op: I32Op, b: Local | number) {
  const push = (x: Local | number) => (typeof x === "number" ? code.i32(x) : code.get(x));
  push(a);
  push(b);
  code.op(op).set(target);
}

/** local += step. */
function bump(code: CodeBuilder, target: Local, step: Local | number) {
  assign(code, target, target, "i32.add", step);
}

/** A loop whose body runs at least once; `body` ends by pushing the continue condition. */
function doWhile(code: CodeBuilder, body: () => void) {
  const top = code.loop();
  body();
  code.brIf(top);
  code.end();
}

/** local < bound, signed, pushed as i32. */
function less(code: CodeBuilder, a: Local, b: Local | number) {
  code.get(a);
  if (typeof b === "number") code.i32(b);
  else code.get(b);
  code.op("i32.lt_s");
}

/** The byte indices of i8x16.shuffle picking lanes of `laneBytes` bytes from a (0..) and b. */
function laneShuffle(lanes: readonly number[], laneBytes: number): number[] {
  return lanes.flatMap((lane) => Array.from({ length: laneBytes }, (_, i) => lane * laneBytes + i));
}

/** Builds the module; `memory` must match the limits (and sharing) of the memory it runs on. */
export function buildGemmModule(config: GemmKernelConfig, memory: MemoryLimits): Uint8Array {
  const { mr, nr } = config;
  const { lanes } = precisionOps(config.precision);
  if (nr % lanes !== 0 || mr % lanes !== 0 || config.unroll < 1) {
    throw new Error(`unsupported GEMM tile ${mr}x${nr}`);
  }
  const m = new ModuleBuilder();
  m.importMemory("env", "memory", memory);
  buildPack(m, "pack_a", mr, config);
  buildPack(m, "pack_b", nr, config);
  buildMacro(m, config);
  return m.bytes();
}

const PACK_TYPE = {
  params: ["i32", "i32", "i32", "i32", "i32", "i32", "i32"],
  results: [],
} as const;

function buildPack(m: ModuleBuilder, name: string, width: number, config: GemmKernelConfig): void {
  const ops = precisionOps(config.precision);
  const { bytes: E, lanes: L } = ops;
  m.function(
    name,
    PACK_TYPE,
    (code, params) => {
      const [src, sp, sc, kc, kcp, count, dst] = params as [
        Local,
        Local,
        Local,
        Local,
        Local,
        Local,
        Local,
      ];
      const q = code.local("i32");
      const s = code.local("i32");
      const p = code.local("i32");
      const columnOffset = Array.from({ length: width }, () => code.local("i32"));
      const vectors = Array.from({ length: L }, () => code.local("v128"));
      const half = Array.from({ length: L }, () => code.local("v128"));
      const rowBytes = width * E;
      columnOffset.forEach((offset, c) => assign(code, offset, sc, "i32.mul", c));

      doWhile(code, () => {
        code.get(src).set(s);
        // Full panel: w = count - q >= width.
        code.get(count).get(q).op("i32.sub").i32(width).op("i32.ge_s");
        code.get(sc).i32(E).op("i32.eq").op("i32.and");
        code.if();
        {
          // Rows contiguous: each depth step is width/L vector copies.
          doWhile(code, () => {
            for (let v = 0; v < width / L; v++) {
              code
                .get(dst)
                .get(s)
                .mem("v128.load", { offset: v * 16, align: E as 4 | 8 });
              code.mem("v128.store", { offset: v * 16 });
            }
            bump(code, s, sp);
            bump(code, dst, rowBytes);
            bump(code, p, 1);
            less(code, p, kc);
          });
        }
        code.else();
        code.get(count).get(q).op("i32.sub").i32(width).op("i32.ge_s");
        code.get(sp).i32(E).op("i32.eq").op("i32.and");
        code.if();
        {
          // Columns contiguous: L x L blocks transposed in registers, L depth steps at a time.
          const blocks = code.block();
          const top = code.loop();
          code.get(p).i32(L).op("i32.add").get(kc).op("i32.gt_s").brIf(blocks);
          for (let g = 0; g < width / L; g++) {
            for (let t = 0; t < L; t++) {
              code
                .get(s)
                .get(columnOffset[g * L + t]!)
                .op("i32.add");
              code.mem("v128.load", { align: E as 4 | 8 }).set(vectors[t]!);
            }
            transpose(code, vectors, half, E);
            for (let i = 0; i < L; i++) {
              code
                .get(dst)
                .get(vectors[i]!)
                .mem("v128.store", { offset: (i * width + g * L) * E });
            }
          }
          bump(code, s, L * E);
          bump(code, dst, L * rowBytes);
          bump(code, p, L);
          code.br(top);
          code.end();
          code.end();
          // The last kc % L depth steps, one element at a time.
          const done = code.block();
          const rest = code.loop();
          less(code, p, kc);
          code.op("i32.eqz").brIf(done);
          for (let c = 0; c < width; c++) {
            code.get(dst).get(s).get(columnOffset[c]!).op("i32.add").mem(`${ops.s}.load`);
            code.mem(`${ops.s}.store`, { offset: c * E });
          }
          bump(code, s, E);
          bump(code, dst, rowBytes);
          bump(code, p, 1);
          code.br(rest);
          code.end();
          code.end();
        }
        code.else();
        {
          // A partial panel (or unusual strides): element by element, zeros past the edge.
          const w = code.local("i32");
          assign(code, w, count, "i32.sub", q);
          doWhile(code, () => {
            for (let c = 0; c < width; c++) {
              code.get(dst);
              code.i32(c).get(w).op("i32.lt_s");
              code.if(ops.s);
              code.get(s).get(columnOffset[c]!).op("i32.add").mem(`${ops.s}.load`);
              code.else();
              if (ops.s === "f32") code.f32(0);
              else code.f64(0);
              code.end();
              code.mem(`${ops.s}.store`, { offset: c * E });
            }
            bump(code, s, sp);
            bump(code, dst, rowBytes);
            bump(code, p, 1);
            less(code, p, kc);
          });
        }
        code.end();
        code.end();
        // Depth padding: zero rows up to kcp.
        const padded = code.block();
        const pad = code.loop();
        less(code, p, kcp);
        code.op("i32.eqz").brIf(padded);
        for (let v = 0; v < width / L; v++) {
          code
            .get(dst)
            .v128(new Array(16).fill(0))
            .mem("v128.store", { offset: v * 16 });
        }
        bump(code, dst, rowBytes);
        bump(code, p, 1);
        code.br(pad);
        code.end();
        code.end();
        code.i32(0).set(p);
        code.get(sc).i32(width).op("i32.mul").get(src).op("i32.add").set(src);
        bump(code, q, width);
        less(code, q, count);
      });
    },
    { export: true },
  );
}

/** Transposes the L x L block in `v` (v[t] = column t) in place; `tmp` is scratch. */
function transpose(code: CodeBuilder, v: readonly Local[], tmp: readonly Local[], E: number): void {
  if (E === 8) {
    // [a0 a1], [b0 b1] -> [a0 b0], [a1 b1]
    code
      .get(v[0]!)
      .get(v[1]!)
      .shuffle(laneShuffle([0, 2], 8))
      .set(tmp[0]!);
    code
      .get(v[0]!)
      .get(v[1]!)
      .shuffle(laneShuffle([1, 3], 8))
      .set(v[1]!);
    code.get(tmp[0]!).set(v[0]!);
    return;
  }
  const [a, b, c, d] = v as [Local, Local, Local, Local];
  const [t0, t1, t2, t3] = tmp as [Local, Local, Local, Local];
  code
    .get(a)
    .get(b)
    .shuffle(laneShuffle([0, 4, 1, 5], 4))
    .set(t0); // a0 b0 a1 b1
  code
    .get(a)
    .get(b)
    .shuffle(laneShuffle([2, 6, 3, 7], 4))
    .set(t1); // a2 b2 a3 b3
  code
    .get(c)
    .get(d)
    .shuffle(laneShuffle([0, 4, 1, 5], 4))
    .set(t2); // c0 d0 c1 d1
  code
    .get(c)
    .get(d)
    .shuffle(laneShuffle([2, 6, 3, 7], 4))
    .set(t3); // c2 d2 c3 d3
  code
    .get(t0)
    .get(t2)
    .shuffle(laneShuffle([0, 1, 4, 5], 4))
    .set(a); // a0 b0 c0 d0
  code
    .get(t0)
    .get(t2)
    .shuffle(laneShuffle([2, 3, 6, 7], 4))
    .set(b);
  code
    .get(t1)
    .get(t3)
    .shuffle(laneShuffle([0, 1, 4, 5], 4))
    .set(c);
  code
    .get(t1)
    .get(t3)
    .shuffle(laneShuffle([2, 3, 6, 7], 4))
    .set(d);
}

const MACRO_TYPE = {
  params: ["i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32", "i32"],
  results: [],
} as const;

function buildMacro(m: ModuleBuilder, config: GemmKernelConfig): void {
  const { mr, nr, unroll } = config;
  const ops = precisionOps(config.precision);
  const { bytes: E, lanes: L } = ops;
  const nv = nr / L;
  m.function(
    "macro",
    MACRO_TYPE,
    (code, params) => {
      const [pa, pb, c, mc, nc, kcp, ldc, accumulate, tile] = params as Local[] as [
        Local,
        Local,
        Local,
        Local,
        Local,
        Local,
        Local,
        Local,
        Local,
      ];
      const int = () => code.local("i32");
      const [i, j, cCol, cTile, paPanel, pbPanel, pA, pB, pBEnd] = [
        int(),
        int(),
        int(),
        int(),
        int(),
        int(),
        int(),
        int(),
        int(),
      ];
      const [aPanelBytes, bPanelBytes, tileRowStep] = [int(), int(), int()];
      const acc = Array.from({ length: mr }, () =>
        Array.from({ length: nv }, () => code.local("v128")),
      );
      const b = Array.from({ length: nv }, () => code.local("v128"));
      const a = code.local("v128");
      assign(code, aPanelBytes, kcp, "i32.mul", mr * E);
      assign(code, bPanelBytes, kcp, "i32.mul", nr * E);
      assign(code, tileRowStep, ldc, "i32.mul", mr);
      code.get(c).set(cCol).get(pb).set(pbPanel);
      doWhile(code, () => {
        code.get(pa).set(paPanel).get(cCol).set(cTile).i32(0).set(i);
        doWhile(code, () => {
          const zero = new Array(16).fill(0);
          for (const row of acc) for (const x of row) code.v128(zero).set(x);
          code.get(paPanel).set(pA).get(pbPanel).tee(pB).get(bPanelBytes).op("i32.add").set(pBEnd);
          doWhile(code, () => {
            for (let u = 0; u < unroll; u++) {
              for (let v = 0; v < nv; v++) {
                code
                  .get(pB)
                  .mem("v128.load", { offset: (u * nr + v * L) * E })
                  .set(b[v]!);
              }
              for (let r = 0; r < mr; r++) {
                code
                  .get(pA)
                  .mem(ops.splat, { offset: (u * mr + r) * E })
                  .set(a);
                for (let v = 0; v < nv; v++) {
                  const x = acc[r]![v]!;
                  if (config.relaxed) {
                    code.get(a).get(b[v]!).get(x).op(`${ops.v}.relaxed_madd`).set(x);
                  } else {
                    code.get(x).get(a).get(b[v]!).op(`${ops.v}.mul`).op(`${ops.v}.add`).set(x);
                  }
                }
              }
            }
            bump(code, pA, unroll * mr * E);
            bump(code, pB, unroll * nr * E);
            code.get(pB).get(pBEnd).op("i32.ne");
          });
          storeTile(
            code,
            { acc, c: cTile, ldc, accumulate, tile, mEff: [mc, i], nEff: [nc, j] },
            config,
          );
          bump(code, paPanel, aPanelBytes);
          bump(code, cTile, tileRowStep);
          bump(code, i, mr);
          less(code, i, mc);
        });
        bump(code, pbPanel, bPanelBytes);
        bump(code, cCol, nr * E);
        bump(code, j, nr);
        less(code, j, nc);
      });
    },
    { export: true },
  );
}

interface TileStore {
  readonly acc: readonly (readonly Local[])[];
  readonly c: Local;
  readonly ldc: Local;
  readonly accumulate: Local;
  readonly tile: Local;
  /** Rows left: extent - position. */
  readonly mEff: readonly [Local, Local];
  readonly nEff: readonly [Local, Local];
}

/**
 * Writes the accumulators to C: whole tiles with vector stores, edge tiles through the scratch
 * tile, clipped element by element. Accumulate adds to C; otherwise C is overwritten without
 * being read (NaN in C does not leak in). A fused epilogue would transform `acc` here.
 */
function storeTile(code: CodeBuilder, t: TileStore, config: GemmKernelConfig): void {
  const { mr, nr } = config;
  const ops = precisionOps(config.precision);
  const { bytes: E, lanes: L } = ops;
  const rows = code.local("i32");
  const cols = code.local("i32");
  const row = code.local("i32");
  assign(code, rows, t.mEff[0], "i32.sub", t.mEff[1]);
  assign(code, cols, t.nEff[0], "i32.sub", t.nEff[1]);
  code.get(rows).i32(mr).op("i32.ge_s").get(cols).i32(nr).op("i32.ge_s").op("i32.and");
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
        const address = () => code.get(row).get(col).i32(E).op("i32.mul").op("i32.add");
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
}
