import type { RelatedInfo } from "../diagnostics/diagnostic.js";
import type { Span } from "../diagnostics/span.js";
import type { AnyEqn, Eqn, Layer, Operand, Param, StateUpdate, SummaryRow } from "../ir/types.js";
import type { OpAttrs, OpKind } from "../ops.js";

/**
 * The equations, parameters and layers of one model as lowering appends them. Mutable while
 * one model is lowered; `lowerModel` freezes it into a readonly `Model`.
 */
export class GraphBuilder {
  readonly eqns: AnyEqn[] = [];
  readonly params: Param[] = [];
  readonly layers: Layer[] = [];
  readonly rows: SummaryRow[] = [];
  readonly updates: StateUpdate[] = [];
  private readonly producers = new Map<string, AnyEqn>();
  private readonly layerNames = new Set<string>();
  private readonly kindCounts = new Map<string, number>();
  private temporaries = 0;
  private currentLayer: string | null = null;

  /** `callSites` gives the block and fn uses being expanded, recorded on each equation. */
  constructor(readonly callSites: () => readonly RelatedInfo[] = () => []) {}

  /** Appends `out = op(args)` and returns `out`: a fresh temporary unless `out` is given. */
  emit<K extends OpKind>(
    op: K,
    args: readonly Operand[],
    attrs: OpAttrs<K>,
    origin: Span,
    out?: string,
  ): string {
    const name = out ?? this.fresh();
    const eqn: Eqn<K> = {
      out: name,
      op,
      args,
      attrs,
      origin,
      callSites: this.callSites(),
      layer: this.currentLayer,
    };
    this.eqns.push(eqn as unknown as AnyEqn);
    this.producers.set(name, eqn as unknown as AnyEqn);
    return name;
  }

  /** The equation that computes `value`, if it is computed (inputs, targets and params are not). */
  producer(value: string): AnyEqn | undefined {
    return this.producers.get(value);
  }

  fresh(): string {
    this.temporaries += 1;
    return `%${this.temporaries}`;
  }

  /**
   * The name of a new layer: the alias, or `KIND_K` counting unnamed layers of each kind from 1.
   * `taken` is true when another layer already has the name (the caller reports E311).
   */
  layerName(
    kind: string,
    alias: string | null,
  ): { readonly name: string; readonly taken: boolean } {
    let name = alias;
    if (name === null) {
      const k = (this.kindCounts.get(kind) ?? 0) + 1;
      this.kindCounts.set(kind, k);
      name = `${kind}_${k}`;
    }
    if (this.layerNames.has(name)) return { name, taken: true };
    this.layerNames.add(name);
    return { name, taken: false };
  }

  hasLayer(name: string): boolean {
    return this.layerNames.has(name);
  }

  /** Runs `body` with every equation it emits attributed to layer `name`. */
  inLayer<T>(name: string, body: () => T): T {
    const outer = this.currentLayer;
    this.currentLayer = name;
    try {
      return body();
    } finally {
      this.currentLayer = outer;
    }
  }
}
