import type { RelatedInfo } from "../diagnostics/diagnostic.js";
import type { Span } from "../diagnostics/span.js";
import { type IrAlgebra, IrBuilder } from "../ir/builder.js";
import type { AnyEqn, Layer, Param, StateUpdate, SummaryRow } from "../ir/types.js";

/**
 * The equations, parameters and layers of one model as lowering appends them: an untyped
 * `IrBuilder` for the equations, and the bookkeeping only lowering needs (parameters, layers
 * and their names, summary rows, buffer updates). Mutable while one model is lowered;
 * `lowerModel` freezes it into a readonly `Model`.
 */
export class GraphBuilder {
  readonly params: Param[] = [];
  readonly layers: Layer[] = [];
  readonly rows: SummaryRow[] = [];
  readonly updates: StateUpdate[] = [];
  private readonly ir = IrBuilder.untyped();
  private readonly layerNames = new Set<string>();
  private readonly kindCounts = new Map<string, number>();
  private currentLayer: string | null = null;

  /** `callSites` gives the block and fn uses being expanded, recorded on each equation. */
  constructor(readonly callSites: () => readonly RelatedInfo[] = () => []) {}

  get eqns(): readonly AnyEqn[] {
    return this.ir.eqns;
  }

  /**
   * The algebra appending equations attributed to `origin`, to the block and fn uses being
   * expanded now and to the current layer.
   */
  at(origin: Span): IrAlgebra {
    return this.ir.at({ origin, callSites: this.callSites(), layer: this.currentLayer });
  }

  /** The equation that computes `value`, if it is computed (inputs, targets and params are not). */
  producer(value: string): AnyEqn | undefined {
    return this.ir.producer(value);
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
