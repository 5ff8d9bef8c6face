import type { Span } from "../diagnostics/span.js";
import { type Analysis, definitionAt, referenceAt } from "./analysis.js";
import { spanLength } from "./positions.js";

/**
 * Go to definition.
 *
 * Assumes: an `Analysis` of the document's current text and an offset into it. Guarantees: a use
 * of a `fn`, `block`, parameter, input, target, binding (`h = ...`) or layer alias (`as fc1`, and
 * `fc1` of `fc1.weight`) leads to the name where it is declared; `dense_1` of `dense_1.weight`
 * leads to the layer call that the compiler named so; a declared name leads to itself. Built-ins
 * and unresolved names have none (null). Spans only: the caller makes them locations.
 */
export function definitionSpanAt(analysis: Analysis, offset: number): Span | null {
  const ref = referenceAt(analysis, offset);
  const def = definitionAt(analysis, offset);
  if (def && (!ref || spanLength(def.span) < spanLength(ref.span))) return def.span;
  if (!ref) return null;
  if (ref.definition) return ref.definition.span;
  if (ref.member && ref.owner.kind === "model") {
    const model = analysis.result?.ir?.models.find((m) => m.name === ref.owner.name.name);
    const layer = model?.layers.find((l) => l.name === ref.name);
    // A layer expanded from a block body has no single call of its own to go to: its use site.
    return layer ? (layer.callSites.at(-1)?.span ?? layer.span) : null;
  }
  return null;
}
