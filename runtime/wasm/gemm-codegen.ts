/**
 * Code-generation helpers shared by the GEMM's wasm functions: the instruction names and sizes
 * of a precision, and the i32 bookkeeping and loop shapes the generated loops are made of.
 */
import type { GemmPrecision } from "./gemm-kernels.js";
import type { CodeBuilder, Local } from "./writer.js";

/** Element size and the instruction names of one precision. */
export function precisionOps(precision: GemmPrecision) {
  return precision === "f32"
    ? ({ bytes: 4, lanes: 4, v: "f32x4", s: "f32", splat: "v128.load32_splat" } as const)
    : ({ bytes: 8, lanes: 2, v: "f64x2", s: "f64", splat: "v128.load64_splat" } as const);
}

export type I32Op = "i32.add" | "i32.sub" | "i32.mul";

/** local = a op b, operands being locals or constants. */
export function assign(
  code: CodeBuilder,
  target: Local,
  a: Local | number,
  op: I32Op,
  b: Local | number,
) {
  const push = (x: Local | number) => (typeof x === "number" ? code.i32(x) : code.get(x));
  push(a);
  push(b);
  code.op(op).set(target);
}

/** local += step. */
export function bump(code: CodeBuilder, target: Local, step: Local | number) {
  assign(code, target, target, "i32.add", step);
}

/** A loop whose body runs at least once; `body` ends by pushing the continue condition. */
export function doWhile(code: CodeBuilder, body: () => void) {
  const top = code.loop();
  body();
  code.brIf(top);
  code.end();
}

/** local < bound, signed, pushed as i32. */
export function less(code: CodeBuilder, a: Local, b: Local | number) {
  code.get(a);
  if (typeof b === "number") code.i32(b);
  else code.get(b);
  code.op("i32.lt_s");
}

/** The byte indices of i8x16.shuffle picking lanes of `laneBytes` bytes from a (0..) and b. */
export function laneShuffle(lanes: readonly number[], laneBytes: number): number[] {
  return lanes.flatMap((lane) => Array.from({ length: laneBytes }, (_, i) => lane * laneBytes + i));
}

/** The parameters of a function by name, in order (throws if the counts differ). */
export function named<const Names extends readonly string[]>(
  params: readonly Local[],
  names: Names,
): Record<Names[number], Local> {
  if (params.length !== names.length) throw new Error(`expected ${names.length} parameters`);
  return Object.fromEntries(names.map((name, i) => [name, params[i]!])) as Record<
    Names[number],
    Local
  >;
}

/** New i32 locals by name. */
export function i32Locals<const Names extends readonly string[]>(
  code: CodeBuilder,
  names: Names,
): Record<Names[number], Local> {
  return named(
    names.map(() => code.local("i32")),
    names,
  );
}
