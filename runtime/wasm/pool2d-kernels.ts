/**
 * 2-D max pooling in WebAssembly, generated with the binary writer for one precision: the
 * semantics of runtime/cpu/pool.ts exactly (NCHW planes, no padding, floor mode, windows
 * clipped to the image, a NaN propagates, the gradient goes to the FIRST maximum of each
 * window), bit for bit: it only compares and copies, and the gradient's adds are single adds
 * of the precision (a double add of two floats rounded to float is the float add).
 *
 * The module (pool2d.ts drives it). Exports, all arguments i32 (byte offsets in the memory,
 * then sizes in elements), `vectorColumns` last (see `vectorColumns`: a multiple of the lanes
 * L, the leading output columns of each row whose windows lie inside the row):
 * - `forward (x, y, planes, height, width, size, stride, outH, outW, vectorColumns)`;
 * - `backward (x, dy, dx, planes, height, width, size, stride, outH, outW, vectorColumns)`:
 *   dx must be zero (the caller fills it), since overlapping windows (stride < size) add;
 * - `forward_planes`/`backward_planes (begin, end, ...)`: the same on planes [begin, end), for
 *   a pool's threads (backward_planes zeroes its planes of dx itself); see definePlanes.
 * Both compute the first vectorColumns windows of a row L at a time with SIMD (stride 1 or 2:
 * lane i is window ow + i, see loadLanes), each lane's maximum (and, backward, the byte offset
 * of its first maximum in the window) chosen by compare and bitselect; the rest scalar, with
 * `select` (no branch: random data would mispredict it about half the time).
 *
 * The running maximum takes v when `v > best || v !== v` (forward, from -Infinity) and when
 * `v > best || (v !== v && best === best)` (backward, from the window's first element), the
 * comparisons of pool.ts, so signed zeros and NaNs resolve as there. Browser-safe.
 */
import type { PoolGeometry } from "../backend.js";
import { laneShuffle, named, precisionOps } from "./gemm-codegen.js";
import {
  type CodeBuilder,
  type FunctionRef,
  type Local,
  type MemoryLimits,
  ModuleBuilder,
  type ValueType,
} from "./writer.js";

export type PoolPrecision = "f32" | "f64";

/** The parameters both functions share, after their buffers. */
const GEOMETRY = ["planes", "height", "width", "size", "stride", "outH", "outW", "vectorColumns"];
type Geometry = Readonly<
  Record<
    "x" | "planes" | "height" | "width" | "size" | "stride" | "outH" | "outW" | "vectorColumns",
    Local
  >
>;
type ForwardParams = Geometry & { readonly y: Local };
type BackwardParams = Geometry & { readonly dy: Local; readonly dx: Local };

/** The i32 locals of both functions; `out`: the output (y, or dy) element of the window. */
type LocalName =
  | "rowBytes"
  | "planeBytes"
  | "xEnd"
  | "xPlane"
  | "out"
  | "oh"
  | "h0"
  | "hEnd"
  | "rowFirst"
  | "rowEnd"
  | "row"
  | "at"
  | "atEnd"
  | "col"
  | "colEnd"
  | "colStep"
  | "windowBytes"
  | "vectorEnd"
  | "target"
  | "take"
  | "start";
type Locals = Readonly<Record<LocalName, Local>>;
const LOCALS: readonly LocalName[] = [
  ...["rowBytes", "planeBytes", "xEnd", "xPlane", "out", "oh", "h0", "hEnd"],
  ...["rowFirst", "rowEnd", "row", "at", "atEnd", "col", "colEnd", "colStep"],
  ...["windowBytes", "vectorEnd", "target", "take", "start"],
] as LocalName[];
type Vectors = Readonly<Record<"best" | "value" | "take" | "offset", Local>>;

/** Builds the module; `memory` must match the limits (and sharing) of the memory it runs on. */
export function buildPool2dModule(precision: PoolPrecision, memory: MemoryLimits): Uint8Array {
  const m = new ModuleBuilder();
  m.importMemory("env", "memory", memory);
  const define = (name: string, buffers: readonly string[], build: PassBuilder): FunctionRef => {
    const names = [...buffers, ...GEOMETRY];
    const type = { params: names.map((): ValueType => "i32"), results: [] };
    return m.function(name, type, (code, params) => build(code, named(params, names), precision), {
      export: true,
    });
  };
  const forward = define("forward", ["x", "y"], (code, p) =>
    buildForward(code, p as ForwardParams, precision),
  );
  const backward = define("backward", ["x", "dy", "dx"], (code, p) =>
    buildBackward(code, p as BackwardParams, precision),
  );
  definePlanes(m, "forward_planes", forward, 2, precision);
  definePlanes(m, "backward_planes", backward, 3, precision);
  return m.bytes();
}

/**
 * `forward_planes (begin, end, x, y, height, ...)` and `backward_planes (begin, end, x, dy, dx,
 * height, ...)`: `forward`/`backward` on planes [begin, end) only (the geometry after `planes`),
 * for a pool's threads; `backward_planes` zeroes its planes of dx first. Planes are
 * independent, so any split gives the bits of one call over all of them.
 */
function definePlanes(
  m: ModuleBuilder,
  name: string,
  pass: FunctionRef,
  buffers: 2 | 3,
  precision: PoolPrecision,
): void {
  const E = precisionOps(precision).bytes;
  const rest = GEOMETRY.slice(1);
  const names = ["begin", "end", ...(buffers === 2 ? ["x", "y"] : ["x", "dy", "dx"]), ...rest];
  const type = { params: names.map((): ValueType => "i32"), results: [] };
  m.function(
    name,
    type,
    (code, list) => {
      const p = named(list, names);
      const [inBytes, outBytes, at, end, scratch] = [0, 1, 2, 3, 4].map(() => code.local("i32"));
      code.get(p.height!).get(p.width!).op("i32.mul").i32(E).op("i32.mul").set(inBytes!);
      code.get(p.outH!).get(p.outW!).op("i32.mul").i32(E).op("i32.mul").set(outBytes!);
      const shifted = (buffer: Local, bytes: Local): void => {
        code.get(p.begin!).get(bytes).op("i32.mul").get(buffer).op("i32.add");
      };
      if (buffers === 3) {
        shifted(p.dx!, inBytes!);
        code.set(at!);
        code.get(p.end!).get(inBytes!).op("i32.mul").get(p.dx!).op("i32.add").set(end!);
        zeroBytes(code, at!, end!, scratch!);
      }
      shifted(p.x!, inBytes!);
      shifted((p.y ?? p.dy)!, outBytes!);
      if (buffers === 3) shifted(p.dx!, inBytes!);
      code.get(p.end!).get(p.begin!).op("i32.sub");
      for (const param of rest) code.get(p[param]!);
      code.call(pass);
    },
    { export: true },
  );
}

type PassBuilder = (
  code: CodeBuilder,
  params: Readonly<Record<string, Local>>,
  precision: PoolPrecision,
) => void;

/**
 * The leading output columns of each row computed L at a time: 0 unless stride is 1 or 2;
 * whole groups of L windows that lie inside the row, (ow + L - 1)*stride + size <= width for
 * a group from ow (loadLanes reads only inside the windows).
 */
export function vectorColumns(g: PoolGeometry, precision: PoolPrecision): number {
  const { stride, size, width, outW } = g;
  if (stride !== 1 && stride !== 2) return 0;
  const lanes = precisionOps(precision).lanes;
  const groups = Math.min(
    Math.floor((width - size + stride) / (lanes * stride)),
    Math.floor(outW / lanes),
  );
  return Math.max(0, groups) * lanes;
}

/** while (i <u end) { body; i += step } */
export function whileBelow(
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

function add(code: CodeBuilder, target: Local, a: Local, b: Local | number): void {
  code.get(a);
  if (typeof b === "number") code.i32(b);
  else code.get(b);
  code.op("i32.add").set(target);
}

/**
 * The locals, sizes in bytes, then for each plane and output row oh: the rows
 * [rowFirst, rowEnd) of its windows (addresses of their first element), vectorEnd (bytes of
 * the vectorised columns; 0 when the rows are empty, past the image), the vector loop of the
 * stride, then `scalar` for each remaining window, col being w0's byte offset in the row.
 */
function rowsOfWindows(
  code: CodeBuilder,
  p: Geometry,
  out: Local,
  E: number,
  vectors: (l: Locals, stride: 1 | 2) => void,
  scalar: (l: Locals) => void,
): void {
  const l = named(
    LOCALS.map(() => code.local("i32")),
    LOCALS,
  );
  code.get(p.width).i32(E).op("i32.mul").set(l.rowBytes);
  code.get(l.rowBytes).get(p.height).op("i32.mul").set(l.planeBytes);
  code.get(l.planeBytes).get(p.planes).op("i32.mul").get(p.x).op("i32.add").set(l.xEnd);
  code.get(p.stride).i32(E).op("i32.mul").set(l.colStep);
  code.get(p.size).i32(E).op("i32.mul").set(l.windowBytes);
  code.get(p.outW).get(l.colStep).op("i32.mul").set(l.colEnd);
  code.get(p.x).set(l.xPlane).get(out).set(l.out);
  whileBelow(code, l.xPlane, l.xEnd, l.planeBytes, () => {
    code.i32(0).set(l.oh);
    whileBelow(code, l.oh, p.outH, 1, () => {
      code.get(l.oh).get(p.stride).op("i32.mul").tee(l.h0).get(p.size).op("i32.add");
      code.set(l.hEnd);
      minInto(code, l.hEnd, l.hEnd, p.height);
      code.get(l.h0).get(l.rowBytes).op("i32.mul").get(l.xPlane).op("i32.add").set(l.rowFirst);
      code.get(l.hEnd).get(l.rowBytes).op("i32.mul").get(l.xPlane).op("i32.add").set(l.rowEnd);
      code.get(p.vectorColumns).get(l.colStep).op("i32.mul").i32(0);
      code.get(l.rowFirst).get(l.rowEnd).op("i32.lt_u").op("select").set(l.vectorEnd);
      code.get(p.stride).i32(1).op("i32.eq");
      code.if();
      code.i32(0).set(l.col);
      vectors(l, 1);
      code.else();
      code.get(p.stride).i32(2).op("i32.eq");
      code.if();
      code.i32(0).set(l.col);
      vectors(l, 2);
      code.end();
      code.end();
      code.get(l.vectorEnd).set(l.col);
      whileBelow(code, l.col, l.colEnd, l.colStep, () => scalar(l));
    });
  });
}

/** For each row of a window: at .. atEnd, its columns w0 .. min(w0 + size, width). */
function windowElements(code: CodeBuilder, l: Locals, E: number, element: () => void): void {
  code.get(l.rowFirst).set(l.row);
  whileBelow(code, l.row, l.rowEnd, l.rowBytes, () => {
    code.get(l.col).get(l.windowBytes).op("i32.add").set(l.atEnd);
    minInto(code, l.atEnd, l.atEnd, l.rowBytes);
    add(code, l.atEnd, l.atEnd, l.row);
    add(code, l.at, l.row, l.col);
    whileBelow(code, l.at, l.atEnd, E, element);
  });
}

function vectorLocals(code: CodeBuilder): Vectors {
  return {
    best: code.local("v128"),
    value: code.local("v128"),
    take: code.local("v128"),
    offset: code.local("v128"),
  };
}

function buildForward(code: CodeBuilder, p: ForwardParams, precision: PoolPrecision): void {
  const { bytes: E, lanes: L, s, v } = precisionOps(precision);
  const best = code.local(s);
  const value = code.local(s);
  const x = vectorLocals(code);
  const minusInfinity = (): CodeBuilder =>
    s === "f32" ? code.f32(-Infinity) : code.f64(-Infinity);
  rowsOfWindows(
    code,
    p,
    p.y,
    E,
    (l, stride) => {
      whileBelow(code, l.col, l.vectorEnd, L * stride * E, () => {
        minusInfinity().op(`${v}.splat`).set(x.best);
        // All windows of the group lie inside the row: every row reads size elements.
        code.get(l.rowFirst).set(l.row);
        whileBelow(code, l.row, l.rowEnd, l.rowBytes, () => {
          add(code, l.at, l.row, l.col);
          add(code, l.atEnd, l.at, l.windowBytes);
          whileBelow(code, l.at, l.atEnd, E, () => {
            loadLanes(code, l.at, precision, stride);
            code.set(x.value).get(x.value).get(x.best);
            code.get(x.value).get(x.best).op(`${v}.gt`);
            code.get(x.value).get(x.value).op(`${v}.ne`);
            code.op("v128.or").op("v128.bitselect").set(x.best);
          });
        });
        code
          .get(l.out)
          .get(x.best)
          .mem("v128.store", { align: E as 4 | 8 });
        add(code, l.out, l.out, L * E);
      });
    },
    (l) => {
      minusInfinity().set(best);
      windowElements(code, l, E, () => {
        code.get(l.at).mem(`${s}.load`).set(value);
        code.get(value).get(best);
        code.get(value).get(best).op(`${s}.gt`);
        code.get(value).get(value).op(`${s}.ne`);
        code.op("i32.or").op("select").set(best);
      });
      code.get(l.out).get(best).mem(`${s}.store`);
      add(code, l.out, l.out, E);
    },
  );
}

function buildBackward(code: CodeBuilder, p: BackwardParams, precision: PoolPrecision): void {
  const { bytes: E, s } = precisionOps(precision);
  const best = code.local(s);
  const value = code.local(s);
  const vectors = vectorLocals(code);
  const load = `${s}.load` as const;
  rowsOfWindows(
    code,
    p,
    p.dy,
    E,
    (l, stride) => backwardVectors(code, p, l, vectors, precision, stride),
    (l) => {
      // An empty window (past the image) routes nothing; its dy is skipped.
      const skip = code.block();
      code.get(l.rowFirst).get(l.rowEnd).op("i32.ge_u").brIf(skip);
      code.get(l.col).get(l.rowBytes).op("i32.ge_u").brIf(skip);
      code.get(l.rowFirst).get(l.col).op("i32.add").tee(l.target);
      code.mem(load).set(best);
      windowElements(code, l, E, () => {
        code.get(l.at).mem(load).set(value);
        // take = v > best || (v !== v && best === best)
        code.get(value).get(best).op(`${s}.gt`);
        code.get(value).get(value).op(`${s}.ne`);
        code.get(best).get(best).op(`${s}.eq`);
        code.op("i32.and").op("i32.or").set(l.take);
        code.get(value).get(best).get(l.take).op("select").set(best);
        code.get(l.at).get(l.target).get(l.take).op("select").set(l.target);
      });
      // dx[target] += dy[yi], target rebased from x to dx.
      code.get(l.target).get(p.x).op("i32.sub").get(p.dx).op("i32.add").tee(l.target);
      code.get(l.target).mem(load).get(l.out).mem(load).op(`${s}.add`).mem(`${s}.store`);
      code.end();
      add(code, l.out, l.out, E);
    },
  );
}

/**
 * The backward pass over the first vectorEnd bytes of columns of an output row, L windows at a
 * time: the running maximum and the byte offset of its element from the window's first
 * (the same for every lane that takes it) are selected per lane, then each lane's dy is added
 * at its maximum in lane order, the order of pool.ts for overlapping windows. For f64 the
 * offset is splat over i32 lanes, so both halves of a 64-bit mask lane select it.
 */
function backwardVectors(
  code: CodeBuilder,
  p: BackwardParams,
  l: Locals,
  x: Vectors,
  precision: PoolPrecision,
  stride: 1 | 2,
): void {
  const { bytes: E, lanes: L, s, v } = precisionOps(precision);
  whileBelow(code, l.col, l.vectorEnd, L * stride * E, () => {
    add(code, l.start, l.rowFirst, l.col);
    loadLanes(code, l.start, precision, stride);
    code.set(x.best).i32(0).op("i32x4.splat").set(x.offset);
    code.get(l.rowFirst).set(l.row);
    whileBelow(code, l.row, l.rowEnd, l.rowBytes, () => {
      add(code, l.at, l.row, l.col);
      add(code, l.atEnd, l.at, l.windowBytes);
      whileBelow(code, l.at, l.atEnd, E, () => {
        loadLanes(code, l.at, precision, stride);
        code.set(x.value);
        code.get(x.value).get(x.best).op(`${v}.gt`);
        code.get(x.value).get(x.value).op(`${v}.ne`);
        code.get(x.best).get(x.best).op(`${v}.eq`);
        code.op("v128.and").op("v128.or").set(x.take);
        code.get(x.value).get(x.best).get(x.take).op("v128.bitselect").set(x.best);
        code.get(l.at).get(l.start).op("i32.sub").op("i32x4.splat");
        code.get(x.offset).get(x.take).op("v128.bitselect").set(x.offset);
      });
    });
    for (let lane = 0; lane < L; lane++) {
      // target = dx + (start - x) + lane*stride*E + offset[lane]
      code.get(l.start).get(p.x).op("i32.sub").get(p.dx).op("i32.add");
      code
        .get(x.offset)
        .lane("i32x4.extract_lane", (lane * E) / 4)
        .op("i32.add");
      code
        .i32(lane * stride * E)
        .op("i32.add")
        .tee(l.target);
      code.get(l.target).mem(`${s}.load`);
      code.get(l.out).mem(`${s}.load`, { offset: lane * E });
      code.op(`${s}.add`).mem(`${s}.store`);
    }
    add(code, l.out, l.out, L * E);
  });
}

/**
 * Pushes the elements at `address` + i*stride*E, i < L: one load for stride 1; for stride 2
 * the 2L - 1 elements from `address` as two overlapping loads (the second L - 1 elements on),
 * whose even elements 0, 2, .., 2L - 2 the shuffle keeps. Reads nothing past the last lane.
 */
export function loadLanes(
  code: CodeBuilder,
  address: Local,
  precision: PoolPrecision,
  stride: 1 | 2,
): void {
  const { bytes: E, lanes: L } = precisionOps(precision);
  code.get(address).mem("v128.load", { align: E as 4 | 8 });
  if (stride === 1) return;
  code.get(address).mem("v128.load", { align: E as 4 | 8, offset: (L - 1) * E });
  // Element e < L is lane e of the first load, else lane e - (L - 1) of the second (index L + ..).
  const even = Array.from({ length: L }, (_, i) => (2 * i < L ? 2 * i : 2 * i + 1));
  code.shuffle(laneShuffle(even, E));
}

/**
 * Zeroes the bytes [at, end) (a multiple of 4 bytes), 16 at a time then 4 at a time; `at` ends
 * at `end`, `scratch` is clobbered.
 */
export function zeroBytes(code: CodeBuilder, at: Local, end: Local, scratch: Local): void {
  code.get(end).get(at).op("i32.sub").i32(-16).op("i32.and").get(at).op("i32.add").set(scratch);
  whileBelow(code, at, scratch, 16, () => {
    code.get(at).i32(0).op("i32x4.splat").mem("v128.store", { align: 4 });
  });
  whileBelow(code, at, end, 4, () => {
    code.get(at).i32(0).mem("i32.store");
  });
}
