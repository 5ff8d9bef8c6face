/**
 * What the wasm printer decides about a kernel before printing it: which unary ops are f32
 * polynomials in wasm and which are imported, whether a kernel's vector loop is safe, and the
 * structural queries its lowering asks of expressions.
 */
import type { KernelMathName } from "../../runtime/wasm/kernels.js";
import { assertNever } from "../assert.js";
import type { ElementExpr, IndexExpr, Kernel, UnaryMath } from "./types.js";
import type { VectorMathName } from "./wasm-math.js";

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
