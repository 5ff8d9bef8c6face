import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { backward } from "../../compiler/grad/index.js";
import { IrBuilder } from "../../compiler/ir/builder.js";
import type { TensorType } from "../../compiler/ir/types.js";
import { allAxes } from "../../compiler/ops/axes.js";
import { specialize } from "../../compiler/passes/index.js";
import { onlyModel } from "../helpers/compile.js";
import { span, wrtEntry } from "../helpers/gradcheck.js";
import { interpret } from "../helpers/interpret.js";

/**
 * conv1d, avgpool2d and global_avgpool against PyTorch's float64 values
 * (scripts/layer-fixtures.py: nn.Conv1d, nn.AvgPool2d, AdaptiveAvgPool2d(1) + flatten):
 * each case's layer is written in the language, compiled with `check`, given torch's input and
 * state_dict (by torch's names, which must be the layer's parameter names and shapes),
 * interpreted in float64 and differentiated with the real `backward`. The output and the
 * gradients with respect to the input and every parameter must agree to 1e-9 relative.
 */

interface FixtureParam {
  readonly shape: number[];
  readonly value: number[];
  readonly grad: number[];
}

interface LayerCase {
  readonly layer: string;
  readonly x_shape: number[];
  readonly x: number[];
  readonly params: Readonly<Record<string, FixtureParam>>;
  readonly y_shape: number[];
  readonly y: number[];
  readonly cotangent: number[];
  readonly grad_x: number[];
}

const fixture = new URL("../fixtures/layers/layers.json", import.meta.url);
const cases = (JSON.parse(readFileSync(fixture, "utf8")) as { cases: LayerCase[] }).cases;

const RTOL = 1e-9;
const ATOL = 1e-12;

function mismatches(actual: ArrayLike<number>, expected: readonly number[], what: string) {
  if (actual.length !== expected.length) {
    return [`${what}: ${actual.length} elements, PyTorch has ${expected.length}`];
  }
  const bad: string[] = [];
  expected.forEach((e, i) => {
    const a = actual[i]!;
    if (!(Math.abs(a - e) <= RTOL * Math.abs(e) + ATOL))
      bad.push(`${what}[${i}]: ${a}, PyTorch ${e}`);
  });
  return bad;
}

function typeOf(types: ReadonlyMap<string, TensorType>, name: string): TensorType {
  const type = types.get(name);
  if (!type) throw new Error(`${name} has no type`);
  return type;
}

describe("conv1d, avgpool2d and global_avgpool against PyTorch (float64)", () => {
  it.each(cases.map((c) => [c.layer, c] as const))("%s", (_, c) => {
    const [batch, ...rest] = c.x_shape;
    const model = onlyModel(`model M {
  input x: [batch, ${rest.join(", ")}]
  forward { x -> ${c.layer} }
}
`);
    const layer = model.layers[0]!;
    // torch's state_dict names and shapes are the layer's parameters, in the same order
    expect(model.params.map((p) => [p.name, p.shape])).toEqual(
      Object.entries(c.params).map(([name, p]) => [`${layer.name}.${name}`, p.shape]),
    );
    const { eqns, output } = specialize(model, "train");
    if (output === null) throw new Error("the model has no output");
    expect(typeOf(model.types, output).shape).toEqual(["batch", ...c.y_shape.slice(1)]);
    // s = sum(y * cotangent): its gradients are the vector-Jacobian products torch recorded
    const types = new Map(model.types);
    types.set("cotangent", typeOf(model.types, output));
    const builder = IrBuilder.typed(eqns, types);
    const m = builder.at({ origin: span, callSites: [], layer: null });
    const product = m.emit(
      "mul",
      [
        { kind: "value", name: output },
        { kind: "value", name: "cotangent" },
      ],
      {},
    );
    const s = m.emit("sum", [product], { axes: allAxes, keepdims: false });
    if (s.kind !== "value") throw new Error("sum gave a constant");
    const wrt = ["x", ...model.params.map((p) => p.name)];
    const derived = backward(
      builder.eqns,
      builder.types,
      s.name,
      wrt.map((name) => wrtEntry(name, typeOf(model.types, name))),
    );
    const inputs: Record<string, Float64Array> = {
      x: Float64Array.from(c.x),
      cotangent: Float64Array.from(c.cotangent),
    };
    for (const [name, p] of Object.entries(c.params)) {
      inputs[`${layer.name}.${name}`] = Float64Array.from(p.value);
    }
    const values = interpret(derived.eqns, derived.types, inputs, { dims: { batch: batch! } });
    const gradient = (name: string) => values.get(derived.gradients.get(name)!)!.data;
    expect([
      ...mismatches(values.get(output)!.data, c.y, "y"),
      ...mismatches(gradient("x"), c.grad_x, "grad_x"),
      ...Object.entries(c.params).flatMap(([name, p]) =>
        mismatches(gradient(`${layer.name}.${name}`), p.grad, `grad ${name}`),
      ),
    ]).toEqual([]);
  });
});
