import { assertNever, invariant } from "../assert.js";
import type { AnyEqn, Shape } from "../ir/types.js";
import {
  type GemmThenHead,
  type LibraryArg,
  type LibraryLowering,
  type LibraryMethod,
  type NumberArg,
  libraryParameters,
} from "../ops/library.js";
import type { OpKind } from "../ops/types.js";
import { numberLiteral } from "../kernel/print-js.js";
import { productExpr } from "./expr.js";

/** What printing a library call needs from its function. */
export interface LibraryCallContext {
  readonly batch: string;
  readonly shapeOf: (value: string) => Shape;
  /** Where a value's buffer is (`b.s3`, `p["dense_1.weight"]`). */
  readonly ref: (value: string) => string;
  /**
   * Adds a record to the buffers `plan(n)` returns, computed once per batch size, and returns
   * its expression in the step (`b.conv0`).
   */
  readonly planRecord: (name: string, literal: string) => string;
}

/**
 * Methods whose numbers are named in comments where they are passed (`/* m *\/ n`): gemm's
 * sizes, flags and strides are too many to read by position.
 */
const namedArguments: ReadonlySet<LibraryMethod> = new Set(["gemm"]);

/**
 * The statement that runs a library equation, `rt.method(args);`, from its op's argument
 * builder.
 *
 * Assumes: `lowering` is `eqn`'s op's lowering, and the equation's operands that are passed
 * as buffers are values. Guarantees: one argument per description the builder gave, in order.
 */
export function libraryCall(
  eqn: AnyEqn,
  lowering: LibraryLowering<OpKind>,
  ctx: LibraryCallContext,
): string {
  const args: readonly (LibraryArg | undefined)[] = lowering.args(eqn, {
    shapes: eqn.args.map((a) => (a.kind === "value" ? ctx.shapeOf(a.name) : [])),
    result: ctx.shapeOf(eqn.out),
  });
  return `rt.${lowering.method}(${printedArguments(eqn, lowering.method, args, ctx).join(", ")});`;
}

/**
 * The statement that runs a matmul with its epilogue, `rt.gemmThen(a, b, c, m, n, k, flags,
 * kernel, n, ...buffers);`: the matmul's gemm arguments (`head`, from its op's argument
 * builder), then the kernel and its buffers as `rt.run` takes them.
 */
export function gemmThenCall(
  eqn: AnyEqn,
  head: GemmThenHead,
  kernel: string,
  buffers: readonly string[],
  ctx: LibraryCallContext,
): string {
  const gemm = printedArguments(eqn, "gemm", head, ctx);
  return `rt.gemmThen(${[...gemm, `/* then */ ${kernel}`, "n", ...buffers].join(", ")});`;
}

/** Each argument's expression, numbers of `namedArguments` methods after their names. */
function printedArguments(
  eqn: AnyEqn,
  method: LibraryMethod,
  args: readonly (LibraryArg | undefined)[],
  ctx: LibraryCallContext,
): string[] {
  const names: readonly string[] = libraryParameters[method];
  invariant(args.length <= names.length, `${method} takes ${names.length} arguments`);
  const named = namedArguments.has(method);
  return args.map((arg, k) => {
    invariant(arg !== undefined, `${method} argument ${k} is missing`);
    const text = argumentExpr(eqn, arg, ctx);
    return named && arg.kind !== "operand" && arg.kind !== "result"
      ? `/* ${names[k]} */ ${text}`
      : text;
  });
}

function argumentExpr(eqn: AnyEqn, arg: LibraryArg, ctx: LibraryCallContext): string {
  switch (arg.kind) {
    case "operand": {
      const operand = eqn.args[arg.index];
      invariant(operand?.kind === "value", `${eqn.op} operand ${arg.index} must be a value`);
      return ctx.ref(operand.name);
    }
    case "result":
      return ctx.ref(eqn.out);
    case "record": {
      const fields = Object.entries(arg.fields).map(
        ([field, value]) => `${field}: ${numberExpr(value, ctx.batch)}`,
      );
      return ctx.planRecord(arg.name, `{ ${fields.join(", ")} }`);
    }
    case "count":
    case "number":
    case "flags":
      return numberExpr(arg, ctx.batch);
    default:
      return assertNever(arg, "library argument");
  }
}

function numberExpr(arg: NumberArg, batch: string): string {
  switch (arg.kind) {
    case "count":
      return productExpr(arg.dims, batch);
    case "number":
      return numberLiteral(arg.value);
    case "flags":
      return arg.flags.length === 0 ? "0" : arg.flags.join(" | ");
    default:
      return assertNever(arg, "number argument");
  }
}
