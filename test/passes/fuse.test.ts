import { describe, expect, it } from "vitest";
import type { AnyEqn } from "../../compiler/ir/types.js";
import {
  type FusedKernel,
  type Schedule,
  type Step,
  elementwiseOps,
  fuse,
  maxKernelBuffers,
} from "../../compiler/passes/fuse.js";
import { shapesEqual } from "../../compiler/shapes/dims.js";
import { type CompiledCase, compileOne, randomCases, writtenCases } from "./corpus.js";

/**
 * fuse.ts's guarantees, checked directly: on small models written to show one rule each, and
 * on every function of the corpus (examples, docs, conformance sources, random models), where
 * the schedule must compute every value once, in an order where each read follows its write,
 * with kernel inputs and outputs exactly what the rest of the function needs.
 */

/** The steps with each gemm and its epilogue as two, in the order they compute. */
function flatSteps(schedule: Schedule): Step[] {
  return schedule.steps.flatMap((s): Step[] =>
    s.kind === "gemm-epilogue"
      ? [
          { kind: "single", eqn: s.eqn },
          { kind: "kernel", kernel: s.kernel },
        ]
      : [s],
  );
}

/**
 * What is wrong with a matmul's epilogue: it must read the product, over the product's shape,
 * only unbroadcast (every member's operand the product has the domain's shape), and the
 * product must be one gemm (no leading axes on both operands).
 */
function epilogueProblems(schedule: Schedule, eqn: AnyEqn, k: FusedKernel): string[] {
  const shapeOf = (v: string) => schedule.fn.types.get(v)?.shape ?? [];
  const problems: string[] = [];
  if (eqn.op !== "matmul") problems.push(`${k.name} follows ${eqn.out} (${eqn.op})`);
  if (!k.inputs.includes(eqn.out)) problems.push(`${k.name} does not read ${eqn.out}`);
  if (!shapesEqual(shapeOf(eqn.out), k.domain)) {
    problems.push(`${k.name} runs over another shape than ${eqn.out}`);
  }
  const operandRanks = eqn.args.map((a) => (a.kind === "value" ? shapeOf(a.name).length : 0));
  if (operandRanks.every((r) => r > 2)) problems.push(`${eqn.out} is a batched product`);
  for (const member of k.eqns) {
    if (
      member.op === "broadcast_to" &&
      member.args.some((a) => a.kind === "value" && a.name === eqn.out)
    ) {
      problems.push(`${k.name} broadcasts ${eqn.out}`);
    }
  }
  return problems;
}

/** Everything wrong with a schedule, as sentences; empty when fuse.ts kept its promises. */
function scheduleProblems(schedule: Schedule): string[] {
  const fn = schedule.fn;
  const problems: string[] = [];
  for (const s of schedule.steps) {
    if (s.kind === "gemm-epilogue") problems.push(...epilogueProblems(schedule, s.eqn, s.kernel));
  }
  const results = new Set<string>(
    [fn.output, fn.loss, ...fn.updates.map((u) => u.value)].flatMap((v) => (v ? [v] : [])),
  );
  const written = new Set<string>([
    ...fn.inputs.map((t) => t.name),
    ...fn.params.map((p) => p.name),
    ...fn.state.map((s) => s.name),
    ...fn.scalars,
    ...schedule.inline.keys(),
  ]);
  const kernelOf = new Map<string, FusedKernel>();
  const scheduled = new Map<string, number>();
  const steps = flatSteps(schedule);
  for (const step of steps) {
    const eqns = step.kind === "single" ? [step.eqn] : step.kernel.eqns;
    for (const e of eqns) scheduled.set(e.out, (scheduled.get(e.out) ?? 0) + 1);
    if (step.kind !== "single") for (const e of eqns) kernelOf.set(e.out, step.kernel);
  }
  for (const e of fn.eqns) {
    const times = scheduled.get(e.out) ?? 0;
    if (schedule.inline.has(e.out)) {
      if (times !== 0) problems.push(`${e.out} is computed inline and also scheduled`);
      if (e.op !== "size") problems.push(`${e.out} (${e.op}) is inline but not a size`);
    } else if (times !== 1) problems.push(`${e.out} (${e.op}) is scheduled ${times} times`);
  }
  const valuesRead = (e: AnyEqn): string[] =>
    e.args.flatMap((a) => (a.kind === "value" ? [a.name] : []));

  for (const step of steps) {
    if (step.kind === "single") {
      const e = step.eqn;
      if (elementwiseOps.has(e.op)) problems.push(`${e.out} (${e.op}) runs alone`);
      for (const v of valuesRead(e)) {
        if (!written.has(v)) problems.push(`${e.out} (${e.op}) reads ${v} before it is stored`);
      }
      written.add(e.out);
      continue;
    }
    const k = step.kernel;
    const produced = new Set<string>();
    const inputs = new Set<string>();
    for (const e of k.eqns) {
      if (!elementwiseOps.has(e.op)) problems.push(`${k.name} holds ${e.out} (${e.op})`);
      const shape = fn.types.get(e.out)?.shape ?? [];
      if (!shapesEqual(shape, k.domain)) problems.push(`${k.name} holds ${e.out} of another shape`);
      for (const v of valuesRead(e)) {
        if (produced.has(v) || schedule.inline.has(v)) continue;
        inputs.add(v);
        if (!written.has(v)) problems.push(`${k.name} reads ${v} before it is stored`);
      }
      produced.add(e.out);
    }
    const neededLater = k.eqns
      .map((e) => e.out)
      .filter(
        (v) =>
          results.has(v) ||
          fn.eqns.some(
            (reader) => kernelOf.get(reader.out) !== k && valuesRead(reader).includes(v),
          ),
      );
    expectSameSet(problems, `${k.name} inputs`, k.inputs, [...inputs]);
    expectSameSet(problems, `${k.name} outputs`, k.outputs, neededLater);
    if (k.inputs.length + k.outputs.length > maxKernelBuffers) {
      problems.push(`${k.name} has ${k.inputs.length + k.outputs.length} buffers`);
    }
    // Only outputs are stored: a later read of any other member fails the check above.
    for (const v of k.outputs) written.add(v);
  }
  for (const v of results) if (!written.has(v)) problems.push(`result ${v} is never stored`);
  return problems;
}

function expectSameSet(
  problems: string[],
  what: string,
  actual: readonly string[],
  expected: readonly string[],
): void {
  const sorted = (xs: readonly string[]) => [...xs].sort().join(" ");
  if (new Set(actual).size !== actual.length) problems.push(`${what} repeat a value`);
  if (sorted(actual) !== sorted(expected)) {
    problems.push(`${what} are [${sorted(actual)}], expected [${sorted(expected)}]`);
  }
}

function kernels(schedule: Schedule): FusedKernel[] {
  return schedule.steps.flatMap((s) => (s.kind === "single" ? [] : [s.kernel]));
}

/** The kernel that computes an equation of op `op`; fails unless there is exactly one. */
function kernelWith(schedule: Schedule, op: string): FusedKernel {
  const found = kernels(schedule).filter((k) => k.eqns.some((e) => e.op === op));
  expect(found.map((k) => k.name)).toHaveLength(1);
  return found[0]!;
}

function ops(kernel: FusedKernel): string[] {
  return kernel.eqns.map((e) => e.op);
}

function stepKinds(schedule: Schedule): string[] {
  return schedule.steps.map((s) =>
    s.kind === "kernel" ? "kernel" : s.kind === "gemm-epilogue" ? `${s.eqn.op}+kernel` : s.eqn.op,
  );
}

const predictOnly = (forward: string, inputs = "input x: [batch, 4]") => `
model P {
  ${inputs}
  forward {
    ${forward}
  }
}`;

describe("fuse: what joins a kernel", () => {
  it("a chain of elementwise ops over one shape is one kernel that stores only its result", () => {
    const { predict } = compileOne(predictOnly("x -> relu -> tanh -> sigmoid"));
    const s = predict.schedule;
    expect(scheduleProblems(s)).toEqual([]);
    expect(stepKinds(s)).toEqual(["kernel"]);
    const k = kernels(s)[0]!;
    expect(ops(k)).toEqual(["relu", "tanh", "sigmoid"]);
    expect(k.inputs).toEqual(["x"]);
    expect(k.outputs).toEqual([s.fn.output]);
  });

  it("a producer's kernel takes its consumer: a dense layer's bias add and activation", () => {
    const { predict } = compileOne(predictOnly("x -> dense(3) -> tanh"));
    const s = predict.schedule;
    expect(scheduleProblems(s)).toEqual([]);
    expect(stepKinds(s)).toEqual(["matmul+kernel"]);
    expect(ops(kernels(s)[0]!)).toEqual(["add", "tanh"]);
    expect(kernels(s)[0]!.outputs).toEqual([s.fn.output]);
  });

  it("siblings over the same shape share a kernel, each stored for the step that reads both", () => {
    const { predict } = compileOne(
      predictOnly("a = x -> relu\n    b = x -> sigmoid\n    concat(a, b, 1)"),
    );
    const s = predict.schedule;
    expect(scheduleProblems(s)).toEqual([]);
    expect(stepKinds(s)).toEqual(["kernel", "concat"]);
    const k = kernels(s)[0]!;
    expect(ops(k)).toEqual(["relu", "sigmoid"]);
    expect(k.outputs).toHaveLength(2);
  });

  it("an optimizer's updates of one parameter are one kernel (Adam's moments and the step)", () => {
    const { train } = compileOne(`
model M {
  input  x: [batch, 3]
  target y: [batch, 2]
  forward { x -> dense(2, bias: false) }
  loss      mse
  optimizer adam(lr: 0.01)
}`);
    const s = train!.schedule;
    expect(scheduleProblems(s)).toEqual([]);
    const updates = new Map(s.fn.updates.map((u) => [u.target, u.value]));
    const weight = "dense_1.weight";
    const perWeight = [weight, `${weight}.exp_avg`, `${weight}.exp_avg_sq`].map(
      (t) => kernels(s).find((k) => k.outputs.includes(updates.get(t)!))?.name,
    );
    expect(perWeight[0]).toBeDefined();
    expect(new Set(perWeight)).toEqual(new Set([perWeight[0]]));
  });
});

describe("fuse: what must not join", () => {
  it("ops over different shapes are different kernels, the first one's value stored", () => {
    const { predict } = compileOne(
      predictOnly("t = z -> tanh\n    x * t", "input x: [batch, 4]\n  input z: [batch, 1]"),
    );
    const s = predict.schedule;
    expect(scheduleProblems(s)).toEqual([]);
    const tanh = kernelWith(s, "tanh");
    const mul = kernelWith(s, "mul");
    expect(tanh).not.toBe(mul);
    expect(tanh.domain).toEqual(["batch", 1]);
    expect(mul.domain).toEqual(["batch", 4]);
    expect(mul.inputs).toContain(tanh.outputs[0]);
  });

  it("a kernel whose value a library step reads is closed before that step", () => {
    // tanh's value feeds the matmul of the dense layer, which runs between tanh and the product:
    // the product cannot join tanh's kernel, so it joins the bias add's.
    const { predict } = compileOne(predictOnly("a = x -> tanh\n    b = a -> dense(4)\n    a * b"));
    const s = predict.schedule;
    expect(scheduleProblems(s)).toEqual([]);
    expect(stepKinds(s)).toEqual(["kernel", "matmul+kernel"]);
    const [first, second] = kernels(s);
    expect(ops(first!)).toEqual(["tanh"]);
    expect(ops(second!)).toEqual(["add", "mul"]);
    expect(first!.outputs).toHaveLength(1);
    expect(second!.inputs).toContain(first!.outputs[0]);
  });

  it("a kernel never has more than maxKernelBuffers buffers: a sum of 13 inputs splits", () => {
    const names = Array.from({ length: 13 }, (_, i) => `x${i + 1}`);
    const { predict } = compileOne(
      predictOnly(names.join(" + "), names.map((n) => `input ${n}: [batch, 2]`).join("\n  ")),
    );
    const s = predict.schedule;
    expect(scheduleProblems(s)).toEqual([]);
    const ks = kernels(s);
    expect(ks.length).toBeGreaterThan(1);
    for (const k of ks) expect(k.inputs.length + k.outputs.length).toBeLessThanOrEqual(12);
    // The first kernel is as large as the limit allows: 11 inputs and its stored sum.
    expect(ks[0]!.inputs.length + ks[0]!.outputs.length).toBe(maxKernelBuffers);
  });

  it("library, layout and view ops run on their own", () => {
    const { predict } = compileOne(
      predictOnly("x -> reshape([batch, 2, 2]) -> transpose -> flatten -> softmax"),
    );
    const s = predict.schedule;
    expect(scheduleProblems(s)).toEqual([]);
    expect(kernels(s)).toEqual([]);
  });
});

describe("fuse: a matmul's epilogue", () => {
  it("the kernel right after a product, over its shape, reading it unbroadcast, joins it", () => {
    const dense = compileOne(predictOnly("x -> dense(3) -> relu")).predict.schedule;
    expect(scheduleProblems(dense)).toEqual([]);
    expect(stepKinds(dense)).toEqual(["matmul+kernel"]);
    // x^T x: [4, batch] x [batch, 4], one product however large the batch
    const gram = compileOne(predictOnly("matmul(transpose(x), x) -> tanh")).predict.schedule;
    expect(scheduleProblems(gram)).toEqual([]);
    expect(stepKinds(gram)).toEqual(["transpose", "matmul+kernel"]);
  });

  it("the first kernel reading the product moves up to it, unless it reads a value computed in between", () => {
    // a * b: the product a is read by the kernel only after b's matmul, whose value the kernel
    // reads too: it joins b's gemm, not a's.
    const { predict } = compileOne(
      predictOnly("a = x -> dense(4, bias: false)\n    b = x -> dense(4, bias: false)\n    a * b"),
    );
    expect(scheduleProblems(predict.schedule)).toEqual([]);
    expect(stepKinds(predict.schedule)).toEqual(["matmul", "matmul+kernel"]);
    // Backward: relu's gradient reads dY W (and the forward value), past the weight gradient's
    // matmul in between.
    const { train } = compileOne(`
model M {
  input  x: [batch, 3]
  target y: [batch, 2]
  forward { x -> dense(8) -> relu -> dense(2) }
  loss      mse
  optimizer sgd(lr: 0.1)
}`);
    const s = train!.schedule;
    expect(scheduleProblems(s)).toEqual([]);
    const joined = s.steps.flatMap((step) => (step.kind === "gemm-epilogue" ? [step] : []));
    const reluGrad = joined.find((step) => step.kernel.eqns.some((e) => e.op === "gt"));
    expect(reluGrad).toBeDefined();
    expect(reluGrad!.eqn.attrs).toMatchObject({ transA: false, transB: false });
  });

  it("not when the kernel reads the product broadcast (another index for each element)", () => {
    const { predict } = compileOne(
      predictOnly(
        "p = x -> dense(1, bias: false)\n    z * p",
        "input x: [batch, 4]\n  input z: [batch, 4]",
      ),
    );
    const s = predict.schedule;
    expect(scheduleProblems(s)).toEqual([]);
    expect(stepKinds(s)).toEqual(["matmul", "kernel"]);
    expect(kernels(s)[0]!.domain).toEqual(["batch", 4]);
  });

  it("not when another op reads the product at a transposed index before the kernel", () => {
    const { predict } = compileOne(
      predictOnly("g = matmul(transpose(x), x)\n    g + transpose(g)", "input x: [batch, 4]"),
    );
    const s = predict.schedule;
    expect(scheduleProblems(s)).toEqual([]);
    expect(stepKinds(s)).toEqual(["transpose", "matmul", "transpose", "kernel"]);
  });

  it("not for a batched product (one gemm per matrix of the leading axes)", () => {
    const { predict } = compileOne(
      predictOnly("matmul(x, transpose(x)) -> relu", "input x: [batch, 3, 4]"),
    );
    const s = predict.schedule;
    expect(scheduleProblems(s)).toEqual([]);
    expect(stepKinds(s)).toEqual(["transpose", "matmul", "kernel"]);
  });
});

describe("fuse: the checks see a broken schedule", () => {
  it("a missing output, and a step before the kernel it reads", () => {
    const { predict } = compileOne(predictOnly("x -> dense(3) -> tanh -> dense(2) -> relu"));
    const s = predict.schedule;
    expect(scheduleProblems(s)).toEqual([]);
    const steps = s.steps.map((step) =>
      step.kind === "single" ? step : { ...step, kernel: { ...step.kernel, outputs: [] } },
    );
    expect(scheduleProblems({ ...s, steps })).not.toEqual([]);
    expect(scheduleProblems({ ...s, steps: [...s.steps].reverse() })).not.toEqual([]);
  });
});

describe("fuse: the schedule's guarantees hold on every compiled function", () => {
  const check = (cases: CompiledCase[]) => {
    const failures = cases.flatMap(({ label, compiled }) =>
      scheduleProblems(compiled.schedule).map((p) => `${label}: ${p}`),
    );
    expect(failures).toEqual([]);
  };

  it("examples, reference fixtures, docs and conformance sources", () => {
    const cases = writtenCases();
    expect(cases.length).toBeGreaterThan(100);
    check(cases);
  });

  it("random small models", () => {
    const cases = randomCases(60);
    check(cases);
    // Fusing again gives the same schedule: it depends on the function alone.
    for (const { compiled } of cases.slice(0, 20)) {
      const again = fuse(compiled.fn);
      expect(again.steps).toEqual(compiled.schedule.steps);
    }
  });
});
