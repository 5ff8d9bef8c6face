import { invariant } from "../assert.js";
import type { RelatedInfo } from "../diagnostics/diagnostic.js";
import type { Span } from "../diagnostics/span.js";
import type { AnyEqn, Eqn, Operand, TensorType } from "../ir/types.js";
import { type GradEmitter, type OpAttrs, type OpKind, type ShapeRule, ops } from "../ops.js";
import { formatType } from "../shapes/dims.js";

/** Where appended equations say they come from: the source of the step that caused them. */
export interface Provenance {
  readonly origin: Span;
  readonly callSites: readonly RelatedInfo[];
  readonly layer: string | null;
}

/**
 * Appends typed equations after an existing typed list (derivatives, optimizer updates,
 * rewrites). Each new equation's type comes from its op's shape rule; a rule that rejects
 * one is a compiler bug, since these stages only combine values of known shapes.
 */
export class TypedEmitter implements GradEmitter {
  readonly eqns: AnyEqn[];
  readonly types: Map<string, TensorType>;
  provenance: Provenance;
  private counter: number;

  constructor(
    eqns: readonly AnyEqn[],
    types: ReadonlyMap<string, TensorType>,
    provenance: Provenance,
  ) {
    this.eqns = [...eqns];
    this.types = new Map(types);
    this.provenance = provenance;
    this.counter = highestTemporary([...eqns.map((e) => e.out), ...types.keys()]);
  }

  emit<K extends OpKind>(
    op: K,
    args: readonly Operand[],
    attrs: OpAttrs<K>,
    out?: string,
  ): Operand {
    const argTypes = args.map((a) => this.typeOf(a));
    const rule = ops[op].shape as ShapeRule<OpKind>;
    const result = rule(argTypes, attrs, {
      operandNames: args.map((a) => (a.kind === "value" ? a.name : null)),
    });
    invariant(
      result.ok,
      `${op}(${argTypes.map(formatType).join(", ")}) does not type-check: ${result.ok ? "" : JSON.stringify(result.error)}`,
    );
    const name = out ?? this.fresh();
    const eqn: Eqn<K> = { out: name, op, args, attrs, ...this.provenance };
    this.eqns.push(eqn as unknown as AnyEqn);
    this.types.set(name, result.type);
    return { kind: "value", name };
  }

  typeOf(operand: Operand): TensorType {
    if (operand.kind === "const") return { dtype: "f32", shape: [] };
    const type = this.types.get(operand.name);
    invariant(type !== undefined, `value ${operand.name} has no type`);
    return type;
  }

  fresh(): string {
    this.counter += 1;
    return `%${this.counter}`;
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
