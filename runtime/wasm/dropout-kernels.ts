/**
 * Dropout masks in WebAssembly, for one precision: runtime/cpu/dropout.ts with the generator of
 * runtime/random.ts, bit for bit (reduce.ts drives it).
 *
 * Exports `dropout (mask, size, state, rate, keep)`: mask and state byte offsets (i32), size in
 * elements (i32), rate and keep doubles (keep = 1 / (1 - rate), or 0 when rate is 1). The state
 * is xoshiro128**'s four 32-bit words (s0..s3, little-endian), read on entry and written back
 * on return, so the stream continues where the JS generator left it and vice versa. Element i
 * draws two words r1, r2 as Random.uniform does, u = ((r1 >>> 5) * 2^26 + (r2 >>> 6)) / 2^53
 * (exact in doubles), and is 0 where u < rate, else keep (rounded to f32 for f32 masks).
 * Sequential by nature: one stream, so one thread. Browser-safe.
 */
import { precisionOps } from "./gemm-codegen.js";
import type { ReducePrecision } from "./reduce-kernels.js";
import { whileLess } from "./reduce-kernels.js";
import type { CodeBuilder, Local, ModuleBuilder } from "./writer.js";

/** Defines `dropout` in `m`. */
export function defineDropout(m: ModuleBuilder, precision: ReducePrecision): void {
  m.function(
    "dropout",
    { params: ["i32", "i32", "i32", "f64", "f64"], results: [] },
    (code, [mask, size, state, rate, keep]) =>
      buildDropout(code, precision, mask!, size!, state!, rate!, keep!),
    { export: true },
  );
}

function buildDropout(
  code: CodeBuilder,
  precision: ReducePrecision,
  mask: Local,
  size: Local,
  state: Local,
  rate: Local,
  keep: Local,
): void {
  const { bytes: E, s } = precisionOps(precision);
  const words = [0, 1, 2, 3].map(() => code.local("i32"));
  const [s0, s1, s2, s3] = words as [Local, Local, Local, Local];
  const t = code.local("i32");
  const high = code.local("i32");
  const at = code.local("i32");
  const end = code.local("i32");
  const kept = code.local(s);
  words.forEach((w, k) =>
    code
      .get(state)
      .mem("i32.load", { offset: 4 * k })
      .set(w),
  );
  code.get(keep);
  if (s === "f32") code.op("f32.demote_f64");
  code.set(kept);
  /** Pushes the generator's next word and advances it (Random.nextUint32). */
  const next = (): void => {
    // result = rotl(s1 * 5, 7) * 9
    code.get(s1).i32(5).op("i32.mul").i32(7).op("i32.rotl").i32(9).op("i32.mul");
    code.get(s1).i32(9).op("i32.shl").set(t);
    const xor = (target: Local, other: Local): void => {
      code.get(target).get(other).op("i32.xor").set(target);
    };
    xor(s2, s0);
    xor(s3, s1);
    xor(s1, s2);
    xor(s0, s3);
    xor(s2, t);
    code.get(s3).i32(11).op("i32.rotl").set(s3);
  };
  code.get(size).i32(E).op("i32.mul").get(mask).op("i32.add").set(end);
  code.get(mask).set(at);
  whileLess(code, at, end, () => {
    next();
    code.i32(5).op("i32.shr_u").set(high);
    code.get(at);
    if (s === "f32") code.f32(0);
    else code.f64(0);
    code.get(kept);
    // u = (high * 2^26 + low) * 2^-53, low = next() >>> 6; all exact in doubles.
    code.get(high).op("f64.convert_i32_u").f64(67108864).op("f64.mul");
    next();
    code.i32(6).op("i32.shr_u").op("f64.convert_i32_u").op("f64.add");
    code.f64(2 ** -53).op("f64.mul");
    code.get(rate).op("f64.lt").op("select").mem(`${s}.store`);
    code.get(at).i32(E).op("i32.add").set(at);
  });
  words.forEach((w, k) =>
    code
      .get(state)
      .get(w)
      .mem("i32.store", { offset: 4 * k }),
  );
}
