/**
 * The WebAssembly printer of the kernel IR: one function per kernel, all of a model's kernels in
 * one module per precision (the contract is runtime/wasm/kernels.ts).
 *
 * Each function is `(begin, end, n, ...byteOffsets)` (all i32) and computes elements
 * `[begin, end)`, so a backend may split a kernel over threads. It computes exactly what the
 * JavaScript printer's body does, bit for bit: numbers are doubles (f64, two elements per
 * iteration in f64x2 lanes, then a scalar tail), f32 buffers are promoted on load and rounded
 * on store (`f32.demote_f64` rounds as a Float32Array store does); `exp`, `log`, `tanh`, `pow`,
 * `erf`... are the very JavaScript functions, imported and called per lane; `max`/`min` are
 * wasm's, which propagate NaN and order -0 below +0 as `Math.max`/`Math.min` do; comparisons
 * give 1 or 0 and are false on NaN (`ne` true); `select` tests `x !== 0` (NaN is true). Integer
 * index arithmetic is i32, as index values are below 2^31; a division or remainder by a
 * non-constant that is 0 gives 0 rather than trapping (the JavaScript gives 0 and NaN there).
 *
 * Assumes: loads are in bounds wherever the JavaScript evaluates them. The vector loop
 * evaluates both branches of a `select` unless a branch loads (such a select, e.g. concat's, is
 * computed lane by lane with only the taken branch), and it computes two elements' lets before
 * storing either, so it is used only when no stored buffer is loaded at an index other than
 * the element's own (an update in place reads `x[i]` and writes `x[i]`, which is safe);
 * otherwise the function is the scalar loop alone.
 */
import type { Precision } from "../../runtime/backend.js";
import {
  KERNEL_MATH_MODULE,
  KERNEL_MEMORY,
  type KernelMathName,
  kernelMath,
} from "../../runtime/wasm/kernels.js";
import {
  type CodeBuilder,
  type FunctionRef,
  type Local,
  ModuleBuilder,
  type SimpleOp,
  type ValueType,
} from "../../runtime/wasm/writer.js";
import { assertNever } from "../assert.js";
import { loopInvariantLets } from "./invariant.js";
import type { BinaryMath, Comparison, ElementExpr, IndexExpr, Kernel, UnaryMath } from "./types.js";

/**
 * The module of `kernels` for buffers of `precision`: kernel `k` exported as `String(k)`.
 */
export function printKernelsWasm(kernels: readonly Kernel[], precision: Precision): Uint8Array {
  const m = new ModuleBuilder();
  // not shared, no maximum: the runtime rewrites it for a shared memory (runtime/wasm/kernels.ts)
  m.importMemory(KERNEL_MEMORY.module, KERNEL_MEMORY.field, { initial: 0 });
  const used = new Set<KernelMathName>();
  for (const kernel of kernels) for (const l of kernel.lets) mathCalls(l.value, used);
  const math = new Map<KernelMathName, FunctionRef>();
  for (const name of Object.keys(kernelMath) as KernelMathName[]) {
    if (!used.has(name)) continue;
    const params = name === "pow" ? (["f64", "f64"] as const) : (["f64"] as const);
    math.set(name, m.importFunction(KERNEL_MATH_MODULE, name, { params, results: ["f64"] }));
  }
  kernels.forEach((kernel, index) => {
    const params = [0, 0, 0, ...kernel.buffers].map((): ValueType => "i32");
    m.function(
      kernel.name,
      { params, results: [] },
      (code, locals) => new KernelPrinter(kernel, precision, code, locals, math).print(),
      { export: String(index) },
    );
  });
  return m.bytes();
}

/**
 * How each unary op is computed: an imported JavaScript function called per lane, one exact
 * wasm instruction (negation, absolute value, IEEE square root), or `Math.sign` written out.
 */
type UnaryLowering =
  | { readonly kind: "import"; readonly name: KernelMathName }
  | { readonly kind: "instruction"; readonly scalar: SimpleOp; readonly vector: SimpleOp }
  | { readonly kind: "sign" };

const imported = (name: KernelMathName): UnaryLowering => ({ kind: "import", name });
const instruction = (scalar: SimpleOp, vector: SimpleOp): UnaryLowering => ({
  kind: "instruction",
  scalar,
  vector,
});

const unaryLowering: { readonly [op in UnaryMath]: UnaryLowering } = {
  neg: instruction("f64.neg", "f64x2.neg"),
  exp: imported("exp"),
  log: imported("log"),
  sqrt: instruction("f64.sqrt", "f64x2.sqrt"),
  abs: instruction("f64.abs", "f64x2.abs"),
  sign: { kind: "sign" },
  sin: imported("sin"),
  cos: imported("cos"),
  tanh: imported("tanh"),
  log1p: imported("log1p"),
  expm1: imported("expm1"),
  erf: imported("erf"),
};

/** Binary ops as wasm instructions; `pow` is the imported `Math.pow`. */
const binaryInstruction: {
  readonly [op in BinaryMath]: { readonly scalar: SimpleOp; readonly vector: SimpleOp } | null;
} = {
  add: { scalar: "f64.add", vector: "f64x2.add" },
  sub: { scalar: "f64.sub", vector: "f64x2.sub" },
  mul: { scalar: "f64.mul", vector: "f64x2.mul" },
  div: { scalar: "f64.div", vector: "f64x2.div" },
  // IEEE 754-2019 maximum/minimum: NaN if either is NaN, -0 < +0, as Math.max/Math.min
  max: { scalar: "f64.max", vector: "f64x2.max" },
  min: { scalar: "f64.min", vector: "f64x2.min" },
  pow: null,
};

/** Comparisons: scalar ones give an i32 0 or 1, vector ones a lane mask of all ones or zeros. */
const comparisonInstruction: {
  readonly [op in Comparison]: { readonly scalar: SimpleOp; readonly vector: SimpleOp };
} = {
  lt: { scalar: "f64.lt", vector: "f64x2.lt" },
  gt: { scalar: "f64.gt", vector: "f64x2.gt" },
  le: { scalar: "f64.le", vector: "f64x2.le" },
  ge: { scalar: "f64.ge", vector: "f64x2.ge" },
  eq: { scalar: "f64.eq", vector: "f64x2.eq" },
  ne: { scalar: "f64.ne", vector: "f64x2.ne" },
};

/** Where a scalar expression is computed: the element `i + lane`, reading lets how. */
interface ScalarAt {
  readonly lane: number;
  /** Lets that are not invariant are read from lane `lane` of their vector locals. */
  readonly fromVector: boolean;
}

const TAIL: ScalarAt = { lane: 0, fromVector: false };

class KernelPrinter {
  private readonly begin: Local;
  private readonly end: Local;
  private readonly n: Local;
  private readonly offsets: readonly Local[];
  private readonly i: Local;
  private readonly invariant: ReadonlySet<number>;
  /** Each let's double (invariant lets, and every let in the scalar loop). */
  private readonly scalarLets: readonly Local[];
  /** Each let's pair of doubles in the vector loop (invariant lets splatted). */
  private readonly vectorLets: readonly Local[];
  private readonly shift: number;

  constructor(
    private readonly kernel: Kernel,
    private readonly precision: Precision,
    private readonly code: CodeBuilder,
    params: readonly Local[],
    private readonly math: ReadonlyMap<KernelMathName, FunctionRef>,
  ) {
    [this.begin, this.end, this.n] = params as [Local, Local, Local];
    this.offsets = params.slice(3);
    this.i = code.local("i32");
    this.invariant = loopInvariantLets(kernel);
    this.scalarLets = kernel.lets.map(() => code.local("f64"));
    this.vectorLets = kernel.lets.map(() => code.local("v128"));
    this.shift = precision === "f32" ? 2 : 3;
  }

  print(): void {
    const { code, kernel } = this;
    kernel.lets.forEach((let_, index) => {
      if (!this.invariant.has(index)) return;
      this.scalar(let_.value, TAIL);
      code.tee(this.scalarLets[index]!).op("f64x2.splat").set(this.vectorLets[index]!);
    });
    code.get(this.begin).set(this.i);
    if (vectorSafe(kernel)) this.loop(2);
    this.loop(1);
  }

  /** `while (i + lanes - 1 < end) { lets; stores; i += lanes }`. */
  private loop(lanes: 1 | 2): void {
    const { code, kernel } = this;
    const exit = code.block();
    const top = code.loop();
    code.get(this.i);
    if (lanes === 2) code.i32(1).op("i32.add");
    code.get(this.end).op("i32.ge_s").brIf(exit);
    kernel.lets.forEach((let_, index) => {
      if (this.invariant.has(index)) return;
      if (lanes === 2) {
        this.vector(let_.value);
        code.set(this.vectorLets[index]!);
      } else {
        this.scalar(let_.value, TAIL);
        code.set(this.scalarLets[index]!);
      }
    });
    for (const store of kernel.stores) {
      this.address(store.buffer, () => code.get(this.i));
      if (lanes === 2) {
        code.get(this.vectorLets[store.local]!);
        if (this.precision === "f32") {
          code
            .op("f32x4.demote_f64x2_zero")
            .lane("i64x2.extract_lane", 0)
            .mem("i64.store", { align: 4 });
        } else code.mem("v128.store", { align: 8 });
      } else {
        code.get(this.scalarLets[store.local]!);
        if (this.precision === "f32") code.op("f32.demote_f64").mem("f32.store");
        else code.mem("f64.store");
      }
    }
    code.get(this.i).i32(lanes).op("i32.add").set(this.i).br(top);
    code.end().end();
  }

  /** Pushes the byte address of element `index()` of buffer `buffer`. */
  private address(buffer: number, index: () => void): void {
    this.code.get(this.offsets[buffer]!);
    index();
    this.code.i32(this.shift).op("i32.shl").op("i32.add");
  }

  /** Pushes one element's value as an f64. */
  private scalar(expr: ElementExpr, at: ScalarAt): void {
    const { code } = this;
    switch (expr.kind) {
      case "const":
        code.f64(expr.value);
        return;
      case "load":
        this.address(expr.buffer, () => this.index(expr.index, at));
        if (this.precision === "f32") code.mem("f32.load").op("f64.promote_f32");
        else code.mem("f64.load");
        return;
      case "local":
        if (at.fromVector && !this.invariant.has(expr.index)) {
          code.get(this.vectorLets[expr.index]!).lane("f64x2.extract_lane", at.lane);
        } else code.get(this.scalarLets[expr.index]!);
        return;
      case "from-index":
        this.index(expr.value, at);
        code.op("f64.convert_i32_s");
        return;
      case "unary": {
        const lowering = unaryLowering[expr.op];
        if (lowering.kind === "import") {
          this.scalar(expr.x, at);
          code.call(this.math.get(lowering.name)!);
        } else if (lowering.kind === "instruction") {
          this.scalar(expr.x, at);
          code.op(lowering.scalar);
        } else {
          // Math.sign: copysign(1, x) where x < 0 or x > 0; x itself for ±0 and NaN
          const x = code.local("f64");
          this.scalar(expr.x, at);
          code.set(x).f64(1).get(x).op("f64.copysign").get(x);
          code.get(x).f64(0).op("f64.lt").get(x).f64(0).op("f64.gt").op("i32.or");
          code.op("select");
        }
        return;
      }
      case "binary": {
        this.scalar(expr.a, at);
        this.scalar(expr.b, at);
        const op = binaryInstruction[expr.op];
        if (op === null) code.call(this.math.get("pow")!);
        else code.op(op.scalar);
        return;
      }
      case "compare":
        this.scalarCondition(expr, at);
        code.op("f64.convert_i32_u");
        return;
      case "select":
        // only the taken branch is computed, as in the JavaScript conditional
        this.scalarCondition(expr.condition, at);
        code.if("f64");
        this.scalar(expr.then, at);
        code.else();
        this.scalar(expr.otherwise, at);
        code.end();
        return;
      default:
        assertNever(expr, "element expression");
    }
  }

  /** Pushes an i32: 1 where `expr` (a comparison, or a number compared with 0) holds. */
  private scalarCondition(expr: ElementExpr, at: ScalarAt): void {
    if (expr.kind === "compare") {
      this.scalar(expr.a, at);
      this.scalar(expr.b, at);
      this.code.op(comparisonInstruction[expr.op].scalar);
    } else {
      this.scalar(expr, at);
      this.code.f64(0).op("f64.ne");
    }
  }

  /** Pushes elements `i` and `i + 1` as an f64x2. */
  private vector(expr: ElementExpr): void {
    const { code } = this;
    switch (expr.kind) {
      case "const":
        code.v128(f64x2Bytes(expr.value));
        return;
      case "load":
        if (expr.index.kind === "element") {
          this.address(expr.buffer, () => code.get(this.i));
          if (this.precision === "f32") {
            code.mem("v128.load64_zero", { align: 4 }).op("f64x2.promote_low_f32x4");
          } else code.mem("v128.load", { align: 8 });
        } else if (!readsElement(expr.index)) {
          this.scalar(expr, { lane: 0, fromVector: true });
          code.op("f64x2.splat");
        } else this.lanes(expr);
        return;
      case "local":
        code.get(this.vectorLets[expr.index]!);
        return;
      case "from-index":
        if (readsElement(expr.value)) this.lanes(expr);
        else {
          this.scalar(expr, { lane: 0, fromVector: true });
          code.op("f64x2.splat");
        }
        return;
      case "unary": {
        const lowering = unaryLowering[expr.op];
        if (lowering.kind === "import") this.perLane(lowering.name, [expr.x]);
        else if (lowering.kind === "instruction") {
          this.vector(expr.x);
          code.op(lowering.vector);
        } else {
          const x = code.local("v128");
          this.vector(expr.x);
          code.set(x);
          // copysign(1, x): the sign bit from x, the rest from 1
          code.get(x).v128(f64x2Bytes(1)).v128(f64x2Bytes(-0)).op("v128.bitselect");
          code.get(x);
          code.get(x).v128(f64x2Bytes(0)).op("f64x2.lt");
          code.get(x).v128(f64x2Bytes(0)).op("f64x2.gt").op("v128.or");
          code.op("v128.bitselect");
        }
        return;
      }
      case "binary": {
        const op = binaryInstruction[expr.op];
        if (op === null) this.perLane("pow", [expr.a, expr.b]);
        else {
          this.vector(expr.a);
          this.vector(expr.b);
          code.op(op.vector);
        }
        return;
      }
      case "compare":
        this.vectorMask(expr);
        code.v128(f64x2Bytes(1)).op("v128.and");
        return;
      case "select":
        if (loads(expr.then) || loads(expr.otherwise)) {
          this.lanes(expr);
          return;
        }
        // no side effects and no loads in either branch: compute both, keep the taken one
        this.vector(expr.then);
        this.vector(expr.otherwise);
        this.vectorMask(expr.condition);
        code.op("v128.bitselect");
        return;
      default:
        assertNever(expr, "element expression");
    }
  }

  /** Pushes a lane mask: all ones where `expr` (a comparison, or a number !== 0) holds. */
  private vectorMask(expr: ElementExpr): void {
    if (expr.kind === "compare") {
      this.vector(expr.a);
      this.vector(expr.b);
      this.code.op(comparisonInstruction[expr.op].vector);
    } else {
      this.vector(expr);
      this.code.v128(f64x2Bytes(0)).op("f64x2.ne");
    }
  }

  /** An imported function of each lane: the arguments as vectors, then one call per lane. */
  private perLane(fn: KernelMathName, args: readonly ElementExpr[]): void {
    const { code } = this;
    const temps = args.map((arg) => {
      const temp = code.local("v128");
      this.vector(arg);
      code.set(temp);
      return temp;
    });
    const ref = this.math.get(fn)!;
    for (const lane of [0, 1]) {
      for (const temp of temps) code.get(temp).lane("f64x2.extract_lane", lane);
      code.call(ref);
      if (lane === 0) code.op("f64x2.splat");
      else code.lane("f64x2.replace_lane", 1);
    }
  }

  /** Each lane computed as a scalar expression at its own element. */
  private lanes(expr: ElementExpr): void {
    this.scalar(expr, { lane: 0, fromVector: true });
    this.code.op("f64x2.splat");
    this.scalar(expr, { lane: 1, fromVector: true });
    this.code.lane("f64x2.replace_lane", 1);
  }

  /** Pushes an index expression as an i32, at element `i + at.lane`. */
  private index(expr: IndexExpr, at: ScalarAt): void {
    const { code } = this;
    switch (expr.kind) {
      case "element":
        code.get(this.i);
        if (at.lane !== 0) code.i32(at.lane).op("i32.add");
        return;
      case "batch":
        code.get(this.n);
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
          this.index(expr.b, at);
          code.set(b);
          this.index(expr.a, at);
          code.get(b).get(b).op("i32.eqz").op("i32.add").op(op[expr.op]);
          code.i32(0).get(b).op("select");
          return;
        }
        this.index(expr.a, at);
        this.index(expr.b, at);
        code.op(op[expr.op]);
        return;
      }
      default:
        assertNever(expr, "index expression");
    }
  }
}

/** Two f64 lanes of `value`, as v128.const bytes. */
function f64x2Bytes(value: number): Uint8Array {
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  view.setFloat64(0, value, true);
  view.setFloat64(8, value, true);
  return bytes;
}

/** Whether two elements' lets may be computed before either is stored (see the module comment). */
function vectorSafe(kernel: Kernel): boolean {
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

function readsElement(expr: IndexExpr): boolean {
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

function loads(expr: ElementExpr): boolean {
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

/**
 * Whether the kernel calls an imported JavaScript math function for every element (a call per
 * lane from wasm costs more than the JavaScript loop's own call: the backend then runs the
 * kernel's JavaScript body, which computes the same bits). Calls in loop-invariant lets, made
 * once per kernel call, do not count.
 */
export function callsMathPerElement(kernel: Kernel): boolean {
  const invariant = loopInvariantLets(kernel);
  const used = new Set<KernelMathName>();
  kernel.lets.forEach((l, index) => {
    if (!invariant.has(index)) mathCalls(l.value, used);
  });
  return used.size > 0;
}

/** Adds the imported math functions `expr` calls to `used`. */
function mathCalls(expr: ElementExpr, used: Set<KernelMathName>): void {
  switch (expr.kind) {
    case "const":
    case "load":
    case "local":
    case "from-index":
      return;
    case "unary": {
      const lowering = unaryLowering[expr.op];
      if (lowering.kind === "import") used.add(lowering.name);
      mathCalls(expr.x, used);
      return;
    }
    case "binary":
      if (expr.op === "pow") used.add("pow");
      mathCalls(expr.a, used);
      mathCalls(expr.b, used);
      return;
    case "compare":
      mathCalls(expr.a, used);
      mathCalls(expr.b, used);
      return;
    case "select":
      mathCalls(expr.condition, used);
      mathCalls(expr.then, used);
      mathCalls(expr.otherwise, used);
      return;
    default:
      assertNever(expr, "element expression");
  }
}
