import { type Diagnostic, diagnostic } from "../diagnostics/diagnostic.js";
import type { ModelFunctions } from "../emit/index.js";
import type { AnyEqn, DType, Operand, Shape, TensorType } from "../ir/types.js";
import type { OpKind } from "../ops.js";
import { formatDim } from "../shapes/dims.js";
import { invariant } from "../assert.js";
import {
  DataType,
  type DimensionProto,
  type GraphProto,
  OnnxGraph,
  type ValueInfoProto,
  onnx,
  onnxType,
} from "./graph.js";
import type { LoweringContext, OnnxEntry } from "./lowering.js";
import { onnxLowerings } from "./lowerings.js";
import { fusedLayers, printLayer } from "./layers.js";

/** The opsets `nnc export` writes: 17 brings LayerNormalization, 20 the Gelu op. */
export const ONNX_OPSETS = { min: 17, max: 20, default: 17 } as const;

/** The name of the graph's output (what the language calls the forward section's value). */
export const ONNX_OUTPUT = "output";

/** A tensor of a checkpoint, as the runtime reads it (PyTorch's state_dict layout). */
export interface CheckpointTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** The feature scaling a checkpoint records (`x' = (x - shift) / scale` per feature). */
export interface FeatureScaling {
  readonly shift: ArrayLike<number>;
  readonly scale: ArrayLike<number>;
}

export interface OnnxOptions {
  /** The default domain's opset, 17 to 20 (17 when absent). */
  readonly opset?: number;
  /** Applied to the first input as the graph's first nodes, so raw features go in. */
  readonly normalize?: FeatureScaling | null;
}

export interface OnnxResult {
  /** The serialized ModelProto; null when a diagnostic is an error. */
  readonly bytes: Uint8Array | null;
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * The prediction function of a model as an ONNX model.
 *
 * Assumes: `model` built by `build` (its `predict` function: evaluation mode, dropout removed,
 * batch norm reading its running statistics, losses and `mean` rewritten by the passes);
 * `tensors` holds every parameter that function reads, with its shape (the CLI checks a
 * checkpoint with `checkCheckpoint` first); `normalize`, when given, has one value per
 * element of the first input's last axis.
 * Guarantees: one node list computing what nnc's `predict` computes, op by op through the
 * table of `lowerings.ts`; the parameters read as float32 initializers under their checkpoint
 * names; the inputs named as in the model with the batch dimension symbolic (`dim_param`),
 * the output named `output`; an op the table cannot export is E221 at its source and no bytes.
 * Pure: the same arguments give the same bytes.
 */
export function exportOnnx(
  model: ModelFunctions,
  tensors: ReadonlyMap<string, CheckpointTensor>,
  options: OnnxOptions = {},
): OnnxResult {
  const opset = options.opset ?? ONNX_OPSETS.default;
  invariant(opset >= ONNX_OPSETS.min && opset <= ONNX_OPSETS.max, `opset ${opset} is not 17-20`);
  const { fn, batch } = model.predict;
  const first = fn.inputs[0];
  invariant(first !== undefined && fn.output !== null, "a model has an input and an output");
  const g = new OnnxGraph(opset, { name: batch, input: first.name });

  // IR value -> ONNX value; the first input goes through the feature scaling.
  const names = new Map<string, string>(fn.inputs.map((i) => [i.name, i.name]));
  if (options.normalize) {
    const width = options.normalize.shift.length;
    const dims = [width];
    const shift = g.initializer(
      "normalize.shift",
      dims,
      Float32Array.from(options.normalize.shift),
    );
    const scale = g.initializer(
      "normalize.scale",
      dims,
      Float32Array.from(options.normalize.scale),
    );
    const centred = g.node("Sub", [first.name, shift], {}, `${first.name}/centred`);
    names.set(first.name, g.node("Div", [centred, scale], {}, `${first.name}/normalized`));
  }
  const params = new Map(fn.params.map((p) => [p.name, p]));
  const value = (operand: Operand, dtype: DType): string => {
    if (operand.kind === "const") return g.constant([operand.value], [], dtype);
    const known = names.get(operand.name);
    if (known !== undefined) return known;
    const param = params.get(operand.name);
    invariant(param !== undefined, `${operand.name} is defined before it is used`);
    const tensor = tensors.get(param.name);
    invariant(tensor !== undefined, `the checkpoint holds ${param.name} (checked by the caller)`);
    names.set(param.name, g.initializer(param.name, param.shape, tensor.data));
    return param.name;
  };
  const typeOf = (operand: Operand): TensorType =>
    operand.kind === "const" ? { dtype: "f32", shape: [] } : fn.types.get(operand.name)!;

  // Every op is looked up first: a function with one that cannot be exported writes nothing.
  const diagnostics = fn.eqns.flatMap((eqn) => {
    const entry = onnxLowerings[eqn.op] as OnnxEntry<OpKind>;
    if (entry.kind === "onnx") return [];
    const args = { op: eqn.op, format: "ONNX", reason: entry.reason };
    return [diagnostic("E221", eqn.origin, args, eqn.callSites)];
  });
  if (diagnostics.length > 0) return { bytes: null, diagnostics };

  const fused = fusedLayers(fn, model.model.layers);
  const inFused = new Set([...fused.values()].flatMap((f) => [...f.members]));
  const asValue = (name: string): Operand => ({ kind: "value", name });
  for (const eqn of fn.eqns) {
    if (inFused.has(eqn.out)) {
      // the layer's one op, where its output is computed; its other equations are not written
      const layer = fused.get(eqn.out);
      if (layer !== undefined) {
        const x = value(asValue(layer.input), "f32");
        names.set(
          eqn.out,
          printLayer(g, layer, x, (p) => value(asValue(p), "f32")),
        );
      }
      continue;
    }
    const entry = onnxLowerings[eqn.op] as OnnxEntry<OpKind>;
    invariant(entry.kind === "onnx", "ops that cannot be exported were reported above");
    const dtype = constantType(eqn, typeOf);
    const context: LoweringContext<OpKind> = {
      g,
      eqn,
      args: eqn.args.map((a) => value(a, dtype)),
      types: eqn.args.map(typeOf),
      result: fn.types.get(eqn.out)!,
    };
    names.set(eqn.out, entry.lower(context));
  }

  const outputName = fn.inputs.some((i) => i.name === ONNX_OUTPUT)
    ? `${ONNX_OUTPUT}_`
    : ONNX_OUTPUT;
  g.node("Identity", [value(asValue(fn.output), "f32")], {}, outputName);
  const graph: GraphProto = {
    name: model.model.name,
    node: g.nodes,
    initializer: g.initializers,
    input: fn.inputs.map((i) => valueInfo(i.name, i.type, batch)),
    output: [valueInfo(outputName, fn.types.get(fn.output)!, batch)],
    docString: options.normalize
      ? `${first.name} is scaled by (x - normalize.shift) / normalize.scale before the model`
      : "",
  };
  const proto = onnx.ModelProto.create({
    // IR version 8 goes with opsets up to 18, 9 with 19 and 20
    irVersion: opset <= 18 ? 8 : 9,
    producerName: "nnc",
    graph,
    opsetImport: [{ domain: "", version: opset }],
  });
  return { bytes: onnx.ModelProto.encode(proto).finish(), diagnostics: [] };
}

/**
 * The element type of an equation's inline constants: that of its first operand that is a
 * value (a where's mask aside), f32 when none is.
 */
function constantType(eqn: AnyEqn, typeOf: (o: Operand) => TensorType): DType {
  const data = eqn.op === "where" ? eqn.args.slice(1) : eqn.args;
  const v = data.find((a) => a.kind === "value");
  return v === undefined ? "f32" : typeOf(v).dtype;
}

/** A graph input or output: its element type and shape, the batch dimension named. */
function valueInfo(name: string, type: TensorType, batch: string): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: type.dtype === "f32" ? DataType.FLOAT : onnxType(type.dtype),
        shape: { dim: shapeDims(type.shape, batch) },
      },
    },
  };
}

function shapeDims(shape: Shape, batch: string): DimensionProto[] {
  return shape.map((d) =>
    typeof d === "number" ? { dimValue: d } : { dimParam: d === batch ? d : formatDim(d) },
  );
}
