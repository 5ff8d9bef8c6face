/**
 * Sum and max over the middle axis of [outer, mid, inner] in WebAssembly, generated with the
 * binary writer for one precision: runtime/cpu/reduce.ts bit for bit (reduce.ts drives them).
 *
 * Exports `sum` and `max (begin, end, x, y, mid, inner)`, all i32: x and y byte offsets, the
 * rest element counts. They compute the output columns [begin, end) of the flattened
 * [outer, inner] (column c is (o, i) = (c / inner, c % inner)), so that threads can split any
 * range of columns: each column is one running value over j = 0 .. mid-1 in order, the order of
 * reduce.ts whatever the split. Within a row o the columns go 16 at a time (a cache line of f32
 * per row, 8 vector accumulators), then one vector's worth, then one by one; each block walks j
 * with a stride of one row of x (`inner` elements).
 *
 * - sum: the running value is a double for both precisions (reduce.ts's Float64Array scratch,
 *   or its `let s = 0`), starting at +0; f32 inputs are promoted two lanes at a time
 *   (`v128.load64_zero`, `f64x2.promote_low_f32x4`), and the sum is rounded to f32 once, on the
 *   store. IEEE addition is the same in every lane, so the bits are reduce.ts's.
 * - max: the running value is x's own precision (a maximum is one of its inputs, so comparing
 *   floats as doubles changes nothing), from -Infinity, taking v when `v > best || v !== v`:
 *   NaN propagates as torch.amax, and of equal values (0 and -0) the first stays. Written as
 *   compare and bitselect, not `f32x4.max`, whose choice between -0 and 0 differs.
 *
 * y may alias x as reduce.ts allows, on one thread (columns of a row are read completely
 * before they are written, rows in order); the driver does not split aliased calls.
 * Browser-safe.
 */
import { bump, laneShuffle, named, precisionOps } from "./gemm-codegen.js";
import type { PoolPrecision } from "./pool2d-kernels.js";
import type { CodeBuilder, Local, ModuleBuilder } from "./writer.js";

export type ReducePrecision = PoolPrecision;

/** The parameters of every column function, in order. */
export const COLUMN_PARAMS = ["begin", "end", "x", "y", "mid", "inner"] as const;
export type ColumnParams = Readonly<Record<(typeof COLUMN_PARAMS)[number], Local>>;

/** Columns a block covers before the narrower ones take over. */
export const BLOCK_COLUMNS = 16;

/**
 * Where a block of columns is: `x` at element (o, 0, i) of its first column, `y` at its first
 * output (element (o, i), or (o, 0, i) when the output has x's shape), `xEnd` past the
 * column's last row, `rowBytes` the stride from one j to the next.
 */
export interface Block {
  readonly x: Local;
  readonly y: Local;
  readonly xEnd: Local;
  readonly rowBytes: Local;
}

/**
 * Defines `name (begin, end, x, y, mid, inner)` over column blocks: for each row o's part of
 * [begin, end), blocks of each width of `widths` (largest first, the last 1) while they fit.
 * `block(width, b)` emits the code of one block; `reduced`: y is [outer, inner] (else x's shape).
 */
export function defineColumns(
  m: ModuleBuilder,
  name: string,
  precision: ReducePrecision,
  reduced: boolean,
  widths: readonly number[],
  block: (code: CodeBuilder, width: number, b: Block) => void,
): void {
  const type = { params: COLUMN_PARAMS.map(() => "i32" as const), results: [] };
  m.function(
    name,
    type,
    (code, params) => {
      const p = named(params, COLUMN_PARAMS);
      const E = precisionOps(precision).bytes;
      const names = ["c", "o", "i", "segmentEnd", "columnBytes", "x", "y", "xEnd"] as const;
      const l = named(
        names.map(() => code.local("i32")),
        names,
      );
      const rowBytes = code.local("i32");
      code.get(p.inner).i32(E).op("i32.mul").set(rowBytes);
      code.get(rowBytes).get(p.mid).op("i32.mul").set(l.columnBytes);
      code.get(p.begin).set(l.c);
      whileLess(code, l.c, p.end, () => {
        // o = c / inner, i = c - o * inner; the row's columns end at min(end, c - i + inner).
        code.get(l.c).get(p.inner).op("i32.div_u").set(l.o);
        code.get(l.c).get(l.o).get(p.inner).op("i32.mul").op("i32.sub").set(l.i);
        code.get(l.c).get(l.i).op("i32.sub").get(p.inner).op("i32.add").set(l.segmentEnd);
        code.get(p.end).get(l.segmentEnd).get(p.end).get(l.segmentEnd).op("i32.lt_u");
        code.op("select").set(l.segmentEnd);
        // x at (o, 0, i): (o * mid * inner + i) * E bytes in.
        code.get(l.o).get(l.columnBytes).op("i32.mul").get(l.i).i32(E).op("i32.mul");
        code.op("i32.add").get(p.x).op("i32.add").set(l.x);
        if (reduced) code.get(l.c).i32(E).op("i32.mul").get(p.y).op("i32.add").set(l.y);
        else code.get(l.x).get(p.x).op("i32.sub").get(p.y).op("i32.add").set(l.y);
        for (const width of widths) {
          // while (c + width <= segmentEnd)
          const exit = code.block();
          const top = code.loop();
          code.get(l.c).i32(width).op("i32.add").get(l.segmentEnd).op("i32.gt_u").brIf(exit);
          code.get(l.x).get(l.columnBytes).op("i32.add").set(l.xEnd);
          block(code, width, { x: l.x, y: l.y, xEnd: l.xEnd, rowBytes });
          bump(code, l.c, width);
          bump(code, l.x, width * E);
          bump(code, l.y, width * E);
          code.br(top).end().end();
        }
      });
    },
    { export: true },
  );
}

/** while (i <u end) body, the body advancing i. */
export function whileLess(code: CodeBuilder, i: Local, end: Local, body: () => void): void {
  const exit = code.block();
  const top = code.loop();
  code.get(i).get(end).op("i32.ge_u").brIf(exit);
  body();
  code.br(top).end().end();
}

/** for (at = from; at <u end; at += step) body */
export function walkRows(
  code: CodeBuilder,
  at: Local,
  from: Local,
  end: Local,
  step: Local,
  body: () => void,
): void {
  code.get(from).set(at);
  whileLess(code, at, end, () => {
    body();
    code.get(at).get(step).op("i32.add").set(at);
  });
}

/** Defines `sum` and `max` in `m` (whose memory is imported). */
export function defineReductions(m: ModuleBuilder, precision: ReducePrecision): void {
  const { lanes } = precisionOps(precision);
  const widths = [BLOCK_COLUMNS, lanes, 1];
  defineColumns(m, "sum", precision, true, widths, (code, width, b) =>
    sumBlock(code, precision, width, b),
  );
  defineColumns(m, "max", precision, true, widths, (code, width, b) =>
    maxBlock(code, precision, width, b),
  );
}

/** Sum of `width` columns: width / 2 f64x2 accumulators (one f64 when width is 1). */
function sumBlock(code: CodeBuilder, precision: ReducePrecision, width: number, b: Block): void {
  const f32 = precision === "f32";
  const at = code.local("i32");
  if (width === 1) {
    const s = code.local("f64");
    code.f64(0).set(s);
    walkRows(code, at, b.x, b.xEnd, b.rowBytes, () => {
      code.get(s).get(at);
      if (f32) code.mem("f32.load").op("f64.promote_f32");
      else code.mem("f64.load");
      code.op("f64.add").set(s);
    });
    code.get(b.y).get(s);
    if (f32) code.op("f32.demote_f64").mem("f32.store");
    else code.mem("f64.store");
    return;
  }
  const acc = Array.from({ length: width / 2 }, () => code.local("v128"));
  for (const a of acc) code.f64(0).op("f64x2.splat").set(a);
  walkRows(code, at, b.x, b.xEnd, b.rowBytes, () => {
    acc.forEach((a, k) => {
      code.get(a).get(at);
      if (f32) code.mem("v128.load64_zero", { offset: 8 * k, align: 4 });
      else code.mem("v128.load", { offset: 16 * k, align: 8 });
      if (f32) code.op("f64x2.promote_low_f32x4");
      code.op("f64x2.add").set(a);
    });
  });
  if (f32) {
    // Two demoted accumulators (2 floats each, in the low half) make one vector of 4.
    const pairs = laneShuffle([0, 1, 4, 5], 4);
    for (let k = 0; k < acc.length; k += 2) {
      code.get(b.y).get(acc[k]!).op("f32x4.demote_f64x2_zero");
      code
        .get(acc[k + 1]!)
        .op("f32x4.demote_f64x2_zero")
        .shuffle(pairs);
      code.mem("v128.store", { offset: 8 * k, align: 4 });
    }
  } else {
    acc.forEach((a, k) =>
      code
        .get(b.y)
        .get(a)
        .mem("v128.store", { offset: 16 * k, align: 8 }),
    );
  }
}

/** Max of `width` columns: width / lanes accumulators of x's precision. */
function maxBlock(code: CodeBuilder, precision: ReducePrecision, width: number, b: Block): void {
  const { bytes: E, lanes, s, v } = precisionOps(precision);
  const at = code.local("i32");
  const minusInfinity = (): CodeBuilder =>
    s === "f32" ? code.f32(-Infinity) : code.f64(-Infinity);
  if (width === 1) {
    const best = code.local(s);
    const value = code.local(s);
    minusInfinity().set(best);
    walkRows(code, at, b.x, b.xEnd, b.rowBytes, () => {
      code.get(at).mem(`${s}.load`).set(value);
      code.get(value).get(best);
      code.get(value).get(best).op(`${s}.gt`);
      code.get(value).get(value).op(`${s}.ne`);
      code.op("i32.or").op("select").set(best);
    });
    code.get(b.y).get(best).mem(`${s}.store`);
    return;
  }
  const best = Array.from({ length: width / lanes }, () => code.local("v128"));
  const value = code.local("v128");
  for (const a of best) minusInfinity().op(`${v}.splat`).set(a);
  walkRows(code, at, b.x, b.xEnd, b.rowBytes, () => {
    best.forEach((a, k) => {
      code
        .get(at)
        .mem("v128.load", { offset: 16 * k, align: E as 4 | 8 })
        .set(value);
      code.get(value).get(a);
      code.get(value).get(a).op(`${v}.gt`);
      code.get(value).get(value).op(`${v}.ne`);
      code.op("v128.or").op("v128.bitselect").set(a);
    });
  });
  best.forEach((a, k) =>
    code
      .get(b.y)
      .get(a)
      .mem("v128.store", { offset: 16 * k, align: E as 4 | 8 }),
  );
}
