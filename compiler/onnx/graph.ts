import onnxProto from "onnx-proto";
import { invariant } from "../assert.js";
import type { DType, Dim, Shape } from "../ir/types.js";

/**
 * A small builder of one ONNX graph, over onnx-proto's message types: nodes in the order they
 * are added (each op's inputs are added before it, so the graph is topologically sorted), the
 * initializers, fresh names for intermediate values, and the few helpers the lowerings share
 * (constants, the run-time value of a dimension, casts). Nothing here knows nnc's ops.
 */

export const onnx = onnxProto.onnx;
export type NodeProto = onnxProto.onnx.INodeProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type GraphProto = onnxProto.onnx.IGraphProto;
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;
export type DimensionProto = onnxProto.onnx.TensorShapeProto.IDimension;

/** An attribute value: a number is an int when it is whole and the key is not in `floats`. */
export type AttrValue =
  | { readonly int: number }
  | { readonly float: number }
  | { readonly ints: readonly number[] }
  | { readonly string: string };

export const DataType = onnx.TensorProto.DataType;

/** ONNX element types of nnc's dtypes. */
export function onnxType(dtype: DType): number {
  return dtype === "f32" ? DataType.FLOAT : DataType.INT32;
}

export class OnnxGraph {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];
  private counter = 0;
  private readonly constants = new Map<string, string>();
  private batchTensor: string | null = null;

  /**
   * @param opset the default domain's version the graph is written for (17 to 20)
   * @param batch the batch dimension's name and the graph input whose first axis it is
   */
  constructor(
    readonly opset: number,
    private readonly batch: { readonly name: string; readonly input: string },
  ) {}

  /** A name no IR value and no user name can have (`#` is not in either). */
  fresh(hint: string): string {
    this.counter += 1;
    return `${hint}#${this.counter}`;
  }

  /** Appends `op(inputs) {attrs}` writing `out` (a fresh name when omitted); returns `out`. */
  node(
    op: string,
    inputs: readonly string[],
    attrs: Readonly<Record<string, AttrValue>> = {},
    out: string = this.fresh(op),
  ): string {
    this.nodes.push({
      opType: op,
      name: out,
      input: [...inputs],
      output: [out],
      attribute: Object.entries(attrs).map(([name, value]) => attribute(name, value)),
    });
    return out;
  }

  /** A float32 initializer named `name` (a parameter) with `dims` and `data`. */
  initializer(name: string, dims: readonly number[], data: Float32Array): string {
    const bytes = new Uint8Array(data.length * 4);
    const view = new DataView(bytes.buffer);
    data.forEach((v, i) => view.setFloat32(i * 4, v, true));
    this.initializers.push({ name, dims: [...dims], dataType: DataType.FLOAT, rawData: bytes });
    return name;
  }

  /** A constant tensor of `dtype` (float, int32 or int64) shared by every use of the same values. */
  constant(
    values: readonly number[],
    dims: readonly number[],
    dtype: "f32" | "i32" | "i64" = "f32",
  ): string {
    const key = `${dtype}[${dims.join(",")}]${values.join(",")}`;
    const known = this.constants.get(key);
    if (known !== undefined) return known;
    const name = this.fresh(`const_${dtype}`);
    const tensor: TensorProto =
      dtype === "f32"
        ? { name, dims: [...dims], dataType: DataType.FLOAT, floatData: [...values] }
        : dtype === "i32"
          ? { name, dims: [...dims], dataType: DataType.INT32, int32Data: [...values] }
          : { name, dims: [...dims], dataType: DataType.INT64, int64Data: [...values] };
    this.initializers.push(tensor);
    this.constants.set(key, name);
    return name;
  }

  /** An int64 vector constant (axes, pads, shapes). */
  ints(values: readonly number[]): string {
    return this.constant(values, [values.length], "i64");
  }

  /** `x` converted to `dtype` (a Cast node). */
  cast(x: string, to: DType | "bool"): string {
    return this.node("Cast", [x], {
      to: { int: to === "bool" ? DataType.BOOL : onnxType(to) },
    });
  }

  /** The batch size at run time, an int64 vector of one element (from the batch input's shape). */
  private batchSize(): string {
    this.batchTensor ??= this.node("Shape", [this.batch.input], {
      start: { int: 0 },
      end: { int: 1 },
    });
    return this.batchTensor;
  }

  /**
   * A dimension as an int64 vector of one element: a constant, or computed from the batch size
   * (the only symbolic dimension at run time, checked by the build: E217).
   */
  dim(d: Dim): string {
    if (typeof d === "number") return this.ints([d]);
    if (typeof d === "string") {
      invariant(d === this.batch.name, `only the batch dimension is symbolic, not ${d}`);
      return this.batchSize();
    }
    switch (d.kind) {
      case "product":
        return d.symbols.reduce<string>(
          (acc, s) => this.node("Mul", [acc, this.dim(s)]),
          this.ints([d.factor]),
        );
      case "sum":
        return d.terms.reduce<string>(
          (acc, t) => this.node("Add", [acc, this.dim(t)]),
          this.ints([d.constant]),
        );
      case "quotient":
        // sizes are never negative, so integer division is the floor
        return this.node("Div", [this.dim(d.dividend), this.ints([d.divisor])]);
    }
  }

  /** A shape as an int64 vector: a constant when every dimension is a number. */
  shape(shape: Shape): string {
    if (shape.every((d): d is number => typeof d === "number")) return this.ints(shape);
    return this.node(
      "Concat",
      shape.map((d) => this.dim(d)),
      { axis: { int: 0 } },
    );
  }
}

function attribute(name: string, value: AttrValue): onnxProto.onnx.IAttributeProto {
  const Type = onnx.AttributeProto.AttributeType;
  if ("int" in value) return { name, type: Type.INT, i: value.int };
  if ("float" in value) return { name, type: Type.FLOAT, f: value.float };
  if ("ints" in value) return { name, type: Type.INTS, ints: [...value.ints] };
  return { name, type: Type.STRING, s: new TextEncoder().encode(value.string) };
}
