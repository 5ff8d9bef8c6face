/**
 * The wasm function of one kernel (see print-wasm.ts for the module and what each precision
 * computes). Element lets are computed in the module's arithmetic: f64 (f64x2 lanes, two
 * elements an iteration) for f64 buffers, f32 (f32x4 lanes, four an iteration) for f32 buffers;
 * then a scalar loop does the rest. Loop-invariant lets (counts of elements, computed once per
 * call) are computed in f64 in both, then rounded to f32 for the f32 loop.
 *
 * Assumes: loads are in bounds wherever the JavaScript evaluates them; imported math is in
 * `imports` and the f32 vector math in `vectorMath` for every function the lets call.
 */
import type { Precision } from "../../runtime/backend.js";
import type { KernelMathName } from "../../runtime/wasm/kernels.js";
import type { CodeBuilder, FunctionRef, Local } from "../../runtime/wasm/writer.js";
import { assertNever } from "../assert.js";
import { loopInvariantLets } from "./invariant.js";
import type { ElementExpr, IndexExpr, Kernel, UnaryMath } from "./types.js";
import {
  binaryInstruction,
  elementModulo,
  printIndex,
  f64x2Bytes,
  importOf,
  loads,
  readsElement,
  unaryInstruction,
  vectorMathOf,
  vectorSafe,
} from "./wasm-lowering.js";
import { type VectorMathName, emitVectorMath, f32x4Bytes } from "./wasm-math.js";

/** The scalar arithmetic of an expression: f64 as the JavaScript body, or f32. */
type Scalar = "f32" | "f64";

/** Where a scalar expression is computed: the element `i + lane`, reading lets how. */
interface ScalarAt {
  readonly lane: number;
  /** Lets that are not invariant are read from lane `lane` of their vector locals. */
  readonly fromVector: boolean;
  /** The arithmetic: f64 for invariant lets, else the module's. */
  readonly type: Scalar;
}

export class KernelPrinter {
  private readonly begin: Local;
  private readonly end: Local;
  private readonly n: Local;
  private readonly offsets: readonly Local[];
  private readonly i: Local;
  private readonly invariant: ReadonlySet<number>;
  /** The module's arithmetic, its vector shape and lane count. */
  private readonly type: Scalar;
  private readonly vectorType: "f32x4" | "f64x2";
  private readonly lanes: 2 | 4;
  /** Each invariant let's double. */
  private readonly wideLets: readonly Local[];
  /** Each let's scalar (in the scalar loop; invariant lets rounded to the module's type). */
  private readonly scalarLets: readonly Local[];
  /** Each let's lanes in the vector loop (invariant lets splatted). */
  private readonly vectorLets: readonly Local[];
  private readonly shift: number;

  constructor(
    private readonly kernel: Kernel,
    private readonly precision: Precision,
    private readonly code: CodeBuilder,
    params: readonly Local[],
    private readonly imports: ReadonlyMap<KernelMathName, FunctionRef>,
    private readonly vectorMath: ReadonlyMap<VectorMathName, FunctionRef>,
  ) {
    [this.begin, this.end, this.n] = params as [Local, Local, Local];
    this.offsets = params.slice(3);
    this.i = code.local("i32");
    this.invariant = loopInvariantLets(kernel);
    this.type = precision;
    this.vectorType = precision === "f32" ? "f32x4" : "f64x2";
    this.lanes = precision === "f32" ? 4 : 2;
    this.scalarLets = kernel.lets.map(() => code.local(this.type));
    this.wideLets =
      this.type === "f64" ? this.scalarLets : kernel.lets.map(() => code.local("f64"));
    this.vectorLets = kernel.lets.map(() => code.local("v128"));
    this.shift = precision === "f32" ? 2 : 3;
  }

  print(): void {
    const { code, kernel } = this;
    kernel.lets.forEach((let_, index) => {
      if (!this.invariant.has(index)) return;
      this.scalar(let_.value, { lane: 0, fromVector: false, type: "f64" });
      if (this.type === "f32") code.tee(this.wideLets[index]!).op("f32.demote_f64");
      code.tee(this.scalarLets[index]!).op(`${this.vectorType}.splat`);
      code.set(this.vectorLets[index]!);
    });
    code.get(this.begin).set(this.i);
    if (vectorSafe(kernel)) this.loop(this.lanes);
    this.loop(1);
  }

  /** `while (i + lanes - 1 < end) { lets; stores; i += lanes }`. */
  private loop(lanes: number): void {
    const { code, kernel } = this;
    const vector = lanes > 1;
    const exit = code.block();
    const top = code.loop();
    code.get(this.i);
    if (vector) code.i32(lanes - 1).op("i32.add");
    code.get(this.end).op("i32.ge_s").brIf(exit);
    kernel.lets.forEach((let_, index) => {
      if (this.invariant.has(index)) return;
      if (vector) {
        this.vector(let_.value);
        code.set(this.vectorLets[index]!);
      } else {
        this.scalar(let_.value, { lane: 0, fromVector: false, type: this.type });
        code.set(this.scalarLets[index]!);
      }
    });
    for (const store of kernel.stores) {
      this.address(store.buffer, () => code.get(this.i));
      if (vector) {
        code.get(this.vectorLets[store.local]!);
        code.mem("v128.store", { align: this.precision === "f32" ? 4 : 8 });
      } else {
        code.get(this.scalarLets[store.local]!);
        code.mem(`${this.type}.store`);
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

  /** Pushes one element's value as a scalar of type `at.type`. */
  private scalar(expr: ElementExpr, at: ScalarAt): void {
    const { code } = this;
    const t = at.type;
    switch (expr.kind) {
      case "const":
        if (t === "f64") code.f64(expr.value);
        else code.f32(expr.value);
        return;
      case "load":
        this.address(expr.buffer, () => this.index(expr.index, at));
        code.mem(`${this.precision}.load`);
        if (this.precision === "f32" && t === "f64") code.op("f64.promote_f32");
        return;
      case "local":
        if (this.invariant.has(expr.index)) {
          code.get((t === "f64" ? this.wideLets : this.scalarLets)[expr.index]!);
        } else if (at.fromVector) {
          code.get(this.vectorLets[expr.index]!).lane(`${this.vectorType}.extract_lane`, at.lane);
        } else code.get(this.scalarLets[expr.index]!);
        return;
      case "from-index":
        this.index(expr.value, at);
        code.op(`${t}.convert_i32_s`);
        return;
      case "unary": {
        this.scalar(expr.x, at);
        this.scalarUnary(expr.op, t);
        return;
      }
      case "binary":
        if (expr.op === "pow") {
          this.scalar(expr.a, at);
          if (t === "f32") code.op("f64.promote_f32");
          this.scalar(expr.b, at);
          if (t === "f32") code.op("f64.promote_f32");
          code.call(this.imports.get("pow")!);
          if (t === "f32") code.op("f32.demote_f64");
          return;
        }
        this.scalar(expr.a, at);
        this.scalar(expr.b, at);
        code.op(`${t}.${binaryInstruction[expr.op]}`);
        return;
      case "compare":
        this.scalarCondition(expr, at);
        code.op(`${t}.convert_i32_u`);
        return;
      case "select":
        // only the taken branch is computed, as in the JavaScript conditional
        this.scalarCondition(expr.condition, at);
        code.if(t);
        this.scalar(expr.then, at);
        code.else();
        this.scalar(expr.otherwise, at);
        code.end();
        return;
      default:
        assertNever(expr, "element expression");
    }
  }

  /** Applies a unary op to the scalar of type `t` on the stack. */
  private scalarUnary(op: UnaryMath, t: Scalar): void {
    const { code } = this;
    if (op === "neg" || op === "sqrt" || op === "abs") {
      code.op(`${t}.${unaryInstruction[op]}`);
      return;
    }
    if (op === "sign") {
      // Math.sign: copysign(1, x) where x < 0 or x > 0; x itself for ±0 and NaN
      const x = code.local(t);
      code.set(x);
      if (t === "f64") code.f64(1);
      else code.f32(1);
      code.get(x).op(`${t}.copysign`).get(x);
      const zero = (): void => void (t === "f64" ? code.f64(0) : code.f32(0));
      code.get(x);
      zero();
      code.op(`${t}.lt`).get(x);
      zero();
      code.op(`${t}.gt`).op("i32.or").op("select");
      return;
    }
    const vector = vectorMathOf(op);
    if (t === "f32" && vector !== undefined) {
      code.op("f32x4.splat").call(this.vectorMath.get(vector)!).lane("f32x4.extract_lane", 0);
      return;
    }
    if (t === "f32") code.op("f64.promote_f32");
    code.call(this.imports.get(importOf(op)!)!);
    if (t === "f32") code.op("f32.demote_f64");
  }

  /** Pushes an i32: 1 where `expr` (a comparison, or a number compared with 0) holds. */
  private scalarCondition(expr: ElementExpr, at: ScalarAt): void {
    const t = at.type;
    if (expr.kind === "compare") {
      this.scalar(expr.a, at);
      this.scalar(expr.b, at);
      this.code.op(`${t}.${expr.op}`);
    } else {
      this.scalar(expr, at);
      if (t === "f64") this.code.f64(0);
      else this.code.f32(0);
      this.code.op(`${t}.ne`);
    }
  }

  /** `value` in every lane, as v128.const. */
  private splat(value: number): void {
    if (this.type === "f32") this.code.v128(f32x4Bytes(value));
    else this.code.v128(f64x2Bytes(value));
  }

  /** Pushes elements `i` to `i + lanes - 1` as one vector. */
  private vector(expr: ElementExpr): void {
    const { code } = this;
    const v = this.vectorType;
    switch (expr.kind) {
      case "const":
        this.splat(expr.value);
        return;
      case "load":
        if (expr.index.kind === "element") {
          this.address(expr.buffer, () => code.get(this.i));
          code.mem("v128.load", { align: this.precision === "f32" ? 4 : 8 });
        } else if (!readsElement(expr.index)) {
          this.scalar(expr, { lane: 0, fromVector: true, type: this.type });
          code.op(`${v}.splat`);
        } else {
          const period = elementModulo(expr.index);
          if (period !== undefined && period >= this.lanes) this.periodicLoad(expr, period);
          else this.perLane(expr);
        }
        return;
      case "local":
        code.get(this.vectorLets[expr.index]!);
        return;
      case "from-index":
        if (readsElement(expr.value)) this.perLane(expr);
        else {
          this.scalar(expr, { lane: 0, fromVector: true, type: this.type });
          code.op(`${v}.splat`);
        }
        return;
      case "unary": {
        const op = expr.op;
        if (op === "neg" || op === "sqrt" || op === "abs") {
          this.vector(expr.x);
          code.op(`${v}.${unaryInstruction[op]}`);
        } else if (op === "sign") {
          const x = code.local("v128");
          this.vector(expr.x);
          code.set(x);
          // copysign(1, x): the sign bit from x, the rest from 1
          code.get(x);
          this.splat(1);
          this.splat(-0);
          code.op("v128.bitselect").get(x);
          code.get(x);
          this.splat(0);
          code.op(`${v}.lt`).get(x);
          this.splat(0);
          code.op(`${v}.gt`).op("v128.or").op("v128.bitselect");
        } else {
          const vector = vectorMathOf(op);
          if (this.type === "f32" && vector !== undefined) {
            this.vector(expr.x);
            emitVectorMath(code, vector);
          } else this.perLane(expr);
        }
        return;
      }
      case "binary":
        if (expr.op === "pow") this.perLane(expr);
        else {
          this.vector(expr.a);
          this.vector(expr.b);
          code.op(`${v}.${binaryInstruction[expr.op]}`);
        }
        return;
      case "compare":
        this.vectorMask(expr);
        this.splat(1);
        code.op("v128.and");
        return;
      case "select":
        if (loads(expr.then) || loads(expr.otherwise)) {
          this.perLane(expr);
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

  /**
   * A load at `i % period` (a bias broadcast over rows): one vector load where the lanes'
   * indices `r .. r + lanes - 1` do not wrap (`r = i % period <= period - lanes`), else per lane.
   */
  private periodicLoad(expr: ElementExpr & { kind: "load" }, period: number): void {
    const { code } = this;
    const r = code.local("i32");
    code
      .get(this.i)
      .i32(period)
      .op("i32.rem_s")
      .tee(r)
      .i32(period - this.lanes)
      .op("i32.le_s");
    code.if("v128");
    this.address(expr.buffer, () => code.get(r));
    code.mem("v128.load", { align: this.precision === "f32" ? 4 : 8 });
    code.else();
    this.perLane(expr);
    code.end();
  }

  /** Pushes a lane mask: all ones where `expr` (a comparison, or a number !== 0) holds. */
  private vectorMask(expr: ElementExpr): void {
    const v = this.vectorType;
    if (expr.kind === "compare") {
      this.vector(expr.a);
      this.vector(expr.b);
      this.code.op(`${v}.${expr.op}`);
    } else {
      this.vector(expr);
      this.splat(0);
      this.code.op(`${v}.ne`);
    }
  }

  /**
   * Each lane computed as a scalar expression at its own element (index maps, imported math,
   * selects whose branches load): the operands that are whole vectors are computed once.
   */
  private perLane(expr: ElementExpr): void {
    const { code } = this;
    const v = this.vectorType;
    const at = (lane: number): ScalarAt => ({ lane, fromVector: true, type: this.type });
    if (expr.kind === "unary" || expr.kind === "binary") {
      // the operands as vectors, then the op per lane
      const operands = expr.kind === "unary" ? [expr.x] : [expr.a, expr.b];
      const temps = operands.map((operand) => {
        const temp = code.local("v128");
        this.vector(operand);
        code.set(temp);
        return temp;
      });
      for (let lane = 0; lane < this.lanes; lane++) {
        if (expr.kind === "unary") {
          code.get(temps[0]!).lane(`${v}.extract_lane`, lane);
          this.scalarUnary(expr.op, this.type);
        } else {
          for (const temp of temps) {
            code.get(temp).lane(`${v}.extract_lane`, lane);
            if (this.type === "f32") code.op("f64.promote_f32");
          }
          code.call(this.imports.get("pow")!);
          if (this.type === "f32") code.op("f32.demote_f64");
        }
        if (lane === 0) code.op(`${v}.splat`);
        else code.lane(`${v}.replace_lane`, lane);
      }
      return;
    }
    for (let lane = 0; lane < this.lanes; lane++) {
      this.scalar(expr, at(lane));
      if (lane === 0) code.op(`${v}.splat`);
      else code.lane(`${v}.replace_lane`, lane);
    }
  }

  /** Pushes an index expression as an i32, at element `i + at.lane`. */
  private index(expr: IndexExpr, at: ScalarAt): void {
    printIndex(this.code, expr, { i: this.i, n: this.n, lane: at.lane });
  }
}
