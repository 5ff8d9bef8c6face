/**
 * The convolution's lowering (runtime/cpu/im2col.ts: index map, column layout) in WebAssembly,
 * bit for bit: im2col only copies, and col2imAdd adds into each pixel in the JS loop order
 * (channel, ki, kj, oh, then ow, whose pixels in one row are distinct, so vectors of ow keep
 * every pixel's order of adds). Module per precision and sharing of the memory, compiled once.
 *
 * Exports, all arguments i32 (byte offsets, then sizes in elements):
 * `im2col (x, col, channels, height, width, kernelH, kernelW, stride, padTop, padLeft, outH,
 * outW)` and `col2im_add (col, dx, ...the same geometry)`. For each kj the in-image output
 * columns [lo, hi) are computed once, as in im2col.ts; inside them stride 1 moves L elements at
 * a time, stride 2 (im2col only) gathers them with loadLanes, the rest element by element.
 * The convolution driver (conv2d-driver.ts) defines the same two functions in its own module
 * (`addLoweringFunctions`); the standalone module and `WasmIm2col` are for direct use and the
 * tests. Browser-safe.
 */
import type { ConvGeometry, FloatArray } from "../backend.js";
import { named, precisionOps } from "./gemm-codegen.js";
import { type PoolPrecision, loadLanes, whileBelow } from "./pool2d-kernels.js";
import {
  type CodeBuilder,
  type FunctionRef,
  type Local,
  type MemoryLimits,
  ModuleBuilder,
} from "./writer.js";

const GEOMETRY = [
  ...(["channels", "height", "width", "kernelH", "kernelW", "stride"] as const),
  ...(["padTop", "padLeft", "outH", "outW"] as const),
];
const LOCALS = [
  ...(["planeBytes", "plane", "planesEnd", "ki", "kj", "lo", "hi", "shift", "oh"] as const),
  ...(["ih", "d", "src", "ow", "at", "end", "vectorHi"] as const),
];
type Params = Readonly<Record<(typeof GEOMETRY)[number] | "x" | "dx" | "col", Local>>;
type Locals = Readonly<Record<(typeof LOCALS)[number], Local>>;

/** Builds the module; `memory` must match the limits (and sharing) of the memory it runs on. */
export function buildIm2colModule(precision: PoolPrecision, memory: MemoryLimits): Uint8Array {
  const m = new ModuleBuilder();
  m.importMemory("env", "memory", memory);
  addLoweringFunctions(m, precision, true);
  return m.bytes();
}

/** The functions `im2col` and `col2im_add` (see the module comment), defined in `m`. */
export function addLoweringFunctions(
  m: ModuleBuilder,
  precision: PoolPrecision,
  exported: boolean,
): { readonly im2col: FunctionRef; readonly col2imAdd: FunctionRef } {
  const [im2col, col2imAdd] = [false, true].map((scatter) => {
    const names = [...(scatter ? ["col", "dx"] : ["x", "col"]), ...GEOMETRY];
    return m.function(
      scatter ? "col2im_add" : "im2col",
      { params: names.map(() => "i32" as const), results: [] },
      (code, params) => buildLowering(code, named(params, names) as Params, precision, scatter),
      { export: exported },
    );
  });
  return { im2col: im2col!, col2imAdd: col2imAdd! };
}

function buildLowering(
  code: CodeBuilder,
  p: Params,
  precision: PoolPrecision,
  scatter: boolean,
): void {
  const { bytes: E, lanes: L, s } = precisionOps(precision);
  const l = named(
    LOCALS.map(() => code.local("i32")),
    LOCALS,
  );
  const image = scatter ? p.dx : p.x;
  const get = (...locals: Local[]): CodeBuilder => {
    for (const local of locals) code.get(local);
    return code;
  };
  const forTo = (i: Local, end: Local, body: () => void): void => {
    whileBelow(code, i, end, 1, body);
  };
  const zero = (): CodeBuilder => (s === "f32" ? code.f32(0) : code.f64(0));
  get(p.height, p.width).op("i32.mul").i32(E).op("i32.mul").set(l.planeBytes);
  get(image).set(l.plane);
  get(l.planeBytes, p.channels).op("i32.mul").get(image).op("i32.add").set(l.planesEnd);
  get(p.col).set(l.d);
  whileBelow(code, l.plane, l.planesEnd, l.planeBytes, () => {
    code.i32(0).set(l.ki);
    forTo(l.ki, p.kernelH, () => {
      code.i32(0).set(l.kj);
      forTo(l.kj, p.kernelW, () => {
        // lo = need <= 0 ? 0 : min(outW, ceil(need / stride)), need = padLeft - kj
        get(p.padLeft, l.kj).op("i32.sub").set(l.lo);
        get(l.lo, p.stride).op("i32.add").i32(1).op("i32.sub").get(p.stride).op("i32.div_s");
        code.set(l.lo);
        get(l.lo, p.outW, l.lo, p.outW).op("i32.lt_s").op("select").set(l.lo);
        get(l.lo).i32(0).get(l.lo).i32(0).op("i32.gt_s").op("select").set(l.lo);
        // hi = limit < 0 ? lo : max(lo, min(outW, floor(limit / stride) + 1)),
        // limit = width - 1 + padLeft - kj
        get(p.width, p.padLeft).op("i32.add").i32(1).op("i32.sub").get(l.kj).op("i32.sub");
        code.set(l.hi);
        get(l.hi, p.stride).op("i32.div_s").i32(1).op("i32.add");
        get(l.lo, l.hi).i32(0).op("i32.ge_s").op("select").set(l.hi);
        get(l.hi, p.outW, l.hi, p.outW).op("i32.lt_s").op("select").set(l.hi);
        get(l.hi, l.lo, l.hi, l.lo).op("i32.gt_s").op("select").set(l.hi);
        // vectorHi: the end of the whole vectors of [lo, hi) (stride 1 or 2; 2 gathers only).
        get(l.hi, l.lo).op("i32.sub").i32(-L).op("i32.and").get(l.lo).op("i32.add");
        get(l.lo).get(p.stride).i32(1).op("i32.eq");
        if (!scatter) get(p.stride).i32(2).op("i32.eq").op("i32.or");
        code.op("select").set(l.vectorHi);
        get(l.kj, p.padLeft).op("i32.sub").set(l.shift);
        code.i32(0).set(l.oh);
        forTo(l.oh, p.outH, () => {
          get(l.oh, p.stride).op("i32.mul").get(p.padTop).op("i32.sub").get(l.ki).op("i32.add");
          code.tee(l.ih).get(p.height).op("i32.lt_u");
          code.if();
          // src: the image element of ow = 0 (may lie before the plane; only [lo, hi) is read).
          get(l.ih, p.width).op("i32.mul").get(l.shift).op("i32.add").i32(E).op("i32.mul");
          get(l.plane).op("i32.add").set(l.src);
          if (!scatter) zeroRun(code, l, E, zero, false, l.lo);
          vectors(code, p, l, precision, scatter);
          get(l.vectorHi).set(l.ow);
          forTo(l.ow, l.hi, () => {
            get(l.ow, p.stride).op("i32.mul").i32(E).op("i32.mul").get(l.src).op("i32.add");
            code.set(l.at);
            get(l.ow).i32(E).op("i32.mul").get(l.d).op("i32.add");
            if (scatter) {
              code.set(l.end);
              get(l.at, l.at).mem(`${s}.load`).get(l.end).mem(`${s}.load`);
              code.op(`${s}.add`).mem(`${s}.store`);
            } else {
              get(l.at).mem(`${s}.load`).mem(`${s}.store`);
            }
          });
          if (!scatter) zeroRun(code, l, E, zero, true, p.outW);
          if (!scatter) {
            code.else();
            zeroRun(code, l, E, zero, false, p.outW);
          }
          code.end();
          get(l.d, p.outW).i32(E).op("i32.mul").op("i32.add").set(l.d);
        });
      });
    });
  });
}

/** col[d + ow] = 0 for ow in [from, end), from being 0 or hi. */
function zeroRun(
  code: CodeBuilder,
  l: Locals,
  E: number,
  zero: () => CodeBuilder,
  fromHi: boolean,
  end: Local,
): void {
  if (fromHi) code.get(l.hi).set(l.ow);
  else code.i32(0).set(l.ow);
  whileBelow(code, l.ow, end, 1, () => {
    code.get(l.ow).i32(E).op("i32.mul").get(l.d).op("i32.add");
    zero().mem(E === 4 ? "f32.store" : "f64.store");
  });
}

/** [lo, vectorHi), L output columns at a time (see vectorHi). */
function vectors(
  code: CodeBuilder,
  p: Params,
  l: Locals,
  precision: PoolPrecision,
  scatter: boolean,
): void {
  const { bytes: E, lanes: L, v } = precisionOps(precision);
  const align = { align: E as 4 | 8 };
  const body = (stride: 1 | 2): void => {
    code.get(l.lo).set(l.ow);
    whileBelow(code, l.ow, l.vectorHi, L, () => {
      code
        .get(l.ow)
        .i32(stride * E)
        .op("i32.mul")
        .get(l.src)
        .op("i32.add")
        .set(l.at);
      code.get(l.ow).i32(E).op("i32.mul").get(l.d).op("i32.add").set(l.end);
      if (scatter) {
        code.get(l.at).get(l.at).mem("v128.load", align);
        code.get(l.end).mem("v128.load", align).op(`${v}.add`).mem("v128.store", align);
      } else {
        code.get(l.end);
        loadLanes(code, l.at, precision, stride);
        code.mem("v128.store", align);
      }
    });
  };
  code.get(p.stride).i32(1).op("i32.eq");
  code.if();
  body(1);
  if (!scatter) {
    code.else();
    body(2);
  }
  code.end();
}

interface LoweringExports {
  im2col(...args: number[]): void;
  col2im_add(...args: number[]): void;
}

const modules = new Map<string, WebAssembly.Module>();

/** The lowering module of one precision instantiated on a memory (compiled once per kind). */
export class WasmIm2col {
  private readonly exports: LoweringExports;
  private readonly elementBytes: number;

  constructor(memory: WebAssembly.Memory, precision: PoolPrecision) {
    const shared =
      typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
    const key = `${precision} ${shared ? "shared" : ""}`;
    let compiled = modules.get(key);
    if (compiled === undefined) {
      const limits: MemoryLimits = shared ? { initial: 0, maximum: 65536, shared } : { initial: 0 };
      compiled = new WebAssembly.Module(buildIm2colModule(precision, limits));
      modules.set(key, compiled);
    }
    this.exports = new WebAssembly.Instance(compiled, { env: { memory } })
      .exports as unknown as LoweringExports;
    this.elementBytes = precision === "f32" ? 4 : 8;
  }

  /** im2col.ts's im2col on views of the memory. */
  im2col(x: FloatArray, xOff: number, col: FloatArray, g: ConvGeometry): void {
    this.exports.im2col(x.byteOffset + xOff * this.elementBytes, col.byteOffset, ...args(g));
  }

  /** im2col.ts's col2imAdd on views of the memory. */
  col2imAdd(col: FloatArray, dx: FloatArray, xOff: number, g: ConvGeometry): void {
    this.exports.col2im_add(col.byteOffset, dx.byteOffset + xOff * this.elementBytes, ...args(g));
  }
}

function args(g: ConvGeometry): number[] {
  return [
    g.channels,
    g.height,
    g.width,
    g.kernelH,
    g.kernelW,
    g.stride,
    g.padTop,
    g.padLeft,
    g.outH,
    g.outW,
  ];
}
