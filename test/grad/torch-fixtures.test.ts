import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { backward } from "../../compiler/grad/index.js";
import { IrBuilder } from "../../compiler/ir/builder.js";
import type { AnyEqn, TensorType, TypedModel } from "../../compiler/ir/types.js";
import { allAxes } from "../../compiler/ops/axes.js";
import { specialize } from "../../compiler/passes/index.js";
import { onlyModel } from "../helpers/compile.js";
import { span, wrtEntry } from "../helpers/gradcheck.js";
import { interpret } from "../helpers/interpret.js";

/**
 * PyTorch's float64 reference values (../shared/fixtures/torch), through the real front end:
 * each activation and loss is written as in the language, compiled with `check`, interpreted
 * in float64 and differentiated with the real `backward`. Values and gradients must agree to
 * 1e-9 relative.
 */

const fixtures = new URL("../../../shared/fixtures/torch/", import.meta.url);
const load = <T>(name: string): T => JSON.parse(readFileSync(new URL(name, fixtures), "utf8")) as T;

type Matrix = number[][];

interface ActivationCase {
  readonly activation: string;
  readonly x: Matrix;
  readonly y: Matrix;
  readonly cotangent: Matrix;
  readonly grad_x: Matrix;
}

interface LossCase {
  readonly loss: string;
  readonly p: Matrix;
  readonly t: Matrix | number[];
  readonly value: number;
  readonly grad_p: Matrix;
  readonly note: string;
}

interface FusedCase {
  readonly pair: string;
  readonly logits: Matrix;
  readonly t: Matrix | number[];
  readonly value: number;
  readonly grad_logits: Matrix;
}

const activations = load<{ cases: ActivationCase[] }>("activations.json").cases;
const losses = load<{ cases: LossCase[]; fused: FusedCase[] }>("losses.json");

const RTOL = 1e-9;

const flat = (m: Matrix | number[]): Float64Array => Float64Array.from(m.flat());
const isClassIds = (t: Matrix | number[]): t is number[] => typeof t[0] === "number";

/** Elements farther than RTOL (relative to their own size) from PyTorch's, described. */
function mismatches(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  what: string,
): string[] {
  if (actual.length !== expected.length) {
    return [`${what}: ${actual.length} elements, PyTorch has ${expected.length}`];
  }
  const bad: string[] = [];
  for (let i = 0; i < expected.length; i++) {
    const [a, e] = [actual[i]!, expected[i]!];
    if (!(Math.abs(a - e) <= RTOL * Math.abs(e))) {
      const relative = (Math.abs(a - e) / Math.abs(e)).toExponential(2);
      bad.push(`${what}[${i}]: ${a}, PyTorch ${e} (relative error ${relative})`);
    }
  }
  return bad;
}

/** The model's training-mode equations, and its output and loss after specialisation. */
function trainingEqns(model: TypedModel) {
  const { eqns, output, loss } = specialize(model, "train");
  if (output === null) throw new Error("the model has no output");
  return { eqns, output, loss };
}

function typeOf(model: TypedModel, name: string): TensorType {
  const type = model.types.get(name);
  if (!type) throw new Error(`${name} has no type`);
  return type;
}

describe("activations against PyTorch (float64)", () => {
  it.each(activations.map((c) => [c.activation, c] as const))("%s", (_, c) => {
    const [rows, cols] = [c.x.length, c.x[0]!.length];
    const model = onlyModel(`model M {
  input x: [batch, ${cols}]
  forward { x -> ${c.activation} }
}
`);
    const { eqns, output } = trainingEqns(model);
    // s = sum(y * cotangent): its gradient with respect to x is the vector-Jacobian product.
    const types = new Map(model.types);
    types.set("cotangent", typeOf(model, output));
    const builder = IrBuilder.typed(eqns, types);
    const emitter = builder.at({ origin: span, callSites: [], layer: null });
    const product = emitter.emit(
      "mul",
      [
        { kind: "value", name: output },
        { kind: "value", name: "cotangent" },
      ],
      {},
    );
    const s = emitter.emit("sum", [product], { axes: allAxes, keepdims: false });
    if (s.kind !== "value") throw new Error("sum gave a constant");
    const derived = backward(builder.eqns, builder.types, s.name, [
      wrtEntry("x", typeOf(model, "x")),
    ]);
    const values = interpret(
      derived.eqns,
      derived.types,
      { x: flat(c.x), cotangent: flat(c.cotangent) },
      { dims: { batch: rows } },
    );
    const gradient = values.get(derived.gradients.get("x")!)!.data;
    expect([
      ...mismatches(values.get(output)!.data, flat(c.y), "y"),
      ...mismatches(gradient, flat(c.grad_x), "grad_x"),
    ]).toEqual([]);
  });
});

function lossModel(input: string, k: number, t: Matrix | number[], forward: string, loss: string) {
  const target = isClassIds(t) ? "i32[batch]" : `[batch, ${k}]`;
  return onlyModel(`model M {
  input ${input}: [batch, ${k}]
  target t: ${target}
  forward { ${forward} }
  loss ${loss}
  optimizer sgd(lr: 1)
}
`);
}

/** Interprets the model's loss and its gradient with respect to `input`. */
function lossAndGradient(model: TypedModel, input: string, p: Matrix, t: Matrix | number[]) {
  const { eqns, loss } = trainingEqns(model);
  if (loss === null) throw new Error("the model has no loss");
  const derived = backward(eqns, model.types, loss, [wrtEntry(input, typeOf(model, input))]);
  const values = interpret(
    derived.eqns,
    derived.types,
    { [input]: flat(p), t: flat(t) },
    {
      dims: { batch: p.length },
    },
  );
  return {
    eqns,
    value: values.get(loss)!.data,
    gradient: values.get(derived.gradients.get(input)!)!.data,
  };
}

describe("losses against PyTorch (float64)", () => {
  it.each(losses.cases.map((c) => [`${c.loss}${c.note ? ` (${c.note})` : ""}`, c] as const))(
    "%s",
    (_, c) => {
      const model = lossModel("p", c.p[0]!.length, c.t, "p", c.loss);
      const { value, gradient } = lossAndGradient(model, "p", c.p, c.t);
      expect([
        ...mismatches(value, [c.value], "value"),
        ...mismatches(gradient, flat(c.grad_p), "grad_p"),
      ]).toEqual([]);
    },
  );

  it.each(losses.fused.map((c) => [c.pair, c] as const))("fused %s", (_, c) => {
    const [activation, rest] = c.pair.split(" -> ") as [string, string];
    const loss = rest.replace(/\s*\(.*\)$/, "");
    const model = lossModel("z", c.logits[0]!.length, c.t, `z -> ${activation}`, loss);
    const { eqns, value, gradient } = lossAndGradient(model, "z", c.logits, c.t);
    const fusedOp =
      activation === "softmax" ? "softmax_cross_entropy" : "sigmoid_binary_cross_entropy";
    const lossOps = eqns.map((e: AnyEqn) => e.op).filter((op) => op.includes("cross_entropy"));
    // The compiler must have used the fused op from the logits.
    expect(lossOps).toEqual([fusedOp]);
    expect([
      ...mismatches(value, [c.value], "value"),
      ...mismatches(gradient, flat(c.grad_logits), "grad_logits"),
    ]).toEqual([]);
  });
});
