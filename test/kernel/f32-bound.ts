/**
 * The tolerance of an f32 kernel module against the JavaScript body, derived per element by a
 * running error analysis rather than picked: each node of the kernel IR is evaluated as the
 * JavaScript does (a double `v`, bit for bit what the printed body computes) together with a
 * bound `e` on how far the wasm's f32 value can be from `v`:
 *
 * - loads of f32 buffers are exact (e = 0); constants, counts and loop-invariant lets are
 *   rounded to f32 once (e = |fround(v) - v|);
 * - every f32 operation adds its rounding, `u (|v| + prop) + 2^-150` (u = 2^-24; the second
 *   term is the subnormal range's absolute rounding), and the double's own `2^-53 |v|`;
 * - the propagated error `prop` is the operation's exact sensitivity to its operands' bounds:
 *   `ea + eb` for + and -, `|a| eb + |b| ea + ea eb` for *, `(|a| eb + |b| ea) / (|b| (|b| - eb))`
 *   for /, `max(ea, eb)` for max/min, `e` for neg/abs/sin/cos (1-Lipschitz), and for monotone
 *   functions (exp, log, sqrt, tanh, expm1, log1p, erf) the largest change of f over
 *   `[v - e, v + e]`; pow takes the extremes at the corners of its operands' box;
 * - the polynomial transcendentals add their measured bound, `(MATH_ULP + 1/2)` f32 ULP of the
 *   result (wasm-math.ts; the ULP sweep in wasm-math.test.ts checks it);
 * - a comparison whose operands' intervals overlap, a select on such a condition, sign or a
 *   division near 0, a result that may overflow f32, and a NaN or infinity reached through
 *   inexact operands are unknown (e = Infinity: any value is accepted there); exact operands
 *   (e = 0) give exact special values, since IEEE operations and the polynomials' special cases
 *   agree with JavaScript's.
 *
 * Elements are evaluated in order, and a store updates its buffer's value and bound, so updates
 * in place read what earlier elements stored, as both the JavaScript and the wasm do.
 */
import {
  type ElementExpr,
  type Kernel,
  evaluateIndex,
  loopInvariantLets,
} from "../../compiler/kernel/index.js";
import { binaryMath, unaryMath } from "../../compiler/kernel/evaluate.js";
import { MATH_ULP } from "../../compiler/kernel/wasm-math.js";
import { erf } from "../../runtime/math.js";

const U = 2 ** -24;
const ETA = 2 ** -150;
const F32_ULP = 2 ** -23;
const MIN_SUBNORMAL = 2 ** -149;
/** The smallest magnitude that rounds to Infinity in f32. */
const OVERFLOW = 2 ** 128 - 2 ** 103;

/** A double as the JavaScript computes it, and a bound on the wasm's distance from it. */
export interface Bounded {
  readonly v: number;
  readonly e: number;
}

const unknown = (v: number): Bounded => ({ v, e: Infinity });
const exact = (v: number): Bounded => ({ v, e: 0 });
/** The distance of `v` from its f32 rounding (0 for NaN and infinities, which round to themselves). */
const roundingOf = (v: number): number => (Number.isFinite(v) ? Math.abs(Math.fround(v) - v) : 0);
const rounded = (v: number): Bounded => ({ v, e: roundingOf(v) });

/** A result from its propagated error and the rounding bound of the operation itself. */
function result(v: number, prop: number, rounding: (magnitude: number) => number): Bounded {
  if (!(prop >= 0)) return unknown(v);
  if (!Number.isFinite(v)) return prop === 0 ? exact(v) : unknown(v);
  const magnitude = Math.abs(v) + prop;
  const e = prop * (1 + U) + rounding(magnitude) + 2 ** -52 * Math.abs(v);
  return Math.abs(v) + e >= OVERFLOW || !Number.isFinite(e) ? unknown(v) : { v, e };
}

const ieeeRounding = (magnitude: number): number => U * magnitude + ETA;
const polynomialRounding =
  (ulp: number) =>
  (magnitude: number): number =>
    (ulp + 0.5) * (F32_ULP * magnitude + MIN_SUBNORMAL);

/** The largest change of a monotone `f` over `[x - e, x + e]` (NaN where it leaves f's domain). */
function monotoneChange(f: (x: number) => number, x: Bounded): number {
  if (x.e === 0) return 0;
  const y = f(x.v);
  return Math.max(Math.abs(f(x.v - x.e) - y), Math.abs(f(x.v + x.e) - y));
}

const monotone: Record<string, (x: number) => number> = {
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  tanh: Math.tanh,
  expm1: Math.expm1,
  log1p: Math.log1p,
  erf,
};

/** Each buffer's elements while a kernel runs: the JavaScript's values and their bounds. */
export class BufferState {
  readonly values: readonly Float64Array[];
  readonly bounds: readonly Float64Array[];

  constructor(contents: readonly Float32Array[]) {
    this.values = contents.map((c) => Float64Array.from(c));
    this.bounds = contents.map((c) => new Float64Array(c.length));
  }

  get(buffer: number, index: number): Bounded {
    return { v: this.values[buffer]![index]!, e: this.bounds[buffer]![index]! };
  }

  set(buffer: number, index: number, value: Bounded): void {
    this.values[buffer]![index] = value.v;
    this.bounds[buffer]![index] = value.e;
  }
}

/**
 * Runs `kernel` over `[begin, end)` on bounded buffers, as the JavaScript body does, and
 * returns the buffers' final values with their bounds.
 */
export function boundKernel(
  kernel: Kernel,
  data: readonly (readonly number[])[],
  lengths: readonly number[],
  n: number,
  begin: number,
  end: number,
): BufferState {
  const buffers = new BufferState(
    lengths.map((length, b) => {
      const array = new Float32Array(length);
      array.set((data[b] ?? []).slice(0, length));
      return array;
    }),
  );
  const invariant = loopInvariantLets(kernel);
  for (let i = begin; i < end; i++) {
    const locals: Bounded[] = [];
    const env = { element: i, batch: n, locals: [] as number[], load: () => 0 };
    const node = (expr: ElementExpr): Bounded => evaluate(expr, env, locals, buffers);
    kernel.lets.forEach((l, index) => {
      const value = node(l.value);
      locals.push(invariant.has(index) ? rounded(value.v) : value);
    });
    for (const store of kernel.stores) {
      const { v, e } = locals[store.local]!;
      // the JavaScript stores fround(v); the wasm stores its f32, within e of v
      buffers.set(store.buffer, i, { v: Math.fround(v), e: e + roundingOf(v) });
    }
  }
  return buffers;
}

function evaluate(
  expr: ElementExpr,
  env: { element: number; batch: number; locals: number[]; load: () => number },
  locals: readonly Bounded[],
  buffers: BufferState,
): Bounded {
  const node = (e: ElementExpr): Bounded => evaluate(e, env, locals, buffers);
  switch (expr.kind) {
    case "const":
      return rounded(expr.value);
    case "load":
      return buffers.get(expr.buffer, evaluateIndex(expr.index, env));
    case "local":
      return locals[expr.index]!;
    case "from-index":
      return rounded(evaluateIndex(expr.value, env));
    case "unary": {
      const x = node(expr.x);
      if (x.e === Infinity) return unknown(unaryMath[expr.op](x.v));
      if (Number.isNaN(x.v)) return x.e === 0 ? exact(NaN) : unknown(NaN);
      switch (expr.op) {
        case "neg":
          return { v: -x.v, e: x.e };
        case "abs":
          return { v: Math.abs(x.v), e: x.e };
        case "sign":
          return x.e > 0 && Math.abs(x.v) <= x.e ? unknown(Math.sign(x.v)) : exact(Math.sign(x.v));
        case "sin":
        case "cos":
          return result(Math[expr.op](x.v), x.e, ieeeRounding);
        case "sqrt":
          return result(Math.sqrt(x.v), monotoneChange(Math.sqrt, x), ieeeRounding);
        default: {
          const f = monotone[expr.op]!;
          const ulp = MATH_ULP[expr.op];
          return result(f(x.v), monotoneChange(f, x), polynomialRounding(ulp));
        }
      }
    }
    case "binary": {
      const a = node(expr.a);
      const b = node(expr.b);
      if (a.e === Infinity || b.e === Infinity) return unknown(binaryMath[expr.op](a.v, b.v));
      if (expr.op === "pow") {
        const v = Math.pow(a.v, b.v);
        if (a.e === 0 && b.e === 0) return result(v, 0, ieeeRounding);
        if (!(a.v - a.e > 0)) return unknown(v);
        let prop = 0;
        for (const x of [a.v - a.e, a.v + a.e])
          for (const y of [b.v - b.e, b.v + b.e]) prop = Math.max(prop, Math.abs(x ** y - v));
        return result(v, prop, ieeeRounding);
      }
      // NaN propagates through the other ops: an exact NaN operand gives an exact NaN
      if ((Number.isNaN(a.v) && a.e === 0) || (Number.isNaN(b.v) && b.e === 0)) return exact(NaN);
      switch (expr.op) {
        case "add":
          return result(a.v + b.v, a.e + b.e, ieeeRounding);
        case "sub":
          return result(a.v - b.v, a.e + b.e, ieeeRounding);
        case "mul": {
          const prop =
            a.e === 0 && b.e === 0 ? 0 : Math.abs(a.v) * b.e + Math.abs(b.v) * a.e + a.e * b.e;
          return result(a.v * b.v, prop, ieeeRounding);
        }
        case "div": {
          const v = a.v / b.v;
          if (a.e === 0 && b.e === 0) return result(v, 0, ieeeRounding);
          if (!(Math.abs(b.v) > b.e)) return unknown(v);
          const prop =
            (Math.abs(a.v) * b.e + Math.abs(b.v) * a.e) / (Math.abs(b.v) * (Math.abs(b.v) - b.e));
          return result(v, prop, ieeeRounding);
        }
        case "max":
        case "min": {
          const v = Math[expr.op](a.v, b.v);
          // exact: one of the operands, no rounding
          if (a.e === 0 && b.e === 0) return exact(v);
          return result(v, Math.max(a.e, b.e), () => 0);
        }
        default:
          throw new Error(`unexpected ${expr.op}`);
      }
    }
    case "compare": {
      const a = node(expr.a);
      const b = node(expr.b);
      const js = compare(expr.op, a.v, b.v) ? 1 : 0;
      if (a.e === 0 && b.e === 0) return exact(js);
      if (a.e === Infinity || b.e === Infinity || Number.isNaN(a.v) || Number.isNaN(b.v)) {
        return unknown(js);
      }
      // certain when every pair in the two intervals compares alike
      const disjoint = a.v + a.e < b.v - b.e || b.v + b.e < a.v - a.e;
      return disjoint ? exact(js) : unknown(js);
    }
    case "select": {
      const c = node(expr.condition);
      const taken = c.v !== 0 ? expr.then : expr.otherwise;
      const certain = c.e === 0 || (Number.isFinite(c.e) && Math.abs(c.v) > c.e);
      const value = node(taken);
      return certain ? value : unknown(value.v);
    }
    default:
      throw new Error("unexpected expression");
  }
}

function compare(op: string, a: number, b: number): boolean {
  switch (op) {
    case "lt":
      return a < b;
    case "gt":
      return a > b;
    case "le":
      return a <= b;
    case "ge":
      return a >= b;
    case "eq":
      return a === b;
    default:
      return a !== b;
  }
}

/**
 * Why `wasm` (each buffer's f32 contents after the kernel) is not within the bounds of
 * `bounds` where `[begin, end)` was computed and equal elsewhere, or undefined if it is;
 * `js` (the JavaScript body's buffers) must equal the bounds' values, bit for bit.
 */
export function outsideBounds(
  bounds: BufferState,
  wasm: readonly (readonly number[])[],
  js: readonly (readonly number[])[],
): string | undefined {
  for (let b = 0; b < bounds.values.length; b++) {
    for (let i = 0; i < bounds.values[b]!.length; i++) {
      const { v, e } = bounds.get(b, i);
      const x = js[b]![i]!;
      if (!(Object.is(x, v) || (Number.isNaN(x) && Number.isNaN(v)))) {
        return `buffer ${b}[${i}]: JavaScript ${x}, the bounds' evaluation ${v}`;
      }
      const w = wasm[b]![i]!;
      if (e === Infinity) continue;
      const ok =
        e === 0 && !Number.isFinite(v)
          ? Object.is(w, v) || (Number.isNaN(v) && Number.isNaN(w))
          : e === 0
            ? w === v
            : Math.abs(w - v) <= e;
      if (!ok) return `buffer ${b}[${i}]: wasm ${w}, JavaScript ${v}, bound ${e}`;
    }
  }
  return undefined;
}
