import type { Span } from "../diagnostics/span.js";
import type { Init, LayerArgs, LayerKind, ParamDim } from "../ir/types.js";
import type { ArgReader } from "./arg-reader.js";
import type { Signature } from "./arguments.js";
import type { GraphBuilder } from "./graph.js";

/**
 * What every row of the layer table is built from: the expansion context, the spec type, and
 * the helpers that declare parameters and signatures.
 */

export interface LayerExpansion {
  readonly graph: GraphBuilder;
  readonly args: ArgReader;
  /** The layer's name, e.g. `dense_1`. */
  readonly name: string;
  /** The input value. */
  readonly input: string;
  readonly span: Span;
}

/** What a layer became: its output value and the arguments it was built from. */
export interface ExpandedLayer<K extends LayerKind> {
  readonly output: string;
  readonly args: LayerArgs<K>;
}

export interface LayerSpec<K extends LayerKind> {
  readonly signature: Signature;
  /** Accepted input ranks (batch axis included) and the form errors show. */
  readonly minRank: number;
  readonly maxRank: number;
  readonly inputForm: string;
  /** The element type of the input: f32 unless said (`embedding` takes i32 ids). */
  readonly inputDtype?: "f32" | "i32";
  /** Emits the layer's equations, or returns null after reporting a problem. */
  readonly expand: (layer: LayerExpansion) => ExpandedLayer<K> | null;
}

/** A row of the layer table with its kind. */
export type AnyLayerSpec = { [K in LayerKind]: LayerSpec<K> & { readonly kind: K } }[LayerKind];

export const fixed = (value: number): ParamDim => ({ kind: "fixed", value });
export const fromInput = (axis: number): ParamDim => ({ kind: "input", axis });
export const value = (name: string) => ({ kind: "value", name }) as const;

export function param(
  layer: LayerExpansion,
  role: string,
  dims: readonly ParamDim[],
  init: Init,
  trainable = true,
  dtype: "f32" | "i64" = "f32",
): string {
  const name = `${layer.name}.${role}`;
  layer.graph.params.push({
    name,
    layer: layer.name,
    dims,
    init,
    trainable,
    dtype,
    span: layer.span,
  });
  return name;
}

export function signature(name: string, params: readonly [string, boolean][]): Signature {
  return { name, params: params.map(([p, required]) => ({ name: p, required })) };
}

export const positive = { integer: true, min: 1 } as const;
