/**
 * 2-D max pooling in WebAssembly, generated with the binary writer for one precision: the
 * semantics of runtime/cpu/pool.ts exactly (NCHW planes, no padding, floor mode, windows
 * clipped to the image, a NaN propagates, the gradient goes to the FIRST maximum of each
 * window), bit for bit: it only compares and copies, and the gradient's adds are single adds
 * of the precision (a double add of two floats rounded to float is the float add).
 *
 * Exports, all arguments i32 (byte offsets in the memory, then sizes in elements):
 * - `forward (x, y, planes, height, width, size, stride, outH, outW, vectorColumns)`: the first
 *   `vectorColumns` output columns of each row (a multiple of the lanes L, see
 *   `vectorColumns`) L at a time with SIMD, each lane one window, the rest scalar. Stride 1
 *   loads L consecutive elements per window element, stride 2 two vectors and keeps the even
 *   lanes; both read only inside the row (vectorColumns guarantees it).
 * - `backward (x, dy, dx, planes, height, width, size, stride, outH, outW)`: scalar; dx must be
 *   zero (the caller fills it) since overlapping windows (stride < size) add into it.
 *
 * The running maximum takes v when `v > best || v !== v` (forward, from -Infinity) and when
 * `v > best || (v !== v && best === best)` (backward, from the window's first element), the
 * comparisons of pool.ts, so signed zeros and NaNs resolve as there. Browser-safe.
 */
import type { FloatArray, PoolGeometry } from "../backend.js";
import { i32Locals, laneShuffle, named, precisionOps } from "./gemm-codegen.js";
import {
  type CodeBuilder,
  type Local,
  type MemoryLimits,
  ModuleBuilder,
  type ValueType,
} from "./writer.js";

export type PoolPrecision = "f32" | "f64";

const FORWARD_PARAMS = [
  "x",
  "y",
  "planes",
  "height",
  "width",
  "size",
  "stride",
  "outH",
  "outW",
  "vectorColumns",
] as const;
const BACKWARD_PARAMS = [
  "x",
  "dy",
  "dx",
  "planes",
  "height",
  "width",
  "size",
  "stride",
  "outH",
  "outW",
] as const;

const i32Params = (count: number): readonly ValueType[] => new Array<ValueType>(count).fill("i32");

/** Builds the module; `memory` must match the limits (and sharing) of the memory it runs on. */
export function buildPool2dModule(precision: PoolPrecision, memory: MemoryLimits): Uint8Array {
  const m = new ModuleBuilder();
  m.importMemory("env", "memory", memory);
  m.function(
    "forward",
    { params: i32Params(FORWARD_PARAMS.length), results: [] },
    (code, params) => buildForward(code, named(params, FORWARD_PARAMS), precision),
    { export: true },
  );
  m.function(
    "backward",
    { params: i32Params(BACKWARD_PARAMS.length), results: [] },
    (code, params) => buildBackward(code, named(params, BACKWARD_PARAMS), precision),
    { export: true },
  );
  return m.bytes();
}

/**
 * The leading output columns of each row that the forward pass computes L at a time: 0 unless
 * stride is 1 or 2. A group of L windows starting at column w0 = ow*stride reads, for window
 * column dw, stride*L elements from w0 + dw; the last (dw = size - 1) must end inside the row:
 * ow*stride + size - 1 + stride*L <= width.
 */
export function vectorColumns(g: PoolGeometry, precision: PoolPrecision): number {
  const { stride, size, width, outW } = g;
  if (stride !== 1 && stride !== 2) return 0;
  const lanes = precisionOps(precision).lanes;
  const groups = Math.min(
    Math.floor((width - size + 1) / (lanes * stride)),
    Math.floor(outW / lanes),
  );
  return Math.max(0, groups) * lanes;
}

/** while (i <u end) { body; i += step } */
function whileBelow(
  code: CodeBuilder,
  i: Local,
  end: Local,
  step: Local | number,
  body: () => void,
): void {
  const exit = code.block();
  const top = code.loop();
  code.get(i).get(end).op("i32.ge_u").brIf(exit);
  body();
  code.get(i);
  if (typeof step === "number") code.i32(step);
  else code.get(step);
  code.op("i32.add").set(i).br(top);
  code.end().end();
}

/** target = min(a, b) (unsigned). */
function minInto(code: CodeBuilder, target: Local, a: Local, b: Local): void {
  code.get(a).get(b).get(a).get(b).op("i32.lt_u").op("select").set(target);
}

type Params<Names extends readonly string[]> = Record<Names[number], Local>;

function buildForward(
  code: CodeBuilder,
  p: Params<typeof FORWARD_PARAMS>,
  precision: PoolPrecision,
): void {
  const ops = precisionOps(precision);
  const { bytes: E, lanes: L, s, v } = ops;
  const load = `${s}.load` as const;
  const l = i32Locals(code, [
    "rowBytes",
    "planeBytes",
    "xEnd",
    "xPlane",
    "yPtr",
    "oh",
    "h0",
    "hEnd",
    "rowFirst",
    "rowEnd",
    "row",
    "at",
    "atEnd",
    "col",
    "colEnd",
    "colStep",
    "windowBytes",
    "widthBytes",
    "vectorEnd",
  ]);
  const best = code.local(s);
  const value = code.local(s);
  const bestV = code.local("v128");
  const valueV = code.local("v128");
  const negInf = new Uint8Array(16);
  const view = new DataView(negInf.buffer);
  for (let lane = 0; lane < L; lane++) {
    if (E === 4) view.setFloat32(lane * 4, -Infinity, true);
    else view.setFloat64(lane * 8, -Infinity, true);
  }

  code.get(p.width).i32(E).op("i32.mul").set(l.rowBytes);
  code.get(l.rowBytes).get(p.height).op("i32.mul").set(l.planeBytes);
  code.get(l.planeBytes).get(p.planes).op("i32.mul").get(p.x).op("i32.add").set(l.xEnd);
  code.get(p.stride).i32(E).op("i32.mul").set(l.colStep);
  code.get(p.size).i32(E).op("i32.mul").set(l.windowBytes);
  code.get(l.rowBytes).set(l.widthBytes);
  code.get(p.vectorColumns).get(l.colStep).op("i32.mul").set(l.vectorEnd);
  code.get(p.x).set(l.xPlane).get(p.y).set(l.yPtr);

  // A window's rows [rowFirst, rowEnd) for output row oh, as addresses of their first element.
  const windowRows = (): void => {
    code.get(l.oh).get(p.stride).op("i32.mul").tee(l.h0).get(p.size).op("i32.add").set(l.hEnd);
    minInto(code, l.hEnd, l.hEnd, p.height);
    code.get(l.h0).get(l.rowBytes).op("i32.mul").get(l.xPlane).op("i32.add").set(l.rowFirst);
    code.get(l.hEnd).get(l.rowBytes).op("i32.mul").get(l.xPlane).op("i32.add").set(l.rowEnd);
  };

  // Lanes of the window element at `at` for L windows `stride` apart.
  const vectorLoop = (stride: 1 | 2): void => {
    code.i32(0).set(l.col);
    whileBelow(code, l.col, l.vectorEnd, L * stride * E, () => {
      code.v128(negInf).set(bestV);
      code.get(l.rowFirst).set(l.row);
      whileBelow(code, l.row, l.rowEnd, l.rowBytes, () => {
        code.get(l.row).get(l.col).op("i32.add").tee(l.at).get(l.windowBytes).op("i32.add");
        code.set(l.atEnd);
        whileBelow(code, l.at, l.atEnd, E, () => {
          code.get(l.at).mem("v128.load", { align: E as 4 | 8 });
          if (stride === 2) {
            code.get(l.at).mem("v128.load", { align: E as 4 | 8, offset: 16 });
            code.shuffle(laneShuffle(evenLanes(L), E));
          }
          code.set(valueV);
          code.get(valueV).get(bestV);
          code.get(valueV).get(bestV).op(`${v}.gt`);
          code.get(valueV).get(valueV).op(`${v}.ne`);
          code.op("v128.or").op("v128.bitselect").set(bestV);
        });
      });
      code
        .get(l.yPtr)
        .get(bestV)
        .mem("v128.store", { align: E as 4 | 8 });
      code
        .get(l.yPtr)
        .i32(L * E)
        .op("i32.add")
        .set(l.yPtr);
    });
  };

  whileBelow(code, l.xPlane, l.xEnd, l.planeBytes, () => {
    code.i32(0).set(l.oh);
    whileBelow(code, l.oh, p.outH, 1, () => {
      windowRows();
      code.get(p.stride).i32(1).op("i32.eq");
      code.if();
      vectorLoop(1);
      code.else();
      code.get(p.stride).i32(2).op("i32.eq");
      code.if();
      vectorLoop(2);
      code.end();
      code.end();
      // The remaining columns, one window at a time: col is w0's byte offset in the row.
      code.get(l.vectorEnd).set(l.col);
      code.get(p.outW).get(l.colStep).op("i32.mul").set(l.colEnd);
      whileBelow(code, l.col, l.colEnd, l.colStep, () => {
        if (s === "f32") code.f32(-Infinity);
        else code.f64(-Infinity);
        code.set(best);
        code.get(l.rowFirst).set(l.row);
        whileBelow(code, l.row, l.rowEnd, l.rowBytes, () => {
          // at .. atEnd: columns w0 .. min(w0 + size, width) of this row.
          code.get(l.col).get(l.windowBytes).op("i32.add").set(l.atEnd);
          minInto(code, l.atEnd, l.atEnd, l.widthBytes);
          code.get(l.atEnd).get(l.row).op("i32.add").set(l.atEnd);
          code.get(l.row).get(l.col).op("i32.add").set(l.at);
          whileBelow(code, l.at, l.atEnd, E, () => {
            code.get(l.at).mem(load).set(value);
            code.get(value).get(best);
            code.get(value).get(best).op(`${s}.gt`);
            code.get(value).get(value).op(`${s}.ne`);
            code.op("i32.or").op("select").set(best);
          });
        });
        code.get(l.yPtr).get(best).mem(`${s}.store`);
        code.get(l.yPtr).i32(E).op("i32.add").set(l.yPtr);
      });
    });
  });
}

function buildBackward(
  code: CodeBuilder,
  p: Params<typeof BACKWARD_PARAMS>,
  precision: PoolPrecision,
): void {
  const { bytes: E, s } = precisionOps(precision);
  const l = i32Locals(code, [
    "rowBytes",
    "planeBytes",
    "xEnd",
    "xPlane",
    "dyPtr",
    "oh",
    "h0",
    "hEnd",
    "rowFirst",
    "rowEnd",
    "row",
    "at",
    "atEnd",
    "col",
    "colEnd",
    "colStep",
    "windowBytes",
    "target",
    "take",
  ]);
  const best = code.local(s);
  const value = code.local(s);
  const load = `${s}.load` as const;

  code.get(p.width).i32(E).op("i32.mul").set(l.rowBytes);
  code.get(l.rowBytes).get(p.height).op("i32.mul").set(l.planeBytes);
  code.get(l.planeBytes).get(p.planes).op("i32.mul").get(p.x).op("i32.add").set(l.xEnd);
  code.get(p.stride).i32(E).op("i32.mul").set(l.colStep);
  code.get(p.size).i32(E).op("i32.mul").set(l.windowBytes);
  code.get(p.outW).get(l.colStep).op("i32.mul").set(l.colEnd);
  code.get(p.x).set(l.xPlane).get(p.dy).set(l.dyPtr);

  whileBelow(code, l.xPlane, l.xEnd, l.planeBytes, () => {
    code.i32(0).set(l.oh);
    whileBelow(code, l.oh, p.outH, 1, () => {
      code.get(l.oh).get(p.stride).op("i32.mul").tee(l.h0).get(p.size).op("i32.add").set(l.hEnd);
      minInto(code, l.hEnd, l.hEnd, p.height);
      code.get(l.h0).get(l.rowBytes).op("i32.mul").get(l.xPlane).op("i32.add").set(l.rowFirst);
      code.get(l.hEnd).get(l.rowBytes).op("i32.mul").get(l.xPlane).op("i32.add").set(l.rowEnd);
      code.i32(0).set(l.col);
      whileBelow(code, l.col, l.colEnd, l.colStep, () => {
        // An empty window (past the image) routes nothing; its dy is skipped.
        const skip = code.block();
        code.get(l.rowFirst).get(l.rowEnd).op("i32.ge_u").brIf(skip);
        code.get(l.col).get(l.rowBytes).op("i32.ge_u").brIf(skip);
        code.get(l.rowFirst).get(l.col).op("i32.add").tee(l.target);
        code.mem(load).set(best);
        code.get(l.rowFirst).set(l.row);
        whileBelow(code, l.row, l.rowEnd, l.rowBytes, () => {
          code.get(l.col).get(l.windowBytes).op("i32.add").set(l.atEnd);
          minInto(code, l.atEnd, l.atEnd, l.rowBytes);
          code.get(l.atEnd).get(l.row).op("i32.add").set(l.atEnd);
          code.get(l.row).get(l.col).op("i32.add").set(l.at);
          whileBelow(code, l.at, l.atEnd, E, () => {
            code.get(l.at).mem(load).set(value);
            // take = v > best || (v !== v && best === best), without a branch (random data
            // would mispredict it about half the time).
            code.get(value).get(best).op(`${s}.gt`);
            code.get(value).get(value).op(`${s}.ne`);
            code.get(best).get(best).op(`${s}.eq`);
            code.op("i32.and").op("i32.or").set(l.take);
            code.get(value).get(best).get(l.take).op("select").set(best);
            code.get(l.at).get(l.target).get(l.take).op("select").set(l.target);
          });
        });
        // dx[target] += dy[yi], target rebased from x to dx.
        code.get(l.target).get(p.x).op("i32.sub").get(p.dx).op("i32.add").tee(l.target);
        code.get(l.target).mem(load).get(l.dyPtr).mem(load).op(`${s}.add`).mem(`${s}.store`);
        code.end();
        code.get(l.dyPtr).i32(E).op("i32.add").set(l.dyPtr);
      });
    });
  });
}

/** Lanes 0, 2, .., 2(L-1) of two vectors a|b. */
function evenLanes(lanes: number): number[] {
  return Array.from({ length: lanes }, (_, i) => 2 * i);
}

interface PoolExports {
  forward(...args: number[]): void;
  backward(...args: number[]): void;
}

const modules = new Map<string, WebAssembly.Module>();

function isShared(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
}

/** The pooling module of one precision instantiated on a memory (compiled once per kind). */
export class WasmPool2d {
  private readonly exports: PoolExports;

  constructor(
    readonly memory: WebAssembly.Memory,
    readonly precision: PoolPrecision,
  ) {
    const shared = isShared(memory);
    const key = `${precision} ${shared ? "shared" : ""}`;
    let compiled = modules.get(key);
    if (compiled === undefined) {
      const limits: MemoryLimits = shared ? { initial: 0, maximum: 65536, shared } : { initial: 0 };
      compiled = new WebAssembly.Module(buildPool2dModule(precision, limits));
      modules.set(key, compiled);
    }
    this.exports = new WebAssembly.Instance(compiled, { env: { memory } })
      .exports as unknown as PoolExports;
  }

  /** y = the maximum of each window of x; both views on the memory, of its precision. */
  forward(x: FloatArray, y: FloatArray, g: PoolGeometry): void {
    const { height, width, size, stride, outH, outW } = g;
    this.exports.forward(
      x.byteOffset,
      y.byteOffset,
      g.batch * g.channels,
      height,
      width,
      size,
      stride,
      outH,
      outW,
      vectorColumns(g, this.precision),
    );
  }

  /** dx = dy routed to the first maximum of each window of x, zero elsewhere. */
  backward(x: FloatArray, dy: FloatArray, dx: FloatArray, g: PoolGeometry): void {
    const { batch, channels, height, width, size, stride, outH, outW } = g;
    dx.fill(0, 0, batch * channels * height * width);
    this.exports.backward(
      x.byteOffset,
      dy.byteOffset,
      dx.byteOffset,
      batch * channels,
      height,
      width,
      size,
      stride,
      outH,
      outW,
    );
  }
}
