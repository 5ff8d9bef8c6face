/**
 * Softmax and log-softmax along the middle axis of [outer, mid, inner] in WebAssembly, for one
 * precision: runtime/cpu/softmax.ts bit for bit (reduce.ts drives them).
 *
 * Exports `softmax` and `log_softmax (begin, end, x, y, mid, inner)`, all i32, over the columns
 * [begin, end) of the flattened [outer, inner] as the reductions (reduce-kernels.ts), y having
 * x's shape. Per column, in softmax.ts's order and arithmetic (doubles throughout, x promoted):
 *   m = max_j x_j (NaN-propagating, from -Infinity);
 *   softmax:     y_j = e_j = exp(x_j - m) stored, s = sum_j e_j (unrounded e_j, j in order);
 *                y_j = y_j * (1 / s), y_j read back as stored (rounded to f32 for f32 buffers);
 *   log-softmax: s as above without storing e_j; y_j = x_j - (m + log s).
 * exp and log are the imports `math.exp` and `math.log`, bound to Math.exp and Math.log by the
 * driver and the worker pool: a polynomial exp in wasm would differ from Math.exp in the last
 * bits and break the cross-backend equality. That call per element dominates the cost, so the
 * arithmetic stays scalar: columns go 16 at a time (unrolled, each with its own maximum and
 * sum, so that every pass reads whole cache lines of a row), then one by one. A vectorised
 * exp, once the JS reference shares its bits, would replace the `math.exp` call of the second
 * pass (and make the passes f32x4/f64x2 vectors).
 *
 * Each element is read before its own position of y is written, so y may be x. Browser-safe.
 */
import { precisionOps } from "./gemm-codegen.js";
import {
  BLOCK_COLUMNS,
  type Block,
  type ReducePrecision,
  defineColumns,
  walkRows,
} from "./reduce-kernels.js";
import type { CodeBuilder, FunctionRef, Local, ModuleBuilder } from "./writer.js";

/** The imported Math functions the softmaxes call (f64 -> f64). */
export interface MathImports {
  readonly exp: FunctionRef;
  readonly log: FunctionRef;
}

/** Imports `math.exp` and `math.log`; call before defining any function of `m`. */
export function importMath(m: ModuleBuilder): MathImports {
  const unary = { params: ["f64" as const], results: ["f64" as const] };
  return {
    exp: m.importFunction("math", "exp", unary),
    log: m.importFunction("math", "log", unary),
  };
}

/** Defines `softmax` and `log_softmax` in `m`. */
export function defineSoftmaxes(
  m: ModuleBuilder,
  precision: ReducePrecision,
  math: MathImports,
): void {
  for (const log of [false, true]) {
    const name = log ? "log_softmax" : "softmax";
    defineColumns(m, name, precision, false, [BLOCK_COLUMNS, 1], (code, width, b) =>
      softmaxBlock(code, precision, math, log, width, b),
    );
  }
}

/**
 * `width` columns at once, each with its own running maximum and sum (unrolled), so that each
 * pass reads whole cache lines of every row rather than one element.
 */
function softmaxBlock(
  code: CodeBuilder,
  precision: ReducePrecision,
  math: MathImports,
  log: boolean,
  width: number,
  b: Block,
): void {
  const { bytes: E, s } = precisionOps(precision);
  const f32 = s === "f32";
  const at = code.local("i32");
  const out = code.local("i32");
  const value = code.local("f64");
  const lanes = Array.from({ length: width }, (_, k) => k);
  const best = lanes.map(() => code.local("f64"));
  const sum = lanes.map(() => code.local("f64"));
  /** Pushes column k's element of the row at `address` as a double. */
  const load = (address: Local, k: number): void => {
    code.get(address).mem(`${s}.load`, { offset: k * E });
    if (f32) code.op("f64.promote_f32");
  };
  /** Stores the double on the stack (`out` pushed first) in column k, rounded to the precision. */
  const store = (k: number): void => {
    if (f32) code.op("f32.demote_f64");
    code.mem(`${s}.store`, { offset: k * E });
  };
  const nextOut = (): void => {
    code.get(out).get(b.rowBytes).op("i32.add").set(out);
  };
  for (const k of lanes) code.f64(-Infinity).set(best[k]!).f64(0).set(sum[k]!);
  walkRows(code, at, b.x, b.xEnd, b.rowBytes, () => {
    for (const k of lanes) {
      load(at, k);
      code.set(value).get(value).get(best[k]!);
      code.get(value).get(best[k]!).op("f64.gt");
      code.get(value).get(value).op("f64.ne");
      code.op("i32.or").op("select").set(best[k]!);
    }
  });
  // e_j = exp(x_j - m), summed in order; softmax stores each.
  code.get(b.y).set(out);
  walkRows(code, at, b.x, b.xEnd, b.rowBytes, () => {
    for (const k of lanes) {
      load(at, k);
      code.get(best[k]!).op("f64.sub").call(math.exp).set(value);
      if (!log) {
        code.get(out).get(value);
        store(k);
      }
      code.get(sum[k]!).get(value).op("f64.add").set(sum[k]!);
    }
    if (!log) nextOut();
  });
  code.get(b.y).set(out);
  if (log) {
    // shift = m + log(s) (kept in sum); y_j = x_j - shift
    for (const k of lanes)
      code.get(best[k]!).get(sum[k]!).call(math.log).op("f64.add").set(sum[k]!);
    walkRows(code, at, b.x, b.xEnd, b.rowBytes, () => {
      for (const k of lanes) {
        code.get(out);
        load(at, k);
        code.get(sum[k]!).op("f64.sub");
        store(k);
      }
      nextOut();
    });
  } else {
    // scale = 1 / s (kept in sum); y_j = y_j * scale, y_j read back as stored (at counts rows)
    for (const k of lanes) code.f64(1).get(sum[k]!).op("f64.div").set(sum[k]!);
    walkRows(code, at, b.x, b.xEnd, b.rowBytes, () => {
      for (const k of lanes) {
        code.get(out);
        load(out, k);
        code.get(sum[k]!).op("f64.mul");
        store(k);
      }
      nextOut();
    });
  }
}
