import { backward } from "../../compiler/grad/index.js";
import { fileStartSpan } from "../../compiler/diagnostics/span.js";
import { IrBuilder } from "../../compiler/ir/builder.js";
import type { AnyEqn, Operand, TensorType } from "../../compiler/ir/types.js";
import { allAxes } from "../../compiler/ops/axes.js";
import type { OpAttrs, OpKind } from "../../compiler/ops.js";
import { type RandomSource, interpret, resolveShape, count } from "./interpret.js";
import { mulberry32, seededUniforms, uniform } from "./random.js";

/**
 * The machinery of a gradient check: build `y = op(operands)`, `s = sum(y * c)` for a fixed
 * cotangent `c`, let the real `backward` derive `d s / d operand`, interpret everything in
 * float64, and compare each operand's directional derivative <grad, v> with central finite
 * differences of `s` along a random direction `v`. The cotangent `c` is differentiated too
 * (d s / d c = y), which also checks the op's value flows through `mul` and `sum`.
 */

export const span = fileStartSpan("gradcheck.nn");

/** An operand of the op under test: a tensor (differentiated or not) or an inline constant. */
export type CaseArg =
  | {
      readonly kind: "tensor";
      readonly type: TensorType;
      readonly data: Float64Array;
      /** False for class ids, masks and operands that only give a shape. */
      readonly differentiate: boolean;
    }
  | { readonly kind: "const"; readonly value: number };

export interface GradCase<K extends OpKind = OpKind> {
  readonly args: readonly CaseArg[];
  readonly attrs: OpAttrs<K>;
  /** Sizes of the symbolic dims the types use. */
  readonly dims: Readonly<Record<string, number>>;
  /** Seeds the cotangent, the directions and dropout masks. */
  readonly seed: number;
}

export interface Comparison {
  readonly operand: string;
  readonly analytic: number;
  readonly numeric: number;
  readonly tolerance: number;
}

export interface GradCheckResult {
  readonly comparisons: readonly Comparison[];
  /** Human-readable description of the case, for failure messages. */
  readonly description: string;
  /** Names of operands whose gradient did not come back with exactly their type. */
  readonly badGradientTypes: readonly string[];
}

export const EPS = 1e-6;
export const RTOL = 1e-6;
/** Absolute floor, relative to the size of the terms of s = sum(y * c). */
export const ATOL = 1e-8;

/**
 * Wrt entries for `backward`. Its signature asks for concrete shapes (`number[]`), but inputs
 * have symbolic dims (`batch`); the symbolic shape is what a gradient must have, so it is
 * passed through as it is.
 */
export function wrtEntry(name: string, type: TensorType) {
  return { name, shape: type.shape as readonly number[], span };
}

export function describeCase(op: OpKind, c: GradCase): string {
  const args = c.args.map((a, i) =>
    a.kind === "const"
      ? `const ${a.value}`
      : `x${i}: ${a.type.dtype}[${a.type.shape.join(", ")}]${a.differentiate ? "" : " (not differentiated)"} = [${Array.from(
          a.data,
          (v) => +v.toPrecision(6),
        ).join(", ")}]`,
  );
  return `${op}(${args.join("; ")}) attrs ${JSON.stringify(c.attrs)} dims ${JSON.stringify(c.dims)}`;
}

export function gradCheck<K extends OpKind>(op: K, c: GradCase<K>): GradCheckResult {
  const types = new Map<string, TensorType>();
  const env: Record<string, Float64Array> = {};
  const operands: Operand[] = c.args.map((a, i) => {
    if (a.kind === "const") return { kind: "const", value: a.value };
    types.set(`x${i}`, a.type);
    env[`x${i}`] = a.data;
    return { kind: "value", name: `x${i}` };
  });
  const builder = IrBuilder.typed([], types);
  const emitter = builder.at({ origin: span, callSites: [], layer: null });
  const y = emitter.emit(op, operands, c.attrs);
  const yType = emitter.typeOf(y);
  builder.declare("c", { dtype: "f32", shape: yType.shape });
  const products = emitter.emit("mul", [y, { kind: "value", name: "c" }], {});
  const total = emitter.emit("sum", [products], { axes: allAxes, keepdims: false });
  if (products.kind !== "value" || total.kind !== "value") throw new Error("emit gave a constant");
  const forward: readonly AnyEqn[] = [...builder.eqns];
  const forwardTypes = new Map(builder.types);

  const rng = mulberry32(c.seed ^ 0x5bd1e995);
  const randomSource: RandomSource = seededUniforms(c.seed);
  const cShape = resolveShape(yType.shape, c.dims);
  env.c = Float64Array.from({ length: count(cShape) }, () => uniform(rng, -1, 1));

  const differentiated = [
    ...c.args.flatMap((a, i) =>
      a.kind === "tensor" && a.differentiate ? [{ name: `x${i}`, type: a.type }] : [],
    ),
    { name: "c", type: forwardTypes.get("c")! },
  ];
  const derived = backward(
    forward,
    forwardTypes,
    total.name,
    differentiated.map((d) => wrtEntry(d.name, d.type)),
  );
  const options = { dims: c.dims, random: randomSource };
  const values = interpret(derived.eqns, derived.types, env, options);
  const value = (at: Record<string, Float64Array>) =>
    interpret(forward, forwardTypes, at, options).get(total.name)!.data[0]!;
  // The size of the terms of s, for the absolute floor of the tolerance.
  const scale = values.get(products.name)!.data.reduce((sum, v) => sum + Math.abs(v), 0);

  const badGradientTypes: string[] = [];
  const comparisons = differentiated.map(({ name, type }) => {
    const gradName = derived.gradients.get(name)!;
    const gradType = derived.types.get(gradName)!;
    if (
      gradType.dtype !== "f32" ||
      gradType.shape.length !== type.shape.length ||
      gradType.shape.some((d, i) => d !== type.shape[i])
    ) {
      badGradientTypes.push(
        `${name}: [${type.shape.join(", ")}] got [${gradType.shape.join(", ")}]`,
      );
    }
    const grad = values.get(gradName)!.data;
    const x = env[name]!;
    const v = Float64Array.from(x, () => uniform(rng, -1, 1));
    const analytic = grad.reduce((sum, g, i) => sum + g * v[i]!, 0);
    const shifted = (sign: number) => ({
      ...env,
      [name]: x.map((xi, i) => xi + sign * EPS * v[i]!),
    });
    const numeric = (value(shifted(1)) - value(shifted(-1))) / (2 * EPS);
    const tolerance = RTOL * Math.max(Math.abs(analytic), Math.abs(numeric)) + ATOL * (1 + scale);
    return { operand: name, analytic, numeric, tolerance };
  });
  return { comparisons, description: describeCase(op, c), badGradientTypes };
}
