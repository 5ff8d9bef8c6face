import type { TensorType } from "../ir/types.js";
import { broadcastShapes, formatType } from "../shapes/dims.js";
import { type ShapeResult, fail, ok } from "./types.js";

/** Shared pieces of shape rules. Each returns a failure, or null when the check passes. */

export function requireFloat(op: string, args: readonly TensorType[]): ShapeResult | null {
  const bad = args.find((a) => a.dtype !== "f32");
  if (!bad) return null;
  return fail({
    code: "E205",
    args: {
      what: op,
      detail: `expects f32 values, got ${formatType(bad)} (integer class ids); convert them with one_hot(ids, classes)`,
    },
  });
}

export function requireRank(
  what: string,
  type: TensorType,
  min: number,
  form: string,
): ShapeResult | null {
  if (type.shape.length >= min) return null;
  return fail({ code: "E204", args: { what, expected: form, actual: formatType(type) } });
}

/** Elementwise rule: every operand f32, shapes broadcast together; `verb` words the E201 message. */
export function broadcastRule(op: string, verb: string, args: readonly TensorType[]): ShapeResult {
  const dtypeError = requireFloat(op, args);
  if (dtypeError) return dtypeError;
  let shape = args[0]?.shape ?? [];
  for (let i = 1; i < args.length; i++) {
    const next = args[i]!.shape;
    const joined = broadcastShapes(shape, next);
    if (!joined) {
      const left = args.slice(0, i).map(formatType).join(", ");
      return fail({ code: "E201", args: { verb, left, right: formatType(args[i]!) } });
    }
    shape = joined;
  }
  return ok({ dtype: "f32", shape });
}

export function unaryFloatRule(op: string, args: readonly TensorType[]): ShapeResult {
  return requireFloat(op, args) ?? ok({ dtype: "f32", shape: args[0]!.shape });
}
