import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { backward } from "../../compiler/grad/index.js";
import type { TensorType, TypedModel } from "../../compiler/ir/types.js";
import { specialize } from "../../compiler/passes/index.js";
import { onlyModel } from "../helpers/compile.js";
import { wrtEntry } from "../helpers/gradcheck.js";
import { interpret } from "../helpers/interpret.js";

/**
 * PyTorch 1.13's values of the loss settings (test/fixtures/torch/losses.json, written by
 * scripts/training-knob-fixtures.py): CrossEntropyLoss's `weight` and `label_smoothing` on class
 * ids, one-hot and soft targets, BCEWithLogitsLoss's `pos_weight`. Each loss is written as in
 * the language after `forward { x -> softmax }` (the fused form from logits), `sigmoid`, or
 * nothing (a loss of probabilities), interpreted in float64 and differentiated by the real
 * `backward`: values and gradients agree with torch's to 1e-9 relative.
 */

type Matrix = number[][];
interface KnobCase {
  readonly loss: string;
  readonly forward: "softmax" | "sigmoid" | "identity";
  readonly x: Matrix;
  readonly t: Matrix | number[];
  readonly value: number;
  /** Null where torch's gradient is of another function (cross_entropy of log p renormalises). */
  readonly grad_x: Matrix | null;
  readonly note: string;
}

const fixtures = JSON.parse(
  readFileSync(new URL("../fixtures/torch/losses.json", import.meta.url), "utf8"),
) as { cases: KnobCase[] };

const RTOL = 1e-9;
const flat = (m: Matrix | number[]): Float64Array => Float64Array.from(m.flat());

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): string[] {
  if (actual.length !== expected.length) return [`${what}: ${actual.length} elements`];
  const bad: string[] = [];
  for (let i = 0; i < expected.length; i++) {
    const [a, e] = [actual[i]!, expected[i]!];
    if (!(Math.abs(a - e) <= RTOL * Math.max(Math.abs(e), 1e-12))) {
      bad.push(`${what}[${i}]: ${a}, PyTorch ${e}`);
    }
  }
  return bad;
}

function typeOf(model: TypedModel, name: string): TensorType {
  const type = model.types.get(name);
  if (!type) throw new Error(`${name} has no type`);
  return type;
}

describe("loss settings against PyTorch 1.13 (float64)", () => {
  it.each(fixtures.cases.map((c) => [`${c.loss} after ${c.forward} (${c.note})`, c] as const))(
    "%s",
    (_, c) => {
      const k = c.x[0]!.length;
      const ids = typeof c.t[0] === "number";
      const model = onlyModel(`model M {
  input x: [batch, ${k}]
  target t: ${ids ? "i32[batch]" : `[batch, ${k}]`}
  forward { x -> ${c.forward} }
  loss ${c.loss}
  optimizer sgd(lr: 1)
}
`);
      const { eqns, loss } = specialize(model, "train");
      if (loss === null) throw new Error("the model has no loss");
      const lossOps = eqns.map((e) => e.op).filter((op) => op.includes("cross_entropy"));
      const fused = { softmax: "softmax_cross_entropy", sigmoid: "sigmoid_binary_cross_entropy" };
      if (c.forward !== "identity") expect(lossOps).toEqual([fused[c.forward]]);
      const derived = backward(eqns, model.types, loss, [wrtEntry("x", typeOf(model, "x"))]);
      const values = interpret(
        derived.eqns,
        derived.types,
        { x: flat(c.x), t: flat(c.t) },
        { dims: { batch: c.x.length } },
      );
      const gradient = values.get(derived.gradients.get("x")!)!.data;
      expect([
        ...close(values.get(loss)!.data, [c.value], "value"),
        ...(c.grad_x === null ? [] : close(gradient, flat(c.grad_x), "grad_x")),
      ]).toEqual([]);
    },
  );
});
