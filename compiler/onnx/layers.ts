import type { IrFunction } from "../ir/function.js";
import type { Layer, LayerKind, LayerOf } from "../ir/types.js";
import type { OnnxGraph } from "./graph.js";

/**
 * Layers written as the one ONNX op that is their definition (LayerNormalization from opset
 * 17, BatchNormalization in inference mode) instead of their primitives, so the graph reads as
 * the model and runtimes use their fused kernels. A layer is fused only when its equations in
 * the function (those tagged with its name) form a closed group: one value comes in (the
 * layer's input) besides its own parameters, and one value of the group is read outside it.
 * Otherwise (the passes merged a value across layers, say) its primitives are lowered one by
 * one through the op table, which computes the same numbers.
 */

/** A layer's group: the values it produces, the one it reads and the one it gives. */
export interface FusedLayer {
  readonly layer: Layer;
  readonly input: string;
  readonly output: string;
  readonly members: ReadonlySet<string>;
}

type Printer<K extends LayerKind> = (
  g: OnnxGraph,
  layer: LayerOf<K>,
  x: string,
  param: (name: string) => string,
) => string;

/** The layers that have one ONNX op, and how they are written with it. */
const printers: { readonly [K in LayerKind]?: Printer<K> } = {
  // torch.nn.LayerNorm(n): over the last axis, then weight and bias
  layernorm: (g, layer, x, param) =>
    g.node("LayerNormalization", [x, param("weight"), param("bias")], {
      axis: { int: -1 },
      epsilon: { float: layer.args.eps },
    }),
  // evaluation: (x - running_mean) / sqrt(running_var + eps) * weight + bias over axis 1
  batchnorm: (g, layer, x, param) =>
    g.node(
      "BatchNormalization",
      [x, param("weight"), param("bias"), param("running_mean"), param("running_var")],
      { epsilon: { float: layer.args.eps } },
    ),
};

/** The groups of `fn` that `printLayer` writes as one op, by the value each gives. */
export function fusedLayers(fn: IrFunction, layers: readonly Layer[]): Map<string, FusedLayer> {
  const found = new Map<string, FusedLayer>();
  for (const layer of layers) {
    if (printers[layer.kind] === undefined) continue;
    const eqns = fn.eqns.filter((e) => e.layer === layer.name);
    const members = new Set(eqns.map((e) => e.out));
    const own = new Set(layer.params);
    const inputs = new Set<string>();
    for (const e of eqns)
      for (const a of e.args)
        if (a.kind === "value" && !members.has(a.name) && !own.has(a.name)) inputs.add(a.name);
    const read = new Set<string>(fn.output !== null && members.has(fn.output) ? [fn.output] : []);
    for (const e of fn.eqns)
      if (!members.has(e.out))
        for (const a of e.args) if (a.kind === "value" && members.has(a.name)) read.add(a.name);
    const [input] = inputs;
    const [output] = read;
    if (inputs.size === 1 && read.size === 1 && input !== undefined && output !== undefined)
      found.set(output, { layer, input, output, members });
  }
  return found;
}

/** The ONNX op of a fused layer reading `x`; `param` gives a parameter's initializer. */
export function printLayer(
  g: OnnxGraph,
  fused: FusedLayer,
  x: string,
  param: (name: string) => string,
): string {
  const printer = printers[fused.layer.kind] as Printer<LayerKind>;
  return printer(g, fused.layer as LayerOf<LayerKind>, x, (name) =>
    param(`${fused.layer.name}.${name}`),
  );
}
