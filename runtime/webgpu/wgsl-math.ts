/**
 * f32 math functions in WGSL for printed kernels, with the special values of JavaScript's
 * `Math` (the reference backend's): WGSL's builtins leave NaN, infinities, zeros and negative
 * operands undefined or inaccurate, and it has no `erf`. Each function reads only the prelude
 * (wgsl-prelude.ts) and the functions listed in its `needs`.
 *
 * - `exp_f`, `log_f`, `sqrt_f`, `sign_f`: the builtins with special values put back by selects.
 * - `tanh_f`: Cephes `tanhf`, an odd polynomial below |x| = 0.625, `1 - 2 / (e^(2|x|) + 1)`
 *   above (the builtin cancels for large |x| on some drivers).
 * - `expm1_f`, `log1p_f`: Kahan's cancellation-free forms over exp and log
 *   (`(u - 1) * x / log(u)` with `u = e^x`, `log(u) * x / (u - 1)` with `u = 1 + x`).
 * - `erf_f`: fdlibm's `s_erff.c`, as the wasm printer's (compiler/kernel/wasm-math.ts).
 * - `pow_f`: JavaScript's `Math.pow` cases (integer powers of negatives, zeros, infinities,
 *   `pow(x, 0) = 1` even for NaN, `pow(±1, ±Infinity) = NaN`).
 */

export type WgslMathName =
  "exp_f" | "log_f" | "sqrt_f" | "sign_f" | "tanh_f" | "expm1_f" | "log1p_f" | "erf_f" | "pow_f";

interface WgslFunction {
  readonly needs: readonly WgslMathName[];
  readonly source: string;
}

export const wgslMath: { readonly [name in WgslMathName]: WgslFunction } = {
  exp_f: {
    needs: [],
    source: `fn exp_f(x: f32) -> f32 {
  var r = exp(min(x, 88.0f));
  r = select(r, inf_f32(), x > 88.72283f);
  r = select(r, 0.0f, x < -103.97208f);
  return select(r, x, is_nan(x));
}`,
  },
  log_f: {
    needs: [],
    source: `fn log_f(x: f32) -> f32 {
  var r = log(x);
  r = select(r, -inf_f32(), x == 0.0f);
  r = select(r, inf_f32(), x == inf_f32());
  return select(r, nan_f32(), x < 0.0f || is_nan(x));
}`,
  },
  sqrt_f: {
    needs: [],
    source: `fn sqrt_f(x: f32) -> f32 {
  var r = sqrt(max(x, 0.0f));
  r = select(r, x, x == 0.0f || x == inf_f32());
  return select(r, nan_f32(), x < 0.0f || is_nan(x));
}`,
  },
  sign_f: {
    needs: [],
    source: `fn sign_f(x: f32) -> f32 {
  return select(select(select(x, -1.0f, x < 0.0f), 1.0f, x > 0.0f), x, is_nan(x));
}`,
  },
  tanh_f: {
    needs: ["exp_f"],
    source: `fn tanh_f(x: f32) -> f32 {
  let a = abs(x);
  let z = a * a;
  let q = (((-5.70498872745e-3f * z + 2.06390887954e-2f) * z - 5.37397155531e-2f) * z
    + 1.33314422036e-1f) * z - 3.33332819422e-1f;
  let small = q * z * a + a;
  let large = 1.0f - 2.0f / (exp_f(a + a) + 1.0f);
  let r = select(large, small, a < 0.625f);
  return select(select(r, -r, x < 0.0f), x, is_nan(x) || x == 0.0f);
}`,
  },
  expm1_f: {
    needs: ["exp_f", "log_f"],
    source: `fn expm1_f(x: f32) -> f32 {
  let u = exp_f(x);
  let um1 = u - 1.0f;
  var r = um1 * (x / log_f(u));
  r = select(r, x, u == 1.0f);
  r = select(r, -1.0f, um1 == -1.0f);
  r = select(r, inf_f32(), u == inf_f32());
  return select(r, x, is_nan(x));
}`,
  },
  log1p_f: {
    needs: ["log_f"],
    source: `fn log1p_f(x: f32) -> f32 {
  let u = 1.0f + x;
  var r = log_f(u) * (x / (u - 1.0f));
  r = select(r, x, u == 1.0f);
  r = select(r, -inf_f32(), x == -1.0f);
  r = select(r, inf_f32(), x == inf_f32());
  return select(r, nan_f32(), x < -1.0f || is_nan(x));
}`,
  },
  erf_f: {
    needs: ["exp_f"],
    source: `fn erf_f(x: f32) -> f32 {
  let a = abs(x);
  let z = a * a;
  let pp = (((-2.3763017452e-5f * z - 5.770270247e-3f) * z - 2.8481749818e-2f) * z
    - 3.2504209876e-1f) * z + 1.2837916613e-1f;
  let qq = ((((-3.9602282413e-6f * z + 1.3249473704e-4f) * z + 5.0813062117e-3f) * z
    + 6.50222525e-2f) * z + 3.9791721106e-1f) * z + 1.0f;
  let small = a + a * (pp / qq);
  let s = a - 1.0f;
  let pa = (((((-2.1663755178e-3f * s + 3.5478305072e-2f) * s - 1.1089469492e-1f) * s
    + 3.1834661961e-1f) * s - 3.7220788002e-1f) * s + 4.1485610604e-1f) * s - 2.3621185683e-3f;
  let qa = (((((1.1984500103e-2f * s + 1.3637083583e-2f) * s + 1.2617121637e-1f) * s
    + 7.1828655899e-2f) * s + 5.4039794207e-1f) * s + 1.0642088205e-1f) * s + 1.0f;
  let middle = 8.4506291151e-1f + pa / qa;
  let w = 1.0f / max(z, 1.0f);
  let ra = ((((((-9.8143291473f * w - 8.1287437439e1f) * w - 1.8460508728e2f) * w
    - 1.6239666748e2f) * w - 6.2375331879e1f) * w - 1.0558626175e1f) * w - 6.938585639e-1f) * w
    - 9.8649440333e-3f;
  let sa = (((((((-6.0424413532e-2f * w + 6.5702495575f) * w + 1.0863500214e2f) * w
    + 4.2900814819e2f) * w + 6.4538726807e2f) * w + 4.3456588745e2f) * w + 1.3765776062e2f) * w
    + 1.965127182e1f) * w + 1.0f;
  let rb = (((((-4.8351919556e2f * w - 1.0250950928e3f) * w - 6.3756646729e2f) * w
    - 1.6063638306e2f) * w - 1.7757955551e1f) * w - 7.9928326607e-1f) * w - 9.864943102e-3f;
  let sb = ((((((-2.2440952301e1f * w + 4.7452853394e2f) * w + 2.553050293e3f) * w
    + 3.1998581543e3f) * w + 1.5367296143e3f) * w + 3.2579251099e2f) * w + 3.0338060379e1f) * w
    + 1.0f;
  let ratio = select(rb / sb, ra / sa, a < 2.857142857f);
  let zz = bitcast<f32>(bitcast<u32>(a) & 0xffffe000u);
  let tail = 1.0f - exp_f(-0.5625f - zz * zz) * exp_f((zz - a) * (zz + a) + ratio) / a;
  var r = select(middle, small, a < 0.84375f);
  r = select(tail, r, a < 1.25f);
  r = select(r, 1.0f, a >= 4.0f);
  r = select(r, -r, x < 0.0f);
  return select(r, x, is_nan(x) || x == 0.0f);
}`,
  },
  pow_f: {
    needs: ["exp_f", "log_f"],
    source: `fn pow_f(x: f32, y: f32) -> f32 {
  let a = abs(x);
  let yi = y == trunc(y) && abs(y) < 16777216.0f;
  let odd = yi && abs(y - 2.0f * trunc(y * 0.5f)) == 1.0f;
  var r = exp2(y * log2(a));
  r = select(r, inf_f32(), a == 0.0f && y < 0.0f);
  r = select(r, 0.0f, a == 0.0f && y > 0.0f);
  r = select(r, inf_f32(), a == inf_f32() && y > 0.0f);
  r = select(r, 0.0f, a == inf_f32() && y < 0.0f);
  let negative = (bitcast<u32>(x) & 0x80000000u) != 0u;
  r = select(r, -r, negative && odd);
  let fractional = x < 0.0f && a != inf_f32() && !yi && abs(y) != inf_f32();
  r = select(r, nan_f32(), fractional || is_nan(x) || is_nan(y));
  r = select(r, nan_f32(), a == 1.0f && abs(y) == inf_f32());
  return select(r, 1.0f, y == 0.0f);
}`,
  },
};

/** The sources of `names` and of every function they need, each once, dependencies first. */
export function wgslMathSources(names: Iterable<WgslMathName>): string {
  const done = new Set<WgslMathName>();
  const out: string[] = [];
  const add = (name: WgslMathName): void => {
    if (done.has(name)) return;
    done.add(name);
    for (const need of wgslMath[name].needs) add(need);
    out.push(wgslMath[name].source);
  };
  for (const name of names) add(name);
  return out.join("\n");
}

/** Every function, for shaders printed by the compiler (WGSL compilers drop the unused ones). */
export const WGSL_MATH = wgslMathSources(Object.keys(wgslMath) as WgslMathName[]);
