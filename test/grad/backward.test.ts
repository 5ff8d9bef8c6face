import { describe, expect, it } from "vitest";
import { backward, differentiate } from "../../compiler/grad/index.js";
import { type IrAlgebra, IrBuilder } from "../../compiler/ir/builder.js";
import type { Dim, Operand, TensorType } from "../../compiler/ir/types.js";
import { allAxes } from "../../compiler/ops/axes.js";
import { specialize } from "../../compiler/passes/index.js";
import { onlyModel } from "../helpers/compile.js";
import { span, wrtEntry } from "../helpers/gradcheck.js";
import { type Tensor, count, interpret, resolveShape } from "../helpers/interpret.js";
import { mulberry32, seededUniforms, uniform } from "../helpers/random.js";

/**
 * The differentiation driver itself: cotangents of broadcast operands reduced to the operand's
 * shape, contributions summed, zero gradients for what the loss ignores, and no work for values
 * that do not depend on what is differentiated. Then whole models through `differentiate`,
 * against finite differences.
 */

const f32 = (...shape: Dim[]): TensorType => ({ dtype: "f32", shape });
const v = (name: string): Operand => ({ kind: "value", name });
const k = (value: number): Operand => ({ kind: "const", value });
const none = {};

/** The algebra of a builder, and the builder (for its equations and types). */
type Graph = IrAlgebra & { readonly builder: IrBuilder };

/** A graph over typed inputs, built with the real shape rules. */
function graph(inputs: Record<string, TensorType>): Graph {
  const builder = IrBuilder.typed([], new Map(Object.entries(inputs)));
  return Object.assign(builder.at({ origin: span, callSites: [], layer: null }), { builder });
}

/** `sum(y)` as the loss; returns its name. */
function sumOf(e: Graph, y: Operand): string {
  const s = e.emit("sum", [y], { axes: allAxes, keepdims: false });
  if (s.kind !== "value") throw new Error("sum gave a constant");
  return s.name;
}

/** Runs backward and the interpreter; returns each gradient with its type. */
function gradients(
  e: Graph,
  loss: string,
  wrt: readonly string[],
  env: Record<string, Float64Array>,
  dims: Record<string, number> = {},
) {
  const derived = backward(
    e.builder.eqns,
    e.builder.types,
    loss,
    wrt.map((name) => wrtEntry(name, e.builder.types.get(name)!)),
  );
  const values = interpret(derived.eqns, derived.types, env, { dims });
  const result = new Map<string, { type: TensorType; value: Tensor }>();
  for (const name of wrt) {
    const g = derived.gradients.get(name)!;
    result.set(name, { type: derived.types.get(g)!, value: values.get(g)! });
  }
  return { result, derived, appended: derived.eqns.slice(e.builder.eqns.length) };
}

const data = (...values: number[]) => Float64Array.from(values);

describe("backward: broadcast operands", () => {
  it("reduces the cotangent of [3] added to [batch, 3] over the batch", () => {
    const e = graph({ x: f32("batch", 3), b: f32(3), c: f32("batch", 3) });
    const y = e.emit("add", [v("x"), v("b")], none);
    const loss = sumOf(e, e.emit("mul", [y, v("c")], none));
    const c = data(1, 2, 3, 4, 5, 6);
    const { result } = gradients(
      e,
      loss,
      ["x", "b"],
      { x: new Float64Array(6), b: new Float64Array(3), c },
      { batch: 2 },
    );
    expect(result.get("b")!.type).toEqual(f32(3));
    expect([...result.get("b")!.value.data]).toEqual([5, 7, 9]);
    expect(result.get("x")!.type).toEqual(f32("batch", 3));
    expect([...result.get("x")!.value.data]).toEqual([...c]);
  });

  it("reduces [batch, 1] times [batch, 4] over the stretched axis, keeping it", () => {
    const e = graph({ a: f32("batch", 1), b: f32("batch", 4) });
    const loss = sumOf(e, e.emit("mul", [v("a"), v("b")], none));
    const { result } = gradients(
      e,
      loss,
      ["a", "b"],
      { a: data(2, 3), b: data(1, 2, 3, 4, 5, 6, 7, 8) },
      { batch: 2 },
    );
    expect(result.get("a")!.type).toEqual(f32("batch", 1));
    expect([...result.get("a")!.value.data]).toEqual([10, 26]);
    expect(result.get("b")!.type).toEqual(f32("batch", 4));
    expect([...result.get("b")!.value.data]).toEqual([2, 2, 2, 2, 3, 3, 3, 3]);
  });

  it("spreads the cotangent over an operand multiplied by an inline constant", () => {
    const e = graph({ x: f32(2, 3) });
    const scaled = e.emit("mul", [k(2), v("x")], none);
    const loss = sumOf(e, e.emit("add", [scaled, k(1)], none));
    const { result } = gradients(e, loss, ["x"], { x: new Float64Array(6) });
    expect(result.get("x")!.type).toEqual(f32(2, 3));
    expect([...result.get("x")!.value.data]).toEqual([2, 2, 2, 2, 2, 2]);
  });

  it("sums the cotangent of a scalar value broadcast over [batch, 3]", () => {
    const e = graph({ x: f32("batch", 3), s: f32(), c: f32("batch", 3) });
    const y = e.emit("mul", [v("x"), v("s")], none);
    const loss = sumOf(e, e.emit("mul", [y, v("c")], none));
    const x = data(1, 2, 3, 4, 5, 6);
    const c = data(1, 0, 2, 0, 1, 1);
    const { result } = gradients(e, loss, ["s", "x"], { x, s: data(3), c }, { batch: 2 });
    expect(result.get("s")!.type).toEqual(f32());
    expect([...result.get("s")!.value.data]).toEqual([1 + 6 + 5 + 6]);
    expect([...result.get("x")!.value.data]).toEqual([...c].map((ci) => 3 * ci));
  });

  it("differentiates a loss that is the operand itself (cotangent 1 of a scalar)", () => {
    const e = graph({ x: f32(3) });
    const loss = sumOf(e, v("x"));
    const { result } = gradients(e, loss, ["x"], { x: data(1, 2, 3) });
    expect([...result.get("x")!.value.data]).toEqual([1, 1, 1]);
  });
});

describe("backward: contributions and dependencies", () => {
  it("sums the contributions of a value used twice (x * x + exp(x))", () => {
    const e = graph({ x: f32(4) });
    const square = e.emit("mul", [v("x"), v("x")], none);
    const y = e.emit("add", [square, e.emit("exp", [v("x")], none)], none);
    const loss = sumOf(e, y);
    const x = data(-1, 0, 0.5, 2);
    const { result } = gradients(e, loss, ["x"], { x });
    const expected = [...x].map((xi) => 2 * xi + Math.exp(xi));
    result.get("x")!.value.data.forEach((g, i) => expect(g).toBeCloseTo(expected[i]!, 14));
  });

  it("sums contributions that reach a value through different paths and shapes", () => {
    // y = sum(x) * x + x: x feeds a reduction, a broadcast product and an addition.
    const e = graph({ x: f32(3) });
    const total = e.emit("sum", [v("x")], { axes: allAxes, keepdims: false });
    const y = e.emit("add", [e.emit("mul", [total, v("x")], none), v("x")], none);
    const loss = sumOf(e, y);
    const x = data(1, 2, 3);
    const { result } = gradients(e, loss, ["x"], { x });
    // d/dx_i [S^2 + S] = 2S + 1 with S = 6.
    expect([...result.get("x")!.value.data]).toEqual([13, 13, 13]);
  });

  it("gives a zero gradient of its shape to a parameter the loss does not depend on", () => {
    const e = graph({ x: f32("batch", 3), w: f32(4, 2) });
    e.emit("exp", [v("w")], none); // computed, but not part of the loss
    const loss = sumOf(e, e.emit("square", [v("x")], none));
    const { result } = gradients(
      e,
      loss,
      ["x", "w"],
      { x: data(1, 2, 3), w: new Float64Array(8).fill(1) },
      { batch: 1 },
    );
    expect(result.get("w")!.type).toEqual(f32(4, 2));
    expect([...result.get("w")!.value.data]).toEqual(Array.from({ length: 8 }, () => 0));
    expect([...result.get("x")!.value.data]).toEqual([2, 4, 6]);
  });

  it("differentiates only values that depend on what is differentiated", () => {
    // q = tanh(k) does not depend on x: its rule (which squares tanh) must not run, and
    // nothing derived may read k.
    const e = graph({ x: f32(3), k: f32(3) });
    const q = e.emit("tanh", [v("k")], none);
    const unused = e.emit("sin", [v("x")], none);
    const loss = sumOf(e, e.emit("mul", [v("x"), q], none));
    const { appended, result } = gradients(e, loss, ["x"], {
      x: data(1, 2, 3),
      k: data(0.1, 0.2, 0.3),
    });
    expect(appended.map((eqn) => eqn.op)).not.toContain("square");
    expect(appended.map((eqn) => eqn.op)).not.toContain("cos");
    expect(appended.some((eqn) => eqn.args.some((a) => a.kind === "value" && a.name === "k"))).toBe(
      false,
    );
    expect(unused.kind).toBe("value");
    result
      .get("x")!
      .value.data.forEach((g, i) => expect(g).toBeCloseTo(Math.tanh([0.1, 0.2, 0.3][i]!), 15));
  });
});

/**
 * A whole model through `differentiate`: every trainable parameter's gradient against central
 * finite differences of the interpreted training loss (same dropout masks on every run).
 */
function checkModel(text: string, batch: number, seed: number) {
  const model = onlyModel(text);
  const fn = differentiate(specialize(model, "train"));
  const rng = mulberry32(seed);
  const dims = { batch };
  const env: Record<string, Float64Array> = {};
  for (const decl of [...model.inputs, ...model.targets]) {
    const n = count(resolveShape(decl.type.shape, dims));
    const classes = 3;
    env[decl.name] = Float64Array.from({ length: n }, () =>
      decl.type.dtype === "i32" ? Math.floor(rng() * classes) : uniform(rng, -1, 1),
    );
  }
  for (const p of model.params) {
    env[p.name] = Float64Array.from({ length: count(p.shape) }, () =>
      p.name.endsWith("running_var") ? uniform(rng, 0.5, 1.5) : uniform(rng, -0.8, 0.8),
    );
  }
  const options = { dims, random: seededUniforms(seed) };
  const run = (at: Record<string, Float64Array>) => interpret(fn.eqns, fn.types, at, options);
  const values = run(env);
  const loss = (at: Record<string, Float64Array>) => run(at).get(fn.loss!)!.data[0]!;
  const eps = 1e-6;
  const rows: string[] = [];
  for (const p of model.params.filter((q) => q.trainable)) {
    const grad = values.get(fn.gradients.get(p.name)!)!;
    if (grad.shape.join() !== p.shape.join()) {
      rows.push(
        `${p.name}: gradient shape [${grad.shape.join(", ")}], expected [${p.shape.join(", ")}]`,
      );
      continue;
    }
    const x = env[p.name]!;
    const dir = Float64Array.from(x, () => uniform(rng, -1, 1));
    const analytic = grad.data.reduce((s, g, i) => s + g * dir[i]!, 0);
    const at = (sign: number) => ({
      ...env,
      [p.name]: x.map((xi, i) => xi + sign * eps * dir[i]!),
    });
    const numeric = (loss(at(1)) - loss(at(-1))) / (2 * eps);
    if (
      !(
        Math.abs(analytic - numeric) <=
        1e-6 * Math.max(Math.abs(analytic), Math.abs(numeric)) + 1e-8
      )
    ) {
      rows.push(`${p.name}: backward ${analytic}, finite differences ${numeric}`);
    }
  }
  return { fn, problems: rows };
}

describe("differentiate: whole models against finite differences", () => {
  it("an MLP with batch norm, dropout, a maxout layer and the fused softmax cross-entropy plus L2", () => {
    const { fn, problems } = checkModel(
      `model M {
  input x: [batch, 5]
  target y: i32[batch]
  forward {
    x -> dense(6) -> batchnorm -> relu -> dropout(0.3)
      -> maxout(4, pieces: 2) -> layernorm -> dense(3) -> softmax
  }
  loss cross_entropy + 0.01 * l2(weights)
  optimizer sgd(lr: 0.1)
}
`,
      4,
      7,
    );
    expect(problems).toEqual([]);
    expect(fn.eqns.some((e) => e.op === "softmax_cross_entropy")).toBe(true);
  });

  it("a convolutional network (padding, stride, pooling, flatten) with mse", () => {
    const { problems } = checkModel(
      `model C {
  input x: [batch, 2, 7, 6]
  target y: [batch, 3]
  forward {
    x -> conv2d(3, kernel: 3, padding: 1, stride: 2) -> tanh -> conv2d(2, kernel: 2, padding: same)
      -> maxpool2d(2, stride: 1) -> flatten -> dense(3) -> sigmoid
  }
  loss mse
  optimizer sgd(lr: 0.1)
}
`,
      2,
      11,
    );
    expect(problems).toEqual([]);
  });

  it("fn definitions, reductions and elementwise built-ins inside a huber loss", () => {
    const { problems } = checkModel(
      `fn swishish(x, beta = 1.5) = x * sigmoid(beta * x)
model F {
  input x: [batch, 4]
  target y: [batch, 2]
  forward {
    h = x -> dense(4) -> swishish
    s = h - mean(h, axis: -1, keepdims: true)
    concat(s, exp(-square(h)), 1) -> dense(2) -> gelu
  }
  loss huber(delta: 0.5) + 0.001 * l1(weights)
  optimizer sgd(lr: 0.1)
}
`,
      3,
      5,
    );
    expect(problems).toEqual([]);
  });
});
