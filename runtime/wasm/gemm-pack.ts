/**
 * The GEMM's packing routines (layouts in gemm-kernels.ts): panels of width W of an operand X
 * with X(p, c) at src + p*sp + c*sc. Three paths per panel: rows contiguous (sc = E: W/L
 * vector copies per depth step), columns contiguous (sp = E: L x L blocks loaded from L
 * columns and transposed in registers with shuffles), and element by element for the partial
 * panel at the edge (zeros past it). Depth rows kc..kcp are zero.
 */
import { assign, bump, doWhile, laneShuffle, less, precisionOps } from "./gemm-codegen.js";
import type { GemmKernelConfig } from "./gemm-kernels.js";
import type { CodeBuilder, Local, ModuleBuilder } from "./writer.js";

const PACK_TYPE = {
  params: ["i32", "i32", "i32", "i32", "i32", "i32", "i32"],
  results: [],
} as const;

export function buildPack(
  m: ModuleBuilder,
  name: string,
  width: number,
  config: GemmKernelConfig,
): void {
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
