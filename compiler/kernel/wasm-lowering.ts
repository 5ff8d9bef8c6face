/**
 * What the wasm printer decides about a kernel before printing it: which unary ops are f32
 * polynomials in wasm and which are imported, whether a kernel's vector loop is safe, and the
 * structural queries its lowering asks of expressions.
 */
import type { KernelMathName } from "../../runtime/wasm/kernels.js";
import type { CodeBuilder, Local, SimpleOp } from "../../runtime/wasm/writer.js";
import { assertNever } from "../assert.js";
import type { ElementExpr, IndexExpr, Kernel, UnaryMath } from "./types.js";
import type { VectorMathName } from "./wasm-math.js";

/** Unary ops computed by one instruction of either width. */
export const unaryInstruction = { neg: "neg", sqrt: "sqrt", abs: "abs" } as const;
/** Binary ops as instructions of either width; `max`/`min` are IEEE 754-2019 (NaN wins). */
export const binaryInstruction = {
  add: "add",
  sub: "sub",
  mul: "mul",
  div: "div",
  max: "max",
  min: "min",
} as const;

/** The unary ops computed in wasm in f32 lanes (wasm-math.ts); the others are imported. */
export function vectorMathOf(op: UnaryMath | KernelMathName): VectorMathName | undefined {
  switch (op) {
    case "exp":
    case "log":
    case "tanh":
    case "expm1":
    case "log1p":
    case "erf":
      return op;
    default:
      return undefined;
  }
}

/** The imported JavaScript function of a unary op that is not one instruction. */
export function importOf(op: UnaryMath): KernelMathName | undefined {
  return op === "neg" || op === "sqrt" || op === "abs" || op === "sign" ? undefined : op;
}

/** Two f64 lanes of `value`, as v128.const bytes. */
export function f64x2Bytes(value: number): Uint8Array {
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  view.setFloat64(0, value, true);
  view.setFloat64(8, value, true);
  return bytes;
}

/**
 * Whether the lets of a vector's elements may all be computed before any is stored: no stored
 * buffer is loaded at an index other than the element's own (an update in place reads `x[i]`
 * and writes `x[i]`, which is safe).
 */
export function vectorSafe(kernel: Kernel): boolean {
  const stored = new Set(kernel.stores.map((s) => s.buffer));
  const safe = (expr: ElementExpr): boolean => {
    switch (expr.kind) {
      case "const":
      case "local":
      case "from-index":
        return true;
      case "load":
        return !stored.has(expr.buffer) || expr.index.kind === "element";
      case "unary":
        return safe(expr.x);
      case "binary":
      case "compare":
        return safe(expr.a) && safe(expr.b);
      case "select":
        return safe(expr.condition) && safe(expr.then) && safe(expr.otherwise);
      default:
        return assertNever(expr, "element expression");
    }
  };
  return kernel.lets.every((l) => safe(l.value));
}

export function readsElement(expr: IndexExpr): boolean {
  switch (expr.kind) {
    case "element":
      return true;
    case "batch":
    case "int":
      return false;
    case "int-binary":
      return readsElement(expr.a) || readsElement(expr.b);
    default:
      return assertNever(expr, "index expression");
  }
}

export function loads(expr: ElementExpr): boolean {
  switch (expr.kind) {
    case "load":
      return true;
    case "const":
    case "local":
    case "from-index":
      return false;
    case "unary":
      return loads(expr.x);
    case "binary":
    case "compare":
      return loads(expr.a) || loads(expr.b);
    case "select":
      return loads(expr.condition) || loads(expr.then) || loads(expr.otherwise);
    default:
      return assertNever(expr, "element expression");
  }
}

/** `C` where the index is `i % C` for a constant C > 0, else undefined. */
export function elementModulo(expr: IndexExpr): number | undefined {
  return expr.kind === "int-binary" &&
    expr.op === "imod" &&
    expr.a.kind === "element" &&
    expr.b.kind === "int" &&
    expr.b.value > 0
    ? expr.b.value
    : undefined;
}

/** The locals an index expression reads: the element `i + lane` and the batch size. */
export interface IndexAt {
  readonly i: Local;
  readonly n: Local;
  readonly lane: number;
}

/**
 * Pushes an index expression as an i32 (values below 2^31); a division or remainder by a
 * non-constant that is 0 gives 0 rather than trapping.
 */
export function printIndex(code: CodeBuilder, expr: IndexExpr, at: IndexAt): void {
  switch (expr.kind) {
    case "element":
      code.get(at.i);
      if (at.lane !== 0) code.i32(at.lane).op("i32.add");
      return;
    case "batch":
      code.get(at.n);
      return;
    case "int":
      code.i32(expr.value);
      return;
    case "int-binary": {
      const op = {
        iadd: "i32.add",
        isub: "i32.sub",
        imul: "i32.mul",
        idiv: "i32.div_s",
        imod: "i32.rem_s",
      } as const satisfies Record<typeof expr.op, SimpleOp>;
      const divides = expr.op === "idiv" || expr.op === "imod";
      if (divides && !(expr.b.kind === "int" && expr.b.value !== 0)) {
        // a / (b || 1), then 0 where b is 0: never a trap
        const b = code.local("i32");
        printIndex(code, expr.b, at);
        code.set(b);
        printIndex(code, expr.a, at);
        code.get(b).get(b).op("i32.eqz").op("i32.add").op(op[expr.op]);
        code.i32(0).get(b).op("select");
        return;
      }
      printIndex(code, expr.a, at);
      printIndex(code, expr.b, at);
      code.op(op[expr.op]);
      return;
    }
    default:
      assertNever(expr, "index expression");
  }
}
