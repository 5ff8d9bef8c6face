/**
 * Transcendental functions of four f32 lanes for kernel modules: `exp`, `log`, `tanh`, `expm1`,
 * `log1p` and `erf`, written inline into vector loops (a call would spill every vector the loop
 * keeps live: inline, T2's tanh kernels are 10% faster) and as internal functions `v128 -> v128`
 * for scalars, which are splatted, passed to the function and taken back from lane 0.
 *
 * Algorithms (range reduction, then a polynomial or rational minimax approximation), with their
 * coefficients:
 * - `exp`: Cephes `expf` (S. Moshier): `n = round(x log2 e)`, `r = x - n ln 2` in two parts
 *   (the first exact in f32 for the n that occur), `e^r = 1 + r + r^2 P(r)` with P of degree 5,
 *   then `* 2^n` as two factors `2^(n>>1) * 2^(n - (n>>1))`, so that results in the subnormal
 *   range are rounded once and `n = 128` overflows to Infinity as it should;
 * - `log`: Cephes `logf`: `x = m 2^e` with `m` in `[sqrt(1/2), sqrt(2))` (subnormals scaled by
 *   2^23 first), `log(1 + f) = f - f^2/2 + f^3 P(f)` with P of degree 8, `e ln 2` in two parts;
 * - `tanh`: Cephes `tanhf`: an odd polynomial below |x| = 0.625, `1 - 2 / (e^(2|x|) + 1)` above
 *   (which saturates to 1 once `e^(2|x|)` is Infinity), the sign copied from x;
 * - `expm1`, `log1p`: Kahan's tricks on top of `exp` and `log` (W. Kahan, "Mathematics written
 *   in sand", 1983; Goldberg, "What every computer scientist should know about floating-point
 *   arithmetic", Theorem 4): `u = e^x`, `(u - 1) * (x / log u)`; `u = 1 + x`,
 *   `log u * (x / (u - 1))`, where `u - 1` is exact;
 * - `erf`: fdlibm's `s_erff.c` (Sun Microsystems), its four regions computed in every lane and
 *   selected: `x + x R(x^2)` below 0.84375, `erx + P(s)/Q(s)` with `s = |x| - 1` below 1.25,
 *   `1 - e^(-z^2 - 0.5625) e^((z - x)(z + x) + R(1/x^2)/S(1/x^2)) / x` below 4 (z is x with 13
 *   low bits cleared, so `z^2` is exact), 1 above; the sign copied from x.
 *
 * Special values: NaN in gives NaN out; `exp(+Inf) = +Inf`, `exp(-Inf) = 0`, overflow gives
 * Infinity and underflow 0 (through the subnormals); `log(0) = -Inf`, `log(x < 0) = NaN`,
 * `log(+Inf) = +Inf`; `tanh(±Inf) = ±1`; `expm1(-Inf) = -1`; `log1p(-1) = -Inf`; `erf(±Inf) =
 * ±1`; -0 gives -0 where the function is odd (tanh, expm1, log1p, erf).
 *
 * Accuracy (`MATH_ULP`, against JavaScript's double-precision functions rounded to f32): 1 ULP
 * for exp, log, tanh and erf, 2 for expm1 and log1p.
 */
import type {
  CodeBuilder,
  FunctionRef,
  Local,
  ModuleBuilder,
  SimpleOp,
} from "../../runtime/wasm/writer.js";

/** The f32 functions computed in wasm (the others of the IR are imported per lane). */
export type VectorMathName = "exp" | "log" | "tanh" | "expm1" | "log1p" | "erf";

/**
 * The largest error of each function in f32 ULP from the correctly rounded result, measured
 * over 16.8 million f32 inputs (every 257th bit pattern, plus windows around the region
 * boundaries; test/kernel/wasm-math.test.ts).
 */
export const MATH_ULP: { readonly [name in VectorMathName]: number } = {
  exp: 1,
  log: 1,
  tanh: 1,
  expm1: 2,
  log1p: 2,
  erf: 1,
};

const order: readonly VectorMathName[] = ["exp", "log", "tanh", "expm1", "log1p", "erf"];

/**
 * Defines the `used` functions in `m`, each `v128 -> v128` over four f32 lanes (for scalars:
 * the vector loops write the bodies inline), and returns them by name.
 */
export function defineVectorMath(
  m: ModuleBuilder,
  used: ReadonlySet<VectorMathName>,
): ReadonlyMap<VectorMathName, FunctionRef> {
  const refs = new Map<VectorMathName, FunctionRef>();
  for (const name of order) {
    if (!used.has(name)) continue;
    const type = { params: ["v128"], results: ["v128"] } as const;
    const ref = m.function(`f32x4_${name}`, type, (code, [x]) => {
      code.get(x!);
      emitVectorMath(code, name);
    });
    refs.set(name, ref);
  }
  return refs;
}

/**
 * Replaces the four f32 lanes on the stack by `name` of them, inline: the function's body is
 * written into `code` (no call, so nothing the caller keeps in registers is spilled around one).
 */
export function emitVectorMath(code: CodeBuilder, name: VectorMathName): void {
  new Lanes(code).inline(name, () => {})(code);
}

/** Code that pushes one v128. */
type V = (code: CodeBuilder) => void;

/** Four f32 lanes of `value` (rounded to f32), as v128.const bytes. */
export function f32x4Bytes(value: number): Uint8Array {
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  for (let lane = 0; lane < 4; lane++) view.setFloat32(4 * lane, value, true);
  return bytes;
}

function i32x4Bytes(value: number): Uint8Array {
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  for (let lane = 0; lane < 4; lane++) view.setInt32(4 * lane, value, true);
  return bytes;
}

const f =
  (value: number): V =>
  (code) =>
    code.v128(f32x4Bytes(value));
const int =
  (value: number): V =>
  (code) =>
    code.v128(i32x4Bytes(value));
const get =
  (local: Local): V =>
  (code) =>
    code.get(local);
const op =
  (name: SimpleOp, ...args: readonly V[]): V =>
  (code) => {
    for (const arg of args) arg(code);
    code.op(name);
  };
const add = (a: V, b: V): V => op("f32x4.add", a, b);
const sub = (a: V, b: V): V => op("f32x4.sub", a, b);
const mul = (a: V, b: V): V => op("f32x4.mul", a, b);
const div = (a: V, b: V): V => op("f32x4.div", a, b);
/** `then` in the lanes where `mask` is all ones, `otherwise` elsewhere. */
const select =
  (mask: V, then: V, otherwise: V): V =>
  (code) => {
    then(code);
    otherwise(code);
    mask(code);
    code.op("v128.bitselect");
  };
/** `|magnitude|` with the sign of `sign`. */
const copysign = (magnitude: V, sign: V): V => select(int(-0x80000000), sign, magnitude);
/** `c[0] x^n + c[1] x^(n-1) + ... + c[n]`, by Horner's rule. */
const horner = (x: V, coefficients: readonly number[]): V => {
  let p = f(coefficients[0]!);
  for (const c of coefficients.slice(1)) p = add(mul(p, x), f(c));
  return p;
};

class Lanes {
  private result: V | undefined;

  constructor(readonly code: CodeBuilder) {}

  /** Computes `value` once into a new local and returns code that reads it. */
  let(value: V): V {
    const local = this.code.local("v128");
    value(this.code);
    this.code.set(local);
    return get(local);
  }

  /**
   * `name` of `x`, its body written here: `x` and the body's lets are computed now, and the
   * code returned pushes the result.
   */
  inline(name: VectorMathName, x: V): V {
    const input = this.code.local("v128");
    x(this.code);
    this.code.set(input);
    const body = new Lanes(this.code);
    bodies[name](body, input);
    return body.result!;
  }

  return(value: V): void {
    this.result = value;
  }
}

const INFINITY = f(Infinity);

const bodies: { readonly [name in VectorMathName]: (l: Lanes, x: Local) => void } = {
  exp(l, input) {
    // [-104, 89] keeps n in [-150, 128]; min/max propagate NaN
    const x = l.let(op("f32x4.min", op("f32x4.max", get(input), f(-104)), f(89)));
    const n = l.let(op("f32x4.nearest", mul(x, f(Math.LOG2E))));
    // 0.693359375 has 9 significant bits: n * C1 is exact for |n| <= 2^15
    const r = l.let(sub(sub(x, mul(n, f(0.693359375))), mul(n, f(-2.1219444e-4))));
    const p = horner(
      r,
      [
        1.98756915e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1,
        5.0000001201e-1,
      ],
    );
    const y = add(add(mul(p, mul(r, r)), r), f(1));
    const ni = l.let(op("i32x4.trunc_sat_f32x4_s", n));
    const half = l.let(op("i32x4.shr_s", ni, (code) => code.i32(1)));
    const scale = (e: V): V =>
      op("i32x4.shl", op("i32x4.add", e, int(127)), (code) => code.i32(23));
    l.return(mul(mul(y, scale(half)), scale(op("i32x4.sub", ni, half))));
  },

  log(l, input) {
    const x = get(input);
    const subnormal = l.let(op("f32x4.lt", x, f(2 ** -126)));
    const scaled = l.let(select(subnormal, mul(x, f(2 ** 23)), x));
    // m in [0.5, 1), x = m 2^e
    const bits = op("i32x4.shr_u", scaled, (code) => code.i32(23));
    const e0 = op("i32x4.sub", op("i32x4.sub", bits, int(126)), select(subnormal, int(23), int(0)));
    const m = l.let(op("v128.or", op("v128.and", scaled, int(0x007fffff)), int(0x3f000000)));
    const below = l.let(op("f32x4.lt", m, f(Math.SQRT1_2)));
    // below sqrt(1/2): m 2^e = (2m) 2^(e-1); the mask is -1 in those lanes
    const e = l.let(op("f32x4.convert_i32x4_s", op("i32x4.add", e0, below)));
    const t = l.let(sub(add(m, op("v128.and", m, below)), f(1)));
    const z = l.let(mul(t, t));
    const p = horner(
      t,
      [
        7.0376836292e-2, -1.151461031e-1, 1.167699874e-1, -1.2420140846e-1, 1.4249322787e-1,
        -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1,
      ],
    );
    let y = mul(mul(p, t), z);
    y = add(y, mul(e, f(-2.1219444e-4)));
    y = sub(y, mul(z, f(0.5)));
    let r = add(add(t, y), mul(e, f(0.693359375)));
    r = select(op("f32x4.eq", x, INFINITY), INFINITY, r);
    r = select(op("f32x4.eq", x, f(0)), f(-Infinity), r);
    const invalid = op("v128.or", op("f32x4.lt", x, f(0)), op("f32x4.ne", x, x));
    l.return(select(invalid, f(NaN), r));
  },

  tanh(l, input) {
    const a = l.let(op("f32x4.abs", get(input)));
    const z = l.let(mul(a, a));
    const p = horner(
      z,
      [-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1, -3.33332819422e-1],
    );
    const small = add(mul(mul(p, z), a), a);
    const large = sub(f(1), div(f(2), add(l.inline("exp", add(a, a)), f(1))));
    l.return(copysign(select(op("f32x4.lt", a, f(0.625)), small, large), get(input)));
  },

  expm1(l, input) {
    const x = get(input);
    const u = l.let(l.inline("exp", x));
    const um1 = l.let(sub(u, f(1)));
    let r = mul(um1, div(x, l.inline("log", u)));
    r = select(op("f32x4.eq", u, f(1)), x, r);
    r = select(op("f32x4.eq", um1, f(-1)), f(-1), r);
    l.return(select(op("f32x4.eq", u, INFINITY), INFINITY, r));
  },

  log1p(l, input) {
    const x = get(input);
    const u = l.let(add(f(1), x));
    let r = mul(l.inline("log", u), div(x, sub(u, f(1))));
    r = select(op("f32x4.eq", u, f(1)), x, r);
    l.return(select(op("f32x4.eq", x, INFINITY), INFINITY, r));
  },

  erf(l, input) {
    const x = get(input);
    const a = l.let(op("f32x4.abs", x));
    // |x| < 0.84375: x + x R(x^2)
    const z = l.let(mul(a, a));
    const pp = horner(
      z,
      [-2.3763017452e-5, -5.770270247e-3, -2.8481749818e-2, -3.2504209876e-1, 1.2837916613e-1],
    );
    const qq = horner(
      z,
      [-3.9602282413e-6, 1.3249473704e-4, 5.0813062117e-3, 6.50222525e-2, 3.9791721106e-1, 1],
    );
    const small = add(a, mul(a, div(pp, qq)));
    // 0.84375 <= |x| < 1.25: erx + P(s) / Q(s)
    const s = l.let(sub(a, f(1)));
    const pa = horner(
      s,
      [
        -2.1663755178e-3, 3.5478305072e-2, -1.1089469492e-1, 3.1834661961e-1, -3.7220788002e-1,
        4.1485610604e-1, -2.3621185683e-3,
      ],
    );
    const qa = horner(
      s,
      [
        1.1984500103e-2, 1.3637083583e-2, 1.2617121637e-1, 7.1828655899e-2, 5.4039794207e-1,
        1.0642088205e-1, 1,
      ],
    );
    const middle = add(f(8.4506291151e-1), div(pa, qa));
    // 1.25 <= |x| < 4: 1 - erfc, erfc = e^(-z^2 - 0.5625) e^((z - a)(z + a) + R/S) / a
    const w = l.let(div(f(1), z));
    const ra = horner(
      w,
      [
        -9.8143291473, -8.1287437439e1, -1.8460508728e2, -1.6239666748e2, -6.2375331879e1,
        -1.0558626175e1, -6.938585639e-1, -9.8649440333e-3,
      ],
    );
    const sa = horner(
      w,
      [
        -6.0424413532e-2, 6.5702495575, 1.0863500214e2, 4.2900814819e2, 6.4538726807e2,
        4.3456588745e2, 1.3765776062e2, 1.965127182e1, 1,
      ],
    );
    const rb = horner(
      w,
      [
        -4.8351919556e2, -1.0250950928e3, -6.3756646729e2, -1.6063638306e2, -1.7757955551e1,
        -7.9928326607e-1, -9.864943102e-3,
      ],
    );
    const sb = horner(
      w,
      [
        -2.2440952301e1, 4.7452853394e2, 2.553050293e3, 3.1998581543e3, 1.5367296143e3,
        3.2579251099e2, 3.0338060379e1, 1,
      ],
    );
    const near = op("f32x4.lt", a, f(1 / 0.35));
    const ratio = select(near, div(ra, sa), div(rb, sb));
    const zz = l.let(op("v128.and", a, int(0xffffe000 | 0)));
    const first = l.inline("exp", sub(f(-0.5625), mul(zz, zz)));
    const second = l.inline("exp", add(mul(sub(zz, a), add(zz, a)), ratio));
    const tail = sub(f(1), div(mul(first, second), a));
    let r = select(op("f32x4.lt", a, f(0.84375)), small, middle);
    r = select(op("f32x4.lt", a, f(1.25)), r, tail);
    // NaN compares false everywhere above: it is put back last
    r = select(op("f32x4.ge", a, f(4)), f(1), select(op("f32x4.ne", a, a), a, r));
    l.return(copysign(r, x));
  },
};
