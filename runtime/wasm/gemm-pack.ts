/**
 * The GEMM's packing routines (layouts in gemm-kernels.ts): panels of width W of an operand X
 * with X(p, c) at src + p*sp + c*sc. Paths, per group of panels:
 * - rows contiguous (sc = E), several panels at once: each depth step copies G*W elements
 *   (128 bytes) of one row into G panels. One panel at a time would read W*E bytes per row at
 *   a stride of a row, which for power-of-two row lengths (512 floats) maps every row to the
 *   same few L1 sets and fetches each line again for the next panel (0.34 ns per element
 *   measured, 0.08 contiguous);
 * - rows contiguous, one panel (the last whole panels);
 * - columns contiguous (sp = E): L x L blocks loaded from L columns and transposed in
 *   registers with shuffles, the last kc % L depth steps element by element;
 * - the partial panel at the edge: element by element, zeros past it;
 * - a whole panel whose width is not a multiple of the lanes (the 5-row A panels of skinny
 *   products, a few thousand elements): vectors and elements when its rows are contiguous,
 *   otherwise element by element.
 */
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
import type { GemmKernelConfig } from "./gemm-kernels.js";
import type { CodeBuilder, FunctionRef, Local, ModuleBuilder } from "./writer.js";

const PACK_TYPE = {
  params: ["i32", "i32", "i32", "i32", "i32", "i32"],
  results: [],
} as const;

/** Bytes of one row that the grouped path copies per depth step: two cache lines. */
const GROUP_BYTES = 128;

/** Defines `name (src, sp, sc, kc, count, dst)`, packing `count` lanes into W-panels. */
export function buildPack(
  m: ModuleBuilder,
  name: string,
  width: number,
  config: GemmKernelConfig,
  options: { readonly export: boolean } = { export: true },
): FunctionRef {
  const ops = precisionOps(config.precision);
  const { bytes: E, lanes: L } = ops;
  const rowBytes = width * E;
  const vectors = width % L === 0;
  const group = vectors ? Math.max(1, Math.floor(GROUP_BYTES / rowBytes)) : 1;
  const body = (code: CodeBuilder, params: readonly Local[]): void => {
    const { src, sp, sc, kc, count, dst } = named(params, [
      "src",
      "sp",
      "sc",
      "kc",
      "count",
      "dst",
    ]);
    const { q, s, p, left, panels, panelBytes } = i32Locals(code, [
      "q",
      "s",
      "p",
      "left",
      "panels",
      "panelBytes",
    ]);
    const columnOffset = Array.from({ length: width }, () => code.local("i32"));
    const panelOffset = Array.from({ length: group }, () => code.local("i32"));
    const columns = Array.from({ length: L }, () => code.local("v128"));
    const scratch = Array.from({ length: L }, () => code.local("v128"));
    columnOffset.forEach((offset, c) => assign(code, offset, sc, "i32.mul", c));
    assign(code, panelBytes, kc, "i32.mul", rowBytes);
    panelOffset.forEach((offset, g) => assign(code, offset, panelBytes, "i32.mul", g));

    /** Copies depth rows 0..kc of `offsets.length` whole panels whose rows are contiguous. */
    const copyRows = (offsets: readonly Local[]): void => {
      doWhile(code, () => {
        offsets.forEach((offset, g) => {
          for (let v = 0; v < width / L; v++) {
            code.get(dst).get(offset).op("i32.add");
            code.get(s).mem("v128.load", { offset: (g * width + v * L) * E, align: E as 4 | 8 });
            code.mem("v128.store", { offset: v * 16 });
          }
        });
        bump(code, s, sp);
        bump(code, dst, rowBytes);
        bump(code, p, 1);
        less(code, p, kc);
      });
    };

    const transposeColumns = (): void => {
      const blocks = code.block();
      const top = code.loop();
      code.get(p).i32(L).op("i32.add").get(kc).op("i32.gt_s").brIf(blocks);
      for (let g = 0; g < width / L; g++) {
        for (let t = 0; t < L; t++) {
          code
            .get(s)
            .get(columnOffset[g * L + t]!)
            .op("i32.add");
          code.mem("v128.load", { align: E as 4 | 8 }).set(columns[t]!);
        }
        transpose(code, columns, scratch, E);
        for (let i = 0; i < L; i++) {
          code
            .get(dst)
            .get(columns[i]!)
            .mem("v128.store", { offset: (i * width + g * L) * E });
        }
      }
      bump(code, s, L * E);
      bump(code, dst, L * rowBytes);
      bump(code, p, L);
      code.br(top);
      code.end();
      code.end();
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
    };

    /**
     * A whole panel whose width is not a multiple of L: rows contiguous, the first L lanes as
     * a vector and the rest one by one; otherwise every lane one by one. No per-lane bounds.
     */
    const copyWhole = (): void => {
      const vectorLanes = width - (width % L);
      code.get(sc).i32(E).op("i32.eq").if();
      doWhile(code, () => {
        for (let c = 0; c < vectorLanes; c += L) {
          code
            .get(dst)
            .get(s)
            .mem("v128.load", { offset: c * E, align: E as 4 | 8 });
          code.mem("v128.store", { offset: c * E, align: E as 4 | 8 });
        }
        for (let c = vectorLanes; c < width; c++) {
          code
            .get(dst)
            .get(s)
            .mem(`${ops.s}.load`, { offset: c * E });
          code.mem(`${ops.s}.store`, { offset: c * E });
        }
        bump(code, s, sp);
        bump(code, dst, rowBytes);
        bump(code, p, 1);
        less(code, p, kc);
      });
      code.else();
      doWhile(code, () => {
        for (let c = 0; c < width; c++) {
          code.get(dst).get(s).get(columnOffset[c]!).op("i32.add").mem(`${ops.s}.load`);
          code.mem(`${ops.s}.store`, { offset: c * E });
        }
        bump(code, s, sp);
        bump(code, dst, rowBytes);
        bump(code, p, 1);
        less(code, p, kc);
      });
      code.end();
    };

    const copyElements = (): void => {
      doWhile(code, () => {
        for (let c = 0; c < width; c++) {
          code.get(dst);
          code.i32(c).get(left).op("i32.lt_s");
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
    };

    doWhile(code, () => {
      code.get(src).set(s).i32(1).set(panels).i32(0).set(p);
      assign(code, left, count, "i32.sub", q);
      const rowsContiguous = (): void => void code.get(sc).i32(E).op("i32.eq");
      if (!vectors) {
        code.get(left).i32(width).op("i32.ge_s").if();
        copyWhole();
        code.else();
        copyElements();
        code.end();
      } else {
        if (group > 1) {
          code
            .get(left)
            .i32(group * width)
            .op("i32.ge_s");
          rowsContiguous();
          code.op("i32.and").if();
          copyRows(panelOffset);
          code
            .get(dst)
            .get(panelOffset[group - 1]!)
            .op("i32.add")
            .set(dst);
          code.i32(group).set(panels);
          code.else();
        }
        code.get(left).i32(width).op("i32.ge_s");
        rowsContiguous();
        code.op("i32.and").if();
        copyRows(panelOffset.slice(0, 1));
        code.else();
        code.get(left).i32(width).op("i32.ge_s");
        code.get(sp).i32(E).op("i32.eq").op("i32.and").if();
        transposeColumns();
        code.else();
        copyElements();
        code.end();
        code.end();
        if (group > 1) code.end();
      }
      // q += panels * width; src += panels * width * sc
      code.get(q).get(panels).i32(width).op("i32.mul").op("i32.add").set(q);
      code.get(src).get(panels).i32(width).op("i32.mul").get(sc).op("i32.mul").op("i32.add");
      code.set(src);
      less(code, q, count);
    });
  };
  return m.function(name, PACK_TYPE, body, options);
}

/** Transposes the L x L block in `v` (v[t] = column t) in place; `tmp` is scratch. */
export function transpose(
  code: CodeBuilder,
  v: readonly Local[],
  tmp: readonly Local[],
  E: number,
): void {
  // Each step: target = shuffle(x, y) picking lanes (0.. of x, L.. of y).
  const steps: readonly (readonly [Local, Local, readonly number[], Local])[] =
    E === 8
      ? [
          [v[0]!, v[1]!, [0, 2], tmp[0]!], // a0 b0
          [v[0]!, v[1]!, [1, 3], v[1]!], // a1 b1
          [tmp[0]!, tmp[0]!, [0, 1], v[0]!],
        ]
      : [
          [v[0]!, v[1]!, [0, 4, 1, 5], tmp[0]!], // a0 b0 a1 b1
          [v[0]!, v[1]!, [2, 6, 3, 7], tmp[1]!], // a2 b2 a3 b3
          [v[2]!, v[3]!, [0, 4, 1, 5], tmp[2]!], // c0 d0 c1 d1
          [v[2]!, v[3]!, [2, 6, 3, 7], tmp[3]!], // c2 d2 c3 d3
          [tmp[0]!, tmp[2]!, [0, 1, 4, 5], v[0]!], // a0 b0 c0 d0
          [tmp[0]!, tmp[2]!, [2, 3, 6, 7], v[1]!], // a1 b1 c1 d1
          [tmp[1]!, tmp[3]!, [0, 1, 4, 5], v[2]!], // a2 b2 c2 d2
          [tmp[1]!, tmp[3]!, [2, 3, 6, 7], v[3]!], // a3 b3 c3 d3
        ];
  for (const [x, y, lanes, target] of steps) {
    code.get(x).get(y).shuffle(laneShuffle(lanes, E)).set(target);
  }
}
