/**
 * The convolutions' per-image loops in WebAssembly, so that pool threads run them on images of
 * their own: im2col (im2col.ts's functions, defined in this module), then the GEMM's `blocked`
 * loop nest (gemm-loops.ts), imported from the GEMM module's instance on the same thread (the
 * pool links it: `register(module, { gemm: id })`), then for the input gradient col2im.
 *
 * Exports, all arguments i32 (byte offsets in the memory, then counts):
 * - `conv_run (begin, end, part, block)`: units [begin, end) of the parameter block at `block`
 *   (BLOCK words, written by conv2d.ts): unit u is the images [u*chunk, min(batch, (u+1)*chunk)),
 *   each in order. For image b of unit u, on part `part`: when `lower` and not the input
 *   gradient, im2col(image + b*imageStride, col + part*colStride); then
 *   `blocked(0, columns, part, ...a)` with a[i] = template[i] + b*perImage[i] + part*perPart[i]
 *   + u*perUnit[i] + (b > first image of u)*accumulate[i] (the GEMM's arguments are affine in
 *   its operands' offsets and its accumulate flag, so the planner gets these vectors as
 *   differences of `WasmGemm.blockedArgs`); then, for the input gradient with `lower`, zero
 *   the image and col2im_add the part's columns into it.
 * - `sum_chunks (dw, partials, count, size)`: dw[i] = ((p0[i] + p1[i]) + ...) + p(count-1)[i]
 *   over the `count` contiguous partials of `size` elements, in chunk order (lane-wise adds in
 *   the precision: the bits of the scalar loop).
 * Browser-safe.
 */
import { i32Locals, named, precisionOps } from "./gemm-codegen.js";
import { BLOCKED_PARAMS } from "./gemm-loops.js";
import { addLoweringFunctions } from "./im2col.js";
import { type PoolPrecision, whileBelow, zeroBytes } from "./pool2d-kernels.js";
import { type CodeBuilder, type Local, type MemoryLimits, ModuleBuilder } from "./writer.js";

/** What `conv_run` computes (the parameter block's `mode`). */
export const CONV_MODE = { forward: 0, gradInput: 1, gradWeight: 2 } as const;

/** Arguments of `blocked` after (j0, j1, part). */
export const GEMM_ARGS = BLOCKED_PARAMS.length - 3;

/** Word indices of the parameter block; `geometry`: im2col's ten geometry arguments. */
export const BLOCK = {
  mode: 0,
  lower: 1,
  batch: 2,
  chunk: 3,
  image: 4,
  imageStride: 5,
  col: 6,
  colStride: 7,
  columns: 8,
  geometry: 9,
  /** Then five vectors of GEMM_ARGS words: template, perImage, perPart, perUnit, accumulate. */
  gemm: 19,
} as const;

/** Words of the parameter block. */
export const BLOCK_WORDS = BLOCK.gemm + 5 * GEMM_ARGS;

const GEOMETRY_WORDS = 10;

/** Builds the module; `memory` must match the limits (and sharing) of the memory it runs on. */
export function buildConvDriverModule(precision: PoolPrecision, memory: MemoryLimits): Uint8Array {
  const m = new ModuleBuilder();
  m.importMemory("env", "memory", memory);
  const blocked = m.importFunction("gemm", "blocked", {
    params: BLOCKED_PARAMS.map(() => "i32" as const),
    results: [],
  });
  const lowering = addLoweringFunctions(m, precision, false);
  const params = ["begin", "end", "part", "block"] as const;
  m.function(
    "conv_run",
    { params: params.map(() => "i32" as const), results: [] },
    (code, list) => {
      const p = named(list, params);
      const l = i32Locals(code, [
        ...["mode", "lower", "batch", "chunk", "image", "imageStride", "col", "columns"],
        ...["u", "first", "last", "b", "acc", "img", "at", "end", "scratch"],
      ] as const);
      const word = (index: number): CodeBuilder =>
        code.get(p.block).mem("i32.load", { offset: 4 * index });
      for (const name of ["mode", "lower", "batch", "chunk", "image", "imageStride"] as const) {
        word(BLOCK[name]).set(l[name]);
      }
      word(BLOCK.columns).set(l.columns);
      word(BLOCK.col).get(p.part);
      word(BLOCK.colStride).op("i32.mul").op("i32.add").set(l.col);
      const geometry = (): void => {
        for (let j = 0; j < GEOMETRY_WORDS; j++) word(BLOCK.geometry + j);
      };
      code.get(p.begin).set(l.u);
      whileBelow(code, l.u, p.end, 1, () => {
        code.get(l.u).get(l.chunk).op("i32.mul").tee(l.first).get(l.chunk).op("i32.add");
        code.set(l.last);
        code.get(l.last).get(l.batch).get(l.last).get(l.batch).op("i32.lt_u").op("select");
        code.set(l.last);
        code.get(l.first).set(l.b);
        whileBelow(code, l.b, l.last, 1, () => {
          code.get(l.b).get(l.first).op("i32.ne").set(l.acc);
          code.get(l.b).get(l.imageStride).op("i32.mul").get(l.image).op("i32.add").set(l.img);
          code.get(l.lower).get(l.mode).i32(CONV_MODE.gradInput).op("i32.ne").op("i32.and");
          code.if();
          code.get(l.img).get(l.col);
          geometry();
          code.call(lowering.im2col).end();
          code.i32(0).get(l.columns).get(p.part);
          gemmArguments(word, { b: l.b, part: p.part, u: l.u, acc: l.acc });
          code.call(blocked);
          code.get(l.lower).get(l.mode).i32(CONV_MODE.gradInput).op("i32.eq").op("i32.and");
          code.if();
          code.get(l.img).set(l.at);
          code.get(l.img).get(l.imageStride).op("i32.add").set(l.end);
          zeroBytes(code, l.at, l.end, l.scratch);
          code.get(l.col).get(l.img);
          geometry();
          code.call(lowering.col2imAdd).end();
        });
      });
    },
    { export: true },
  );
  buildSumChunks(m, precision);
  return m.bytes();
}

/** Pushes the GEMM_ARGS arguments of `blocked` for image b of unit u on part `part`. */
function gemmArguments(
  word: (index: number) => CodeBuilder,
  factors: Readonly<Record<"b" | "part" | "u" | "acc", Local>>,
): void {
  const scaled: readonly Local[] = [factors.b, factors.part, factors.u, factors.acc];
  for (let i = 0; i < GEMM_ARGS; i++) {
    word(BLOCK.gemm + i);
    scaled.forEach((factor, v) => {
      word(BLOCK.gemm + (v + 1) * GEMM_ARGS + i)
        .get(factor)
        .op("i32.mul")
        .op("i32.add");
    });
  }
}

/** `sum_chunks`: see the module comment. */
function buildSumChunks(m: ModuleBuilder, precision: PoolPrecision): void {
  const { bytes: E, lanes: L, v, s } = precisionOps(precision);
  const params = ["dw", "partials", "count", "size"] as const;
  m.function(
    "sum_chunks",
    { params: params.map(() => "i32" as const), results: [] },
    (code, list) => {
      const p = named(list, params);
      const l = i32Locals(code, ["i", "end", "vectorEnd", "partBytes", "at", "last"] as const);
      const align = { align: E as 4 | 8 };
      code.get(p.size).i32(E).op("i32.mul").tee(l.partBytes).get(p.dw).op("i32.add").set(l.end);
      code.get(p.size).i32(-L).op("i32.and").i32(E).op("i32.mul").get(p.dw).op("i32.add");
      code.set(l.vectorEnd);
      // i walks dw; at walks element i of chunk 0, 1, .. (partials + c*partBytes + (i - dw)).
      const pass = (vector: boolean): void => {
        const sum = code.local(vector ? "v128" : s);
        const load = vector ? "v128.load" : (`${s}.load` as const);
        whileBelow(code, l.i, vector ? l.vectorEnd : l.end, vector ? L * E : E, () => {
          code.get(l.i).get(p.dw).op("i32.sub").get(p.partials).op("i32.add").tee(l.at);
          code.mem(load, align).set(sum);
          code.get(p.count).get(l.partBytes).op("i32.mul").get(l.at).op("i32.add").set(l.last);
          code.get(l.at).get(l.partBytes).op("i32.add").set(l.at);
          whileBelow(code, l.at, l.last, l.partBytes, () => {
            code.get(sum).get(l.at).mem(load, align);
            code.op(vector ? `${v}.add` : `${s}.add`).set(sum);
          });
          code
            .get(l.i)
            .get(sum)
            .mem(vector ? "v128.store" : `${s}.store`, align);
        });
      };
      code.get(p.dw).set(l.i);
      pass(true);
      pass(false);
    },
    { export: true },
  );
}
