import { describe, expect, it } from "vitest";
import type { AnyEqn, Dim, Operand, TensorType } from "../../compiler/ir/types.js";
import type { OpAttrs, OpKind } from "../../compiler/ops.js";
import { onlyModel } from "../helpers/compile.js";
import { span } from "../helpers/gradcheck.js";
import { erf, interpret, resolveDim } from "../helpers/interpret.js";

/**
 * The reference interpreter's own semantics on hand-computed examples, for the ops the
 * PyTorch fixtures do not reach (convolution, pooling, products, layout, edge values).
 */

const f32 = (...shape: Dim[]): TensorType => ({ dtype: "f32", shape });
const v = (name: string): Operand => ({ kind: "value", name });

/** Runs one equation `out = op(args)` on inputs of the given types and data. */
function run<K extends OpKind>(
  op: K,
  inputs: Record<string, [TensorType, number[]]>,
  args: Operand[],
  attrs: OpAttrs<K>,
  dims: Record<string, number> = {},
) {
  const types = new Map(Object.entries(inputs).map(([name, [type]]) => [name, type]));
  const env = Object.fromEntries(
    Object.entries(inputs).map(([name, [, data]]) => [name, Float64Array.from(data)]),
  );
  const eqn = { out: "out", op, args, attrs, origin: span, callSites: [], layer: null };
  const out = interpret([eqn as unknown as AnyEqn], types, env, { dims }).get("out")!;
  return { shape: out.shape, data: [...out.data] };
}

describe("reference interpreter", () => {
  it("evaluates symbolic dimensions as the shape rules write them", () => {
    const dims = { batch: 5, h: 7 };
    expect(resolveDim("batch*784", dims)).toBe(3920);
    expect(resolveDim("batch+3", dims)).toBe(8);
    expect(resolveDim("((h+2-3)/2+1)", dims)).toBe(4);
    expect(resolveDim("(h+2-2)", dims)).toBe(7);
  });

  it("computes erf to double precision", () => {
    // Reference values from Python's math.erf.
    expect(erf(0.5)).toBeCloseTo(0.5204998778130465, 15);
    expect(erf(-1.7)).toBeCloseTo(-0.9837904585907746, 15);
    expect(erf(3.5)).toBeCloseTo(0.9999992569016276, 15);
    expect(erf(1e-8)).toBeCloseTo(1.1283791670955126e-8, 22);
  });

  it("cross-correlates with asymmetric zero padding and a stride", () => {
    // x 1x1x3x3 = 1..9, w 1x1x2x2 = [[1, 0], [0, -1]], padding top 1, left 1, stride 2.
    const out = run(
      "conv2d",
      {
        x: [f32(1, 1, 3, 3), [1, 2, 3, 4, 5, 6, 7, 8, 9]],
        w: [f32(1, 1, 2, 2), [1, 0, 0, -1]],
      },
      [v("x"), v("w")],
      { stride: 2, padding: { top: 1, bottom: 0, left: 1, right: 0 } },
    );
    // Windows start at padded (0,0), (0,2), (2,0), (2,2): y = x[r-1][c-1] - x[r][c].
    expect(out).toEqual({ shape: [1, 1, 2, 2], data: [-1, -3, -7, 5 - 9] });
  });

  it("routes maxpool2d's gradient to the first maximum of each window", () => {
    const x: [TensorType, number[]] = [f32(1, 1, 2, 3), [1, 5, 5, 5, 2, 5]];
    const pooled = run("maxpool2d", { x }, [v("x")], { size: 2, stride: 1 });
    expect(pooled).toEqual({ shape: [1, 1, 1, 2], data: [5, 5] });
    const grad = run("maxpool2d_grad", { x, g: [f32(1, 1, 1, 2), [10, 100]] }, [v("x"), v("g")], {
      size: 2,
      stride: 1,
    });
    // Window 1 (cols 0-1): first 5 at (0,1); window 2 (cols 1-2): first 5 at (0,1) again.
    expect(grad.data).toEqual([0, 110, 0, 0, 0, 0]);
  });

  it("multiplies with transpose flags and broadcast leading axes", () => {
    // a: [2, 2, 1] (transA: two 1x2 matrices), b: [2, 3]^T = [3, 2] (transB).
    const out = run(
      "matmul",
      { a: [f32(2, 2, 1), [1, 2, 3, 4]], b: [f32(3, 2), [1, 0, 0, 1, 1, 1]] },
      [v("a"), v("b")],
      { transA: true, transB: true },
    );
    expect(out).toEqual({ shape: [2, 1, 3], data: [1, 2, 3, 3, 4, 7] });
  });

  it("reduces over negative axes with keepdims", () => {
    const out = run("max_over", { x: [f32(2, 3), [1, 9, 3, 4, 5, -6]] }, [v("x")], {
      axes: { kind: "only", axes: [-1] },
      keepdims: true,
    });
    expect(out).toEqual({ shape: [2, 1], data: [9, 5] });
  });

  it("computes softmax stably and takes maxout over consecutive features", () => {
    const soft = run("softmax", { x: [f32(2), [1000, 1000]] }, [v("x")], { axis: -1 });
    expect(soft.data).toEqual([0.5, 0.5]);
    const max = run("maxout", { x: [f32(1, 4), [1, 3, 4, 2]] }, [v("x")], { pieces: 2 });
    expect(max).toEqual({ shape: [1, 2], data: [3, 4] });
  });

  it("clamps binary cross-entropy's logs at -100 as PyTorch does", () => {
    const out = run(
      "binary_cross_entropy",
      { p: [f32(2), [0, 1]], t: [f32(2), [1, 0]] },
      [v("p"), v("t")],
      {},
    );
    expect(out.data).toEqual([100]);
  });

  it("reads class ids for one_hot and cross_entropy", () => {
    const ids: [TensorType, number[]] = [{ dtype: "i32", shape: ["batch"] }, [2, 0]];
    expect(run("one_hot", { ids }, [v("ids")], { classes: 3 }, { batch: 2 })).toEqual({
      shape: [2, 3],
      data: [0, 0, 1, 1, 0, 0],
    });
    const loss = run(
      "cross_entropy",
      { p: [f32("batch", 3), [0.2, 0.3, 0.5, 0.25, 0.25, 0.5]], ids },
      [v("p"), v("ids")],
      {},
      { batch: 2 },
    );
    expect(loss.data[0]).toBeCloseTo(-(Math.log(0.5) + Math.log(0.25)) / 2, 15);
  });

  it("reshapes with a wildcard and concatenates along a symbolic axis", () => {
    const reshaped = run(
      "reshape",
      { x: [f32("batch", 6), [0, 1, 2, 3, 4, 5]] },
      [v("x")],
      {
        shape: [-1, 3],
      },
      { batch: 1 },
    );
    expect(reshaped.shape).toEqual([2, 3]);
    const joined = run(
      "concat",
      { a: [f32("batch", 1), [1, 2]], b: [f32("batch", 1), [3, 4]] },
      [v("a"), v("b")],
      { axis: 0 },
      { batch: 2 },
    );
    expect(joined).toEqual({ shape: [4, 1], data: [1, 2, 3, 4] });
  });

  it("rejects a result whose shape differs from its type", () => {
    const types = new Map([
      ["x", f32(2)],
      ["out", f32(3)],
    ]);
    const eqn = {
      out: "out",
      op: "exp",
      args: [v("x")],
      attrs: {},
      origin: span,
      callSites: [],
      layer: null,
    };
    expect(() =>
      interpret([eqn as unknown as AnyEqn], types, { x: Float64Array.of(1, 2) }),
    ).toThrow(/computes shape \[2\]/);
  });
});

describe("known shape discrepancies (reported)", () => {
  it("flatten after a concat along a named axis: [batch, n+n, 2] flattens to n+n*2", () => {
    // productDim joins the factors with `*` without parenthesising `n+n`, so the type reads
    // [batch, n+n*2] = 3n where the value has 4n features.
    const model = onlyModel(`model M {
  input x: [batch, n, 2]
  forward { concat(x, x, 1) -> flatten }
}
`);
    const evaluate = () =>
      interpret(model.eqns, model.types, { x: new Float64Array(12) }, { dims: { batch: 2, n: 3 } });
    expect(evaluate).not.toThrow();
  });
});
