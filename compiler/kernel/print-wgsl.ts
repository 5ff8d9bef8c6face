/**
 * The WGSL printer of the kernel IR: one compute shader per kernel for the WebGPU backend
 * (runtime/webgpu), beside the JavaScript and wasm printers.
 *
 * Contract with the backend (runtime/webgpu/webgpu-backend.ts): the shader follows the runtime's
 * prelude (runtime/webgpu/wgsl-prelude.ts: the arena `mem: array<f32>` at binding 0, the uniform
 * `p: Params` at binding 1) and declares `struct Params { size, n, o0, o1, ... }` (all u32): the
 * element count, the batch size and each buffer's offset in the arena, in the kernel's buffer
 * order. One invocation per element; the 1-D grid may fold into Y (`override WORKGROUP_SIZE`,
 * 64 unless the backend sets it from the device's limits).
 *
 * Guarantees: f32 arithmetic (each operation rounded, as the wasm f32 printer and PyTorch on
 * f32 tensors), JavaScript's NaN semantics kept where WGSL does not promise them: NaN is tested
 * on the bits; `max`/`min` propagate it; comparisons are false on NaN (`ne` true); a `select`
 * condition is true on NaN; `exp`, `log`, `sqrt`, `sign`, `tanh`, `expm1`, `log1p`, `erf` and
 * `pow` are runtime/webgpu/wgsl-math.ts's. Index arithmetic is u32 (values are below 2^31).
 *
 * A subtree of constants alone is folded (evaluateElement, in doubles, then rounded once): WGSL
 * would fold it in f32 at shader creation and reject a non-finite result.
 *
 * Assumes: every output element depends only on loads of inputs, and no stored buffer is loaded
 * at an index other than the element's own (invocations run concurrently).
 */
import type { WgslMathName } from "../../runtime/webgpu/wgsl-math.js";
import { assertNever } from "../assert.js";
import { constantEnv, evaluateElement } from "./evaluate.js";
import type { BinaryMath, ElementExpr, IndexExpr, Kernel, UnaryMath } from "./types.js";

/**
 * The WGSL source of `kernel`: its `Params` and `main`. The backend prepends the runtime's
 * prelude and appends its math functions (runtime/webgpu/wgsl-math.ts), which the shader calls.
 */
export function printKernelWgsl(kernel: Kernel): string {
  const locals = kernel.lets.map((l, index) => localName(l.name, index));
  const lines = kernel.lets.map(
    (l, index) => `  let ${locals[index]!}: f32 = ${element(l.value, locals)};`,
  );
  for (const store of kernel.stores) {
    lines.push(`  mem[p.o${store.buffer} + i] = ${locals[store.local]!};`);
  }
  const fields = ["size", "n", ...kernel.buffers.map((_, b) => `o${b}`)];
  const buffers = kernel.buffers.map((name, b) => `o${b} = ${name}`).join(", ");
  return [
    `// ${kernel.name}: ${buffers}`,
    `struct Params { ${fields.map((f) => `${f}: u32`).join(", ")} }`,
    `override WORKGROUP_SIZE: u32 = 64u;`,
    `@compute @workgroup_size(WORKGROUP_SIZE)`,
    `fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {`,
    `  let i = id.x + id.y * groups.x * WORKGROUP_SIZE;`,
    `  if (i >= p.size) { return; }`,
    `  let n = p.n;`,
    ...lines,
    `}`,
  ].join("\n");
}

/** A let's WGSL name: its IR name when that is a plain identifier, prefixed against keywords. */
function localName(name: string, index: number): string {
  return /^[A-Za-z][A-Za-z0-9_]*$/.test(name) ? `l_${name}` : `l${index}`;
}

/** A number as an f32 literal, or an expression of the prelude for the non-finite ones. */
export function f32Literal(value: number): string {
  const rounded = Math.fround(value);
  if (Number.isNaN(rounded)) return "nan_f32()";
  if (rounded === Infinity) return "inf_f32()";
  if (rounded === -Infinity) return "(-inf_f32())";
  if (Object.is(rounded, -0)) return "(-0.0f)";
  const text = String(rounded);
  const literal = `${text.includes(".") || text.includes("e") ? text : `${text}.0`}f`;
  return rounded < 0 ? `(${literal})` : literal;
}

const unaryCall: { readonly [op in UnaryMath]: WgslMathName | "abs" | "sin" | "cos" | null } = {
  neg: null,
  exp: "exp_f",
  log: "log_f",
  sqrt: "sqrt_f",
  abs: "abs",
  sign: "sign_f",
  sin: "sin",
  cos: "cos",
  tanh: "tanh_f",
  log1p: "log1p_f",
  expm1: "expm1_f",
  erf: "erf_f",
};

const binaryInfix: { readonly [op in BinaryMath]: string | null } = {
  add: "+",
  sub: "-",
  mul: "*",
  div: "/",
  pow: null,
  max: null,
  min: null,
};

/** Every compound expression is parenthesised: WGSL rejects some mixes of operators. */
function element(expr: ElementExpr, locals: readonly string[]): string {
  const sub = (e: ElementExpr) => element(e, locals);
  // WGSL evaluates an expression of constants when it compiles the shader, and a result that is
  // not a finite f32 (`1.0f / 0.0f`) is an error there: such a subtree is folded here instead
  if (expr.kind !== "const" && constantOnly(expr)) {
    return f32Literal(evaluateElement(expr, constantEnv));
  }
  switch (expr.kind) {
    case "const":
      return f32Literal(expr.value);
    case "load":
      return `mem[p.o${expr.buffer} + ${index(expr.index)}]`;
    case "local":
      return locals[expr.index]!;
    case "from-index":
      return `f32(${index(expr.value)})`;
    case "unary": {
      const call = unaryCall[expr.op];
      if (call === null) return `(-${sub(expr.x)})`;
      return `${call}(${sub(expr.x)})`;
    }
    case "binary": {
      const op = binaryInfix[expr.op];
      const [a, b] = [sub(expr.a), sub(expr.b)];
      if (op !== null) return `(${a} ${op} ${b})`;
      return `${expr.op === "pow" ? "pow_f" : expr.op === "max" ? "max_nan" : "min_nan"}(${a}, ${b})`;
    }
    case "compare":
      return `select(0.0f, 1.0f, ${condition(expr, sub)})`;
    case "select":
      return `select(${sub(expr.otherwise)}, ${sub(expr.then)}, ${condition(expr.condition, sub)})`;
    default:
      return assertNever(expr, "element expression");
  }
}

/** Whether an expression reads no buffer, local or index: a tree of constants. */
function constantOnly(expr: ElementExpr): boolean {
  switch (expr.kind) {
    case "const":
      return true;
    case "load":
    case "local":
    case "from-index":
      return false;
    case "unary":
      return constantOnly(expr.x);
    case "binary":
    case "compare":
      return constantOnly(expr.a) && constantOnly(expr.b);
    case "select":
      return (
        constantOnly(expr.condition) && constantOnly(expr.then) && constantOnly(expr.otherwise)
      );
    default:
      return assertNever(expr, "element expression");
  }
}

/** A boolean: a comparison false on NaN (`ne` true), or `x != 0` true on NaN. */
function condition(expr: ElementExpr, sub: (e: ElementExpr) => string): string {
  if (expr.kind === "compare") return `${expr.op}_f(${sub(expr.a)}, ${sub(expr.b)})`;
  return `nonzero_f(${sub(expr)})`;
}

function index(expr: IndexExpr): string {
  switch (expr.kind) {
    case "element":
      return "i";
    case "batch":
      return "n";
    case "int":
      return `${expr.value}u`;
    case "int-binary": {
      const op = { iadd: "+", isub: "-", imul: "*", idiv: "/", imod: "%" }[expr.op];
      return `(${index(expr.a)} ${op} ${index(expr.b)})`;
    }
    default:
      return assertNever(expr, "index expression");
  }
}
