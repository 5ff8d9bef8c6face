import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { IrFunction } from "../../compiler/ir/function.js";
import type { TensorType } from "../../compiler/ir/types.js";
import { LR, appendOptimizer } from "../../compiler/optim/index.js";
import { interpret } from "../helpers/interpret.js";
import { onlyModel } from "../helpers/compile.js";

interface OptimizerCase {
  readonly optimizer: string;
  readonly param: number[][];
  readonly grads: number[][][];
  readonly after_each_step: number[][][];
}

const fixtures = JSON.parse(
  readFileSync(new URL("../../../shared/fixtures/torch/optimizers.json", import.meta.url), "utf8"),
) as { cases: OptimizerCase[] };

const flat = (rows: number[][]) => Float64Array.from(rows.flat());

/**
 * One parameter `w` whose gradient is the input `g`, and the optimizer's update equations
 * appended by the compiler's optimizer stage, as the language reads the call.
 */
function optimizerFunction(call: string, shape: readonly number[]): IrFunction {
  const model = onlyModel(`
model M {
  input x: [batch, 1]
  target y: [batch, 1]
  forward { x -> dense(1) }
  loss mse
  optimizer ${call}
}`);
  const type: TensorType = { dtype: "f32", shape };
  const param = { ...model.params[0]!, name: "w", shape, trainable: true };
  const fn: IrFunction = {
    kind: "train",
    model,
    inputs: [{ name: "g", type, span: model.span }],
    params: [param],
    state: [],
    scalars: [],
    eqns: [],
    types: new Map([
      ["w", type],
      ["g", type],
    ]),
    output: null,
    loss: null,
    gradients: new Map([["w", "g"]]),
    cotangents: new Map(),
    updates: [],
  };
  return appendOptimizer(fn, model.settings.optimizer!);
}

describe("optimizer steps against torch.optim (float64)", () => {
  for (const c of fixtures.cases) {
    it(c.optimizer, () => {
      const shape = [c.param.length, c.param[0]!.length];
      const fn = optimizerFunction(c.optimizer, shape);
      const env = new Map<string, Float64Array>();
      env.set("w", flat(c.param));
      for (const s of fn.state)
        env.set(s.name, new Float64Array(s.shape.reduce((a, d) => a * d, 1)).fill(s.init));
      const lr = fn.model.settings.optimizer!.lr;
      env.set(LR, Float64Array.of(lr));
      c.grads.forEach((grad, k) => {
        env.set("g", flat(grad));
        const values = interpret(fn.eqns, fn.types, env);
        // All updates at once, from the values before the step.
        const next = fn.updates.map(
          (u) => [u.target, Float64Array.from(values.get(u.value)!.data)] as const,
        );
        for (const [target, data] of next) env.set(target, data);
        const expected = flat(c.after_each_step[k]!);
        const actual = env.get("w")!;
        const scale = Math.max(...expected.map(Math.abs));
        actual.forEach((v, i) =>
          expect(Math.abs(v - expected[i]!), `step ${k + 1}, element ${i}`).toBeLessThan(
            1e-9 * scale,
          ),
        );
      });
    });
  }
});
