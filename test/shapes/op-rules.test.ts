import { describe, expect, it } from "vitest";
import type { Dim, TensorType } from "../../compiler/ir/types.js";
import { exceptAxes, onlyAxes, allAxes } from "../../compiler/ops/axes.js";
import { type OpAttrs, type OpKind, type ShapeRule, opKinds, ops } from "../../compiler/ops.js";
import { productDim, sumDim } from "../../compiler/shapes/dims.js";

const f = (...shape: Dim[]): TensorType => ({ dtype: "f32", shape });
const i32 = (...shape: Dim[]): TensorType => ({ dtype: "i32", shape });

interface RuleCases<K extends OpKind> {
  readonly attrs: OpAttrs<K>;
  /** Operand types and the result type the rule must give. */
  readonly ok: readonly (readonly [readonly TensorType[], TensorType])[];
  /** Operand types and the diagnostic code the rule must report. */
  readonly fail: readonly (readonly [readonly TensorType[], string])[];
}

const noAttrs = {};
const unary = <K extends OpKind>(ok: TensorType, attrs = noAttrs): RuleCases<K> => ({
  attrs: attrs as OpAttrs<K>,
  ok: [
    [[ok], ok],
    [[f()], f()],
  ],
  fail: [[[i32("batch")], "E205"]],
});
const binary = <K extends OpKind>(): RuleCases<K> => ({
  attrs: noAttrs as OpAttrs<K>,
  ok: [
    [[f("batch", 3), f(3)], f("batch", 3)],
    [[f("batch", 1), f(1, 4)], f("batch", 4)],
    [[f(), f(2, 2)], f(2, 2)],
  ],
  fail: [
    [[f("batch", 256), f("batch", 128)], "E201"],
    [[f("batch"), i32("batch")], "E205"],
  ],
});
const ternary = <K extends OpKind>(): RuleCases<K> => ({
  attrs: noAttrs as OpAttrs<K>,
  ok: [[[f("batch", 1), f("batch", 3), f()], f("batch", 3)]],
  fail: [[[f("batch", 2), f("batch", 3), f()], "E201"]],
});
const reduce = (): RuleCases<"sum"> => ({
  attrs: { axes: onlyAxes(-1), keepdims: false },
  ok: [[[f("batch", 3)], f("batch")]],
  fail: [[[f()], "E206"]],
});
const sameShapeLoss = <K extends OpKind>(attrs = noAttrs): RuleCases<K> => ({
  attrs: attrs as OpAttrs<K>,
  ok: [[[f("batch", 3), f("batch", 3)], f()]],
  fail: [
    [[f("batch", 3), f("batch", 1)], "E203"],
    [[f("batch"), i32("batch")], "E203"],
  ],
});
const categorical = <K extends OpKind>(): RuleCases<K> => ({
  attrs: noAttrs as OpAttrs<K>,
  ok: [
    [[f("batch", 10), i32("batch")], f()],
    [[f("batch", 10), f("batch", 10)], f()],
  ],
  fail: [
    [[f("batch", 10), i32("batch", 1)], "E203"],
    [[f("batch", 10), f("batch", 1)], "E203"],
  ],
});

/** A case list per op: the `satisfies` makes a new op without cases a type error. */
const cases = {
  neg: unary(f("batch", 3)),
  not: unary(f("batch", 3)),
  exp: unary(f("batch", 3)),
  log: unary(f("batch", 3)),
  sqrt: unary(f("batch", 3)),
  abs: unary(f("batch", 3)),
  sign: unary(f("batch", 3)),
  square: unary(f("batch", 3)),
  sin: unary(f("batch", 3)),
  cos: unary(f("batch", 3)),
  tanh: unary(f("batch", 3)),
  sigmoid: unary(f("batch", 3)),
  relu: unary(f("batch", 3)),
  softplus: unary(f("batch", 3)),
  log1p: unary(f("batch", 3)),
  step: unary(f("batch", 3)),
  gelu: unary(f("batch", 3)),
  erf: unary(f("batch", 3)),
  leaky_relu: unary(f("batch", 3), { alpha: 0.01 }),
  elu: unary(f("batch", 3), { alpha: 1 }),
  add: binary(),
  sub: binary(),
  mul: binary(),
  div: binary(),
  pow: binary(),
  maximum: binary(),
  minimum: binary(),
  lt: binary(),
  gt: binary(),
  le: binary(),
  ge: binary(),
  eq: binary(),
  ne: binary(),
  where: ternary(),
  clip: ternary(),
  sum: reduce(),
  mean: {
    attrs: { axes: exceptAxes(1), keepdims: true },
    ok: [
      [[f("batch", 16, 5, 5)], f(1, 16, 1, 1)],
      [[f("batch", 16)], f(1, 16)],
    ],
    fail: [[[f()], "E206"]],
  },
  max_over: {
    attrs: { axes: allAxes, keepdims: false },
    ok: [[[f("batch", 3)], f()]],
    fail: [[[i32("batch")], "E205"]],
  },
  softmax: {
    attrs: { axis: -1 },
    ok: [[[f("batch", 10)], f("batch", 10)]],
    fail: [[[f()], "E204"]],
  },
  log_softmax: {
    attrs: { axis: 2 },
    ok: [[[f("batch", 3, 4)], f("batch", 3, 4)]],
    fail: [[[f("batch", 3)], "E206"]],
  },
  matmul: {
    attrs: { transA: false, transB: true },
    ok: [
      [[f("batch", 784), f(512, 784)], f("batch", 512)],
      [[f(7, "batch", 4), f(2, 4)], f(7, "batch", 2)],
    ],
    fail: [
      [[f("batch", 784), f(512, 100)], "E202"],
      [[f(784), f(512, 784)], "E202"],
    ],
  },
  transpose: {
    attrs: noAttrs,
    ok: [[[f("batch", 3, 4)], f("batch", 4, 3)]],
    fail: [[[f(3)], "E204"]],
  },
  reshape: {
    attrs: { shape: ["batch", -1] },
    ok: [
      [[f("batch", 4, 7)], f("batch", 28)],
      [[f(2, "batch", 3)], f("batch", 6)],
    ],
    fail: [[[f("n", 3)], "E207"]],
  },
  concat: {
    attrs: { axis: -1 },
    ok: [
      [[f("batch", 3), f("batch", 5)], f("batch", 8)],
      [[f("batch", "n"), f("batch", 2)], f("batch", sumDim(["n", 2]))],
    ],
    fail: [
      [[f("batch", 3), f(2, 5)], "E208"],
      [[f(), f()], "E206"],
    ],
  },
  one_hot: {
    attrs: { classes: 10 },
    ok: [[[i32("batch")], f("batch", 10)]],
    fail: [[[f("batch")], "E205"]],
  },
  flatten: {
    attrs: noAttrs,
    ok: [
      [[f("batch", 16, 5, 5)], f("batch", 400)],
      [[f("batch", "h", 2)], f("batch", productDim(["h", 2]))],
    ],
    fail: [[[f("batch")], "E204"]],
  },
  broadcast_to: {
    attrs: { shape: ["batch", 3] },
    ok: [
      [[f("batch", 1)], f("batch", 3)],
      [[f(3)], f("batch", 3)],
    ],
    fail: [[[f("batch", 2)], "E201"]],
  },
  slice: {
    attrs: { axis: 1, start: 2, size: 3 },
    ok: [[[f("batch", 8)], f("batch", 3)]],
    fail: [[[f("batch")], "E206"]],
  },
  reshape_as: {
    attrs: noAttrs,
    ok: [[[f(16), f(1, 16, 1, 1)], f(1, 16, 1, 1)]],
    fail: [[[f(16), f(1, 8)], "E207"]],
  },
  maxout: {
    attrs: { pieces: 2 },
    ok: [[[f("batch", 8)], f("batch", 4)]],
    fail: [[[f("batch", 7)], "E204"]],
  },
  conv2d: {
    attrs: { stride: 1, padding: { top: 1, bottom: 1, left: 1, right: 1 } },
    ok: [
      [[f("batch", 3, 32, 32), f(8, 3, 3, 3)], f("batch", 8, 32, 32)],
      [[f("batch", 1, 5, 6), f(2, 1, 7, 8)], f("batch", 2, 1, 1)],
    ],
    fail: [
      [[f("batch", 784), f(8, 1, 3, 3)], "E204"],
      [[f("batch", 1, 2, 2), f(8, 1, 5, 5)], "E211"],
    ],
  },
  conv2d_grad_input: {
    attrs: { stride: 1, padding: { top: 0, bottom: 0, left: 0, right: 0 } },
    ok: [[[f("batch", 8, 30, 30), f(8, 3, 3, 3), f("batch", 3, 32, 32)], f("batch", 3, 32, 32)]],
    fail: [],
  },
  conv2d_grad_weight: {
    attrs: { stride: 1, padding: { top: 0, bottom: 0, left: 0, right: 0 } },
    ok: [[[f("batch", 3, 32, 32), f("batch", 8, 30, 30), f(8, 3, 3, 3)], f(8, 3, 3, 3)]],
    fail: [],
  },
  maxpool2d_grad: {
    attrs: { size: 2, stride: 2 },
    ok: [[[f("batch", 8, 13, 13), f("batch", 8, 6, 6)], f("batch", 8, 13, 13)]],
    fail: [],
  },
  maxpool2d: {
    attrs: { size: 2, stride: 2 },
    ok: [[[f("batch", 8, 13, 13)], f("batch", 8, 6, 6)]],
    fail: [
      [[f("batch", 8, 1, 1)], "E211"],
      [[f("batch", 8)], "E204"],
    ],
  },
  conv1d: {
    attrs: { stride: 2, padding: { left: 1, right: 1 } },
    ok: [
      [[f("batch", 3, 32), f(8, 3, 5)], f("batch", 8, 15)],
      [[f("batch", 1, 5), f(2, 1, 7)], f("batch", 2, 1)],
    ],
    fail: [
      [[f("batch", 3, 32, 32), f(8, 3, 3)], "E204"],
      [[f("batch", 2, 32), f(8, 3, 3)], "E204"],
      [[f("batch", 1, 2), f(8, 1, 5)], "E211"],
    ],
  },
  conv1d_grad_input: {
    attrs: { stride: 1, padding: { left: 0, right: 0 } },
    ok: [[[f("batch", 8, 30), f(8, 3, 3), f("batch", 3, 32)], f("batch", 3, 32)]],
    fail: [],
  },
  conv1d_grad_weight: {
    attrs: { stride: 1, padding: { left: 0, right: 0 } },
    ok: [[[f("batch", 3, 32), f("batch", 8, 30), f(8, 3, 3)], f(8, 3, 3)]],
    fail: [],
  },
  avgpool2d: {
    attrs: { size: 3, stride: 2, padding: 1 },
    ok: [
      [[f("batch", 8, 13, 13)], f("batch", 8, 7, 7)],
      [[f("batch", 8, 1, 2)], f("batch", 8, 1, 1)],
    ],
    fail: [
      [[f("batch", 8, 1, 0)], "E211"],
      [[f("batch", 8)], "E204"],
      [[i32("batch", 8, 3, 3)], "E205"],
    ],
  },
  avgpool2d_grad: {
    attrs: { size: 2, stride: 2, padding: 0 },
    ok: [[[f("batch", 8, 6, 6), f("batch", 8, 13, 13)], f("batch", 8, 13, 13)]],
    fail: [],
  },
  dropout_mask: { attrs: { rate: 0.5 }, ok: [[[f("batch", 3)], f("batch", 3)]], fail: [] },
  select_train: {
    attrs: noAttrs,
    ok: [[[f(1, 4), f(1, 4)], f(1, 4)]],
    fail: [[[f(1, 4), f(4)], "E201"]],
  },
  size: {
    attrs: { axes: exceptAxes(1) },
    ok: [[[f("batch", 3, 5, 5)], f()]],
    fail: [[[f("batch")], "E206"]],
  },
  gather_rows: {
    attrs: noAttrs,
    ok: [
      [[f(50, 8), i32("batch", 12)], f("batch", 12, 8)],
      [[f(50, 8), i32()], f(8)],
    ],
    fail: [
      [[f(50, 8), f("batch", 12)], "E205"],
      [[f(50), i32("batch")], "E204"],
    ],
  },
  scatter_add_rows: {
    attrs: { rows: 50 },
    ok: [[[i32("batch", 12), f("batch", 12, 8)], f(50, 8)]],
    fail: [
      [[f("batch", 12), f("batch", 12, 8)], "E205"],
      [[i32("batch", 12), f("batch", 8)], "E204"],
    ],
  },
  mse: sameShapeLoss(),
  mae: sameShapeLoss(),
  huber: sameShapeLoss({ delta: 1 }),
  binary_cross_entropy: sameShapeLoss(),
  sigmoid_binary_cross_entropy: {
    attrs: { posWeight: [1, 2, 3] },
    ok: [[[f("batch", 3), f("batch", 3)], f()]],
    fail: [
      [[f("batch", 2), f("batch", 2)], "E220"],
      [[f("batch", 3), f("batch", 1)], "E203"],
    ],
  },
  cross_entropy: {
    ...categorical<"cross_entropy">(),
    attrs: { weight: [1, 2, 1, 1, 1, 1, 1, 1, 1, 3], labelSmoothing: 0.1 },
    fail: [
      [[f("batch", 10), i32("batch", 1)], "E203"],
      [[f("batch", 4), i32("batch")], "E220"],
    ],
  },
  softmax_cross_entropy: categorical(),
  scale_classes: {
    attrs: { scales: [1, 2, 3] },
    ok: [[[f("batch", 3)], f("batch", 3)]],
    fail: [[[f("batch", 4)], "E205"]],
  },
} satisfies { readonly [K in OpKind]: RuleCases<K> };

describe("shape rule of every primitive op", () => {
  it("has cases for every op of the table", () => {
    expect(Object.keys(cases).sort()).toEqual([...opKinds].sort());
  });

  for (const op of opKinds) {
    const rule = ops[op].shape as ShapeRule<OpKind>;
    const c = cases[op] as RuleCases<OpKind>;
    it(op, () => {
      for (const [args, out] of c.ok) {
        const names = args.map(() => "v");
        expect(
          rule(args, c.attrs, { operandNames: names }),
          `${op}(${JSON.stringify(args)})`,
        ).toEqual({
          ok: true,
          type: out,
        });
        expect(args.length).toBe(ops[op].arity);
      }
      for (const [args, code] of c.fail) {
        const result = rule(args, c.attrs, { operandNames: args.map(() => "v") });
        expect(result.ok ? "ok" : result.error.code, `${op}(${JSON.stringify(args)})`).toBe(code);
      }
    });
  }
});
