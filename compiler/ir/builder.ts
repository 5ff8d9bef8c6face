import { invariant } from "../assert.js";
import type { RelatedInfo } from "../diagnostics/diagnostic.js";
import type { Span } from "../diagnostics/span.js";
import { allAxes } from "../ops/axes.js";
import type { AxisSet, NoAttrs, OpAttrs, OpKind, ShapeRule } from "../ops/types.js";
import { ops } from "../ops.js";
import { formatType } from "../shapes/dims.js";
import type { AnyEqn, Eqn, Operand, TensorType } from "./types.js";

/**
 * The one way to build IR: lowering, gradient rules, the optimizer and the passes all append
 * equations through an `IrBuilder`, and write them with the algebra of `IrAlgebra`.
 */

/** Where appended equations say they come from: the source of the step that caused them. */
export interface Provenance {
  readonly origin: Span;
  readonly callSites: readonly RelatedInfo[];
  readonly layer: string | null;
}

/** An equation's own provenance, for the equations that replace or differentiate it. */
export function provenanceOf(eqn: AnyEqn): Provenance {
  return { origin: eqn.origin, callSites: eqn.callSites, layer: eqn.layer };
}

/** A named value as an operand; every appended equation's result is one. */
export type ValueOperand = Extract<Operand, { readonly kind: "value" }>;

type NoAttrOp = {
  [K in OpKind]: OpAttrs<K> extends NoAttrs ? K : never;
}[OpKind];

/** Ops of one operand without attributes that the algebra applies by name. */
export type UnaryOp = Extract<
  NoAttrOp,
  | "exp"
  | "log"
  | "sqrt"
  | "abs"
  | "sign"
  | "sin"
  | "cos"
  | "tanh"
  | "sigmoid"
  | "erf"
  | "log1p"
  | "relu"
>;

/** Ops of two operands without attributes that the algebra applies by name. */
export type BinaryOp = Extract<
  NoAttrOp,
  "lt" | "gt" | "le" | "ge" | "eq" | "ne" | "maximum" | "minimum" | "pow"
>;

/**
 * Equations written as the maths reads: `m.mul(g, m.sub(m.c(1), m.square(y)))` for d tanh.
 * Every call but `c` appends one equation, attributed to the algebra's provenance, and
 * returns its result. Operands are evaluated before the equation that reads them is
 * appended, so nested calls append in the order JavaScript evaluates them.
 */
export interface IrAlgebra {
  /** Appends `op(args) {attrs}`. */
  emit<K extends OpKind>(op: K, args: readonly Operand[], attrs: OpAttrs<K>): ValueOperand;
  /** The type of a value (typed builders only). */
  typeOf(operand: Operand): TensorType;
  /** A scalar f32 constant, inline (no equation). */
  c(value: number): Operand;
  add(a: Operand, b: Operand): ValueOperand;
  sub(a: Operand, b: Operand): ValueOperand;
  mul(a: Operand, b: Operand): ValueOperand;
  div(a: Operand, b: Operand): ValueOperand;
  pow(a: Operand, b: Operand): ValueOperand;
  neg(a: Operand): ValueOperand;
  square(a: Operand): ValueOperand;
  sqrt(a: Operand): ValueOperand;
  unary(op: UnaryOp, a: Operand): ValueOperand;
  binary(op: BinaryOp, a: Operand, b: Operand): ValueOperand;
  where(mask: Operand, a: Operand, b: Operand): ValueOperand;
  clip(x: Operand, lo: Operand, hi: Operand): ValueOperand;
  sum(a: Operand, axes: AxisSet, keepdims: boolean): ValueOperand;
  mean(a: Operand, axes: AxisSet, keepdims: boolean): ValueOperand;
  /** The number of elements of `a` over `axes` (all by default), as a runtime scalar. */
  count(a: Operand, axes?: AxisSet): ValueOperand;
}

/**
 * A growing list of equations with fresh temporaries `%N` that never collide with a name
 * already there. A typed builder also types each new equation with its op's shape rule; a
 * rule that rejects one is a compiler bug (the stages that build typed IR only combine
 * values of known shapes), so it throws then. An untyped builder (lowering, before shapes
 * are known) records equations as they are.
 */
export class IrBuilder {
  private readonly list: AnyEqn[];
  private readonly typeMap: Map<string, TensorType> | null;
  private readonly producers = new Map<string, AnyEqn>();
  private temporaries: number;

  private constructor(eqns: readonly AnyEqn[], types: ReadonlyMap<string, TensorType> | null) {
    this.list = [...eqns];
    this.typeMap = types === null ? null : new Map(types);
    for (const eqn of eqns) this.producers.set(eqn.out, eqn);
    this.temporaries = highestTemporary([...eqns.map((e) => e.out), ...(types?.keys() ?? [])]);
  }

  /** Appends typed equations after `eqns`, whose values (and any others) `types` gives. */
  static typed(eqns: readonly AnyEqn[], types: ReadonlyMap<string, TensorType>): IrBuilder {
    return new IrBuilder(eqns, types);
  }

  /** Appends equations without types, from `%1`. */
  static untyped(): IrBuilder {
    return new IrBuilder([], null);
  }

  get eqns(): readonly AnyEqn[] {
    return this.list;
  }

  get types(): ReadonlyMap<string, TensorType> {
    invariant(this.typeMap !== null, "an untyped builder has no types");
    return this.typeMap;
  }

  /** The algebra appending to this builder, attributing each equation to `provenance`. */
  at(provenance: Provenance): IrAlgebra {
    return new Attributed(this, provenance);
  }

  /** Appends `out = op(args) {attrs}` with a fresh `out`, attributed to `provenance`. */
  emit<K extends OpKind>(
    op: K,
    args: readonly Operand[],
    attrs: OpAttrs<K>,
    provenance: Provenance,
  ): ValueOperand {
    const name = this.fresh();
    if (this.typeMap !== null) this.typeMap.set(name, this.typeOfResult(op, args, attrs));
    const eqn: Eqn<K> = { out: name, op, args, attrs, ...provenance };
    this.push(eqn as unknown as AnyEqn);
    return { kind: "value", name };
  }

  /** Appends an existing equation unchanged (a typed builder must know its result's type). */
  append(eqn: AnyEqn): void {
    invariant(this.typeMap === null || this.typeMap.has(eqn.out), `${eqn.out} has no type`);
    this.push(eqn);
  }

  /** Gives a value computed outside the equations (a scalar input, a state buffer) its type. */
  declare(name: string, type: TensorType): void {
    invariant(this.typeMap !== null, "an untyped builder has no types");
    this.typeMap.set(name, type);
  }

  typeOf(operand: Operand): TensorType {
    if (operand.kind === "const") return { dtype: "f32", shape: [] };
    const type = this.types.get(operand.name);
    invariant(type !== undefined, `value ${operand.name} has no type`);
    return type;
  }

  /** The equation that computes `value`, if it is computed (inputs, targets and params are not). */
  producer(value: string): AnyEqn | undefined {
    return this.producers.get(value);
  }

  private push(eqn: AnyEqn): void {
    this.list.push(eqn);
    this.producers.set(eqn.out, eqn);
  }

  private fresh(): string {
    this.temporaries += 1;
    return `%${this.temporaries}`;
  }

  private typeOfResult<K extends OpKind>(
    op: K,
    args: readonly Operand[],
    attrs: OpAttrs<K>,
  ): TensorType {
    const argTypes = args.map((a) => this.typeOf(a));
    const rule = ops[op].shape as ShapeRule<OpKind>;
    const result = rule(argTypes, attrs, {
      operandNames: args.map((a) => (a.kind === "value" ? a.name : null)),
    });
    invariant(
      result.ok,
      `${op}(${argTypes.map(formatType).join(", ")}) does not type-check: ${result.ok ? "" : JSON.stringify(result.error)}`,
    );
    return result.type;
  }
}

const none: NoAttrs = {};

/** The algebra of one builder at one provenance. */
class Attributed implements IrAlgebra {
  constructor(
    private readonly builder: IrBuilder,
    private readonly provenance: Provenance,
  ) {}

  emit<K extends OpKind>(op: K, args: readonly Operand[], attrs: OpAttrs<K>): ValueOperand {
    return this.builder.emit(op, args, attrs, this.provenance);
  }

  typeOf(operand: Operand): TensorType {
    return this.builder.typeOf(operand);
  }

  c(value: number): Operand {
    return { kind: "const", value };
  }

  add(a: Operand, b: Operand): ValueOperand {
    return this.emit("add", [a, b], none);
  }

  sub(a: Operand, b: Operand): ValueOperand {
    return this.emit("sub", [a, b], none);
  }

  mul(a: Operand, b: Operand): ValueOperand {
    return this.emit("mul", [a, b], none);
  }

  div(a: Operand, b: Operand): ValueOperand {
    return this.emit("div", [a, b], none);
  }

  pow(a: Operand, b: Operand): ValueOperand {
    return this.emit("pow", [a, b], none);
  }

  neg(a: Operand): ValueOperand {
    return this.emit("neg", [a], none);
  }

  square(a: Operand): ValueOperand {
    return this.emit("square", [a], none);
  }

  sqrt(a: Operand): ValueOperand {
    return this.emit("sqrt", [a], none);
  }

  unary(op: UnaryOp, a: Operand): ValueOperand {
    return this.emit(op, [a], none);
  }

  binary(op: BinaryOp, a: Operand, b: Operand): ValueOperand {
    return this.emit(op, [a, b], none);
  }

  where(mask: Operand, a: Operand, b: Operand): ValueOperand {
    return this.emit("where", [mask, a, b], none);
  }

  clip(x: Operand, lo: Operand, hi: Operand): ValueOperand {
    return this.emit("clip", [x, lo, hi], none);
  }

  sum(a: Operand, axes: AxisSet, keepdims: boolean): ValueOperand {
    return this.emit("sum", [a], { axes, keepdims });
  }

  mean(a: Operand, axes: AxisSet, keepdims: boolean): ValueOperand {
    return this.emit("mean", [a], { axes, keepdims });
  }

  count(a: Operand, axes: AxisSet = allAxes): ValueOperand {
    return this.emit("size", [a], { axes });
  }
}

/** The largest N among `%N` names, so new temporaries never collide with any value. */
function highestTemporary(names: Iterable<string>): number {
  let highest = 0;
  for (const name of names) {
    const match = /^%(\d+)$/.exec(name);
    if (match) highest = Math.max(highest, Number(match[1]));
  }
  return highest;
}
