/**
 * The WebAssembly printer of the kernel IR: one function per kernel, all of a model's kernels in
 * one module per precision (the contract is runtime/wasm/kernels.ts).
 *
 * Each function is `(begin, end, n, ...byteOffsets)` (all i32) and computes elements
 * `[begin, end)`, so a backend may split a kernel over threads (wasm-kernel-printer.ts).
 *
 * - f64 modules compute exactly what the JavaScript printer's body does, bit for bit: doubles in
 *   f64x2 lanes, `exp`, `log`, `tanh`, `pow`, `erf`... being the very JavaScript functions,
 *   imported and called per lane.
 * - f32 modules compute in f32, as PyTorch does on f32 tensors: f32x4 lanes, each operation
 *   rounded to f32; `exp`, `log`, `tanh`, `expm1`, `log1p` and `erf` are f32 polynomials in wasm
 *   (wasm-math.ts, a few ULP); `sin`, `cos` and `pow` are the JavaScript functions, called per
 *   lane on the promoted operands and rounded. Loop-invariant lets (counts of elements) are
 *   computed once in f64, as in the JavaScript, and rounded to f32.
 *
 * In both: `max`/`min` are wasm's, which propagate NaN and order -0 below +0 as
 * `Math.max`/`Math.min` do; comparisons give 1 or 0 and are false on NaN (`ne` true); `select`
 * tests `x !== 0` (NaN is true). Integer index arithmetic is i32, as index values are below
 * 2^31; a division or remainder by a non-constant that is 0 gives 0 rather than trapping (the
 * JavaScript gives 0 and NaN there).
 *
 * Assumes: loads are in bounds wherever the JavaScript evaluates them. The vector loop
 * evaluates both branches of a `select` unless a branch loads (such a select, e.g. concat's, is
 * computed lane by lane with only the taken branch), and it computes a vector's lets before
 * storing any of its elements, so it is used only when no stored buffer is loaded at an index
 * other than the element's own (an update in place reads `x[i]` and writes `x[i]`, which is
 * safe); otherwise the function is the scalar loop alone.
 */
import type { Precision } from "../../runtime/backend.js";
import {
  KERNEL_MATH_MODULE,
  KERNEL_MEMORY,
  type KernelMathName,
  kernelMath,
} from "../../runtime/wasm/kernels.js";
import { type FunctionRef, ModuleBuilder, type ValueType } from "../../runtime/wasm/writer.js";
import { assertNever } from "../assert.js";
import { loopInvariantLets } from "./invariant.js";
import type { ElementExpr, Kernel } from "./types.js";
import { KernelPrinter } from "./wasm-kernel-printer.js";
import { importOf, vectorMathOf } from "./wasm-lowering.js";
import { type VectorMathName, defineVectorMath } from "./wasm-math.js";

/**
 * The module of `kernels` for buffers of `precision`: kernel `k` exported as `String(k)`.
 */
export function printKernelsWasm(kernels: readonly Kernel[], precision: Precision): Uint8Array {
  const m = new ModuleBuilder();
  // not shared, no maximum: the runtime rewrites it for a shared memory (runtime/wasm/kernels.ts)
  m.importMemory(KERNEL_MEMORY.module, KERNEL_MEMORY.field, { initial: 0 });
  const used = { imports: new Set<KernelMathName>(), vector: new Set<VectorMathName>() };
  for (const kernel of kernels) mathOf(kernel, precision, used);
  const imports = new Map<KernelMathName, FunctionRef>();
  for (const name of Object.keys(kernelMath) as KernelMathName[]) {
    if (!used.imports.has(name)) continue;
    const params = name === "pow" ? (["f64", "f64"] as const) : (["f64"] as const);
    imports.set(name, m.importFunction(KERNEL_MATH_MODULE, name, { params, results: ["f64"] }));
  }
  const vectorMath = defineVectorMath(m, used.vector);
  kernels.forEach((kernel, index) => {
    const params = [0, 0, 0, ...kernel.buffers].map((): ValueType => "i32");
    m.function(
      kernel.name,
      { params, results: [] },
      (code, locals) =>
        new KernelPrinter(kernel, precision, code, locals, imports, vectorMath).print(),
      { export: String(index) },
    );
  });
  return m.bytes();
}

/** The math a module's kernels call: JavaScript imports and f32 vector functions. */
interface MathUse {
  readonly imports: Set<KernelMathName>;
  readonly vector: Set<VectorMathName>;
}

/**
 * Adds the math `kernel` calls in a module of `precision`: invariant lets are computed in f64
 * and call the imports; element lets call the f32 vector functions in f32 modules where one
 * exists, the imports otherwise.
 */
function mathOf(kernel: Kernel, precision: Precision, used: MathUse): void {
  const invariant = loopInvariantLets(kernel);
  kernel.lets.forEach((l, index) => {
    mathCalls(l.value, (op) => {
      const vector = vectorMathOf(op);
      if (precision === "f32" && vector !== undefined && !invariant.has(index)) {
        used.vector.add(vector);
      } else used.imports.add(op);
    });
  });
}

/**
 * Whether the kernel calls an imported JavaScript math function for every element of an f32
 * module (`sin`, `cos`, `pow`: a call per lane from wasm costs more than the JavaScript loop's
 * own call, so the backend runs the kernel's JavaScript body). Calls in loop-invariant lets,
 * made once per kernel call, do not count; the other transcendentals are f32 polynomials in
 * wasm. (An f64 module calls its imports per lane for those too: slower than its JavaScript
 * body, the same bits.)
 */
export function callsMathPerElement(kernel: Kernel): boolean {
  const invariant = loopInvariantLets(kernel);
  let calls = false;
  kernel.lets.forEach((l, index) => {
    if (invariant.has(index)) return;
    mathCalls(l.value, (op) => {
      if (vectorMathOf(op) === undefined) calls = true;
    });
  });
  return calls;
}

/** Calls `found` with each imported math function `expr` calls (`pow` included). */
function mathCalls(expr: ElementExpr, found: (name: KernelMathName) => void): void {
  switch (expr.kind) {
    case "const":
    case "load":
    case "local":
    case "from-index":
      return;
    case "unary": {
      const name = importOf(expr.op);
      if (name !== undefined) found(name);
      mathCalls(expr.x, found);
      return;
    }
    case "binary":
      if (expr.op === "pow") found("pow");
      mathCalls(expr.a, found);
      mathCalls(expr.b, found);
      return;
    case "compare":
      mathCalls(expr.a, found);
      mathCalls(expr.b, found);
      return;
    case "select":
      mathCalls(expr.condition, found);
      mathCalls(expr.then, found);
      mathCalls(expr.otherwise, found);
      return;
    default:
      assertNever(expr, "element expression");
  }
}
