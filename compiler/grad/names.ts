import type { IrFunction } from "../ir/function.js";
import { renameValues } from "../ir/rewrite.js";

/**
 * Names derivatives after what they hold, for the generated code and its comments:
 * `grad_dense_1.weight` for a parameter's gradient, `grad_h` for the cotangent of a value bound
 * by name in `forward` (`h = ...`), `grad_dense_1` for the cotangent of a layer's output. Other
 * cotangents keep their temporary names.
 *
 * Assumes: a differentiated train function. Guarantees: the same program with only computed
 * temporaries (`%N`) renamed; a name already taken (or whose identifier in generated code would
 * be) is not used, and the first name a value earns wins (parameters, then bindings, then layers).
 */
export function nameGradients(fn: IrFunction): IrFunction {
  const computed = new Set(fn.eqns.map((e) => e.out));
  const taken = new Set([...fn.types.keys()].map(identifierKey));
  const names = new Map<string, string>();
  const propose = (value: string | undefined, name: string): void => {
    if (value === undefined || !/^%\d+$/.test(value) || !computed.has(value)) return;
    if (names.has(value) || taken.has(identifierKey(name))) return;
    names.set(value, name);
    taken.add(identifierKey(name));
  };
  for (const [param, gradient] of fn.gradients) propose(gradient, `grad_${param}`);
  for (const binding of fn.model.bindings)
    propose(fn.cotangents.get(binding.value), `grad_${binding.name}`);
  for (const layer of fn.model.layers)
    propose(fn.cotangents.get(layer.output), `grad_${layer.name}`);
  return renameValues(fn, names);
}

/** Names that generated code would spell the same (`a.b` and `a_b`) count as one. */
function identifierKey(name: string): string {
  return name.replace(/[^A-Za-z0-9_$]/g, "_");
}
