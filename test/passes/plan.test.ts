import { describe, expect, it } from "vitest";
import type { IrFunction } from "../../compiler/ir/function.js";
import type { AnyEqn } from "../../compiler/ir/types.js";
import { aliasOps, fuse } from "../../compiler/passes/fuse.js";
import type { CompiledFunction } from "../../compiler/passes/index.js";
import {
  type BufferPlan,
  type Storage,
  extentOf,
  planBuffers,
} from "../../compiler/passes/plan.js";
import { shapesEqual } from "../../compiler/shapes/dims.js";
import { type CompiledCase, compileOne, randomCases, writtenCases } from "./corpus.js";

/**
 * plan.ts's guarantees, checked directly: every value a step touches has storage; data,
 * parameters and state keep their own buffers; views share their root's storage; no two values
 * of one slot are alive at once; an update is computed in place only when its kernel is the
 * last to read the old value, and copied at the end otherwise.
 */

type Planned = Pick<CompiledFunction, "schedule" | "plan" | "batch">;

const same = (a: Storage | undefined, b: Storage | undefined): boolean =>
  JSON.stringify(a) === JSON.stringify(b);

/** Everything wrong with a buffer plan, as sentences; empty when plan.ts kept its promises. */
function planProblems({ schedule, plan, batch }: Planned): string[] {
  const fn = schedule.fn;
  const steps = schedule.steps;
  const problems: string[] = [];
  const own: Storage[] = [
    ...fn.inputs.map((t) => ({ kind: "input", name: t.name }) as const),
    ...fn.params.map((p) => ({ kind: "param", name: p.name }) as const),
    ...[...fn.state.map((s) => s.name), ...fn.scalars].map(
      (name) => ({ kind: "state", name }) as const,
    ),
  ];
  for (const storage of own) {
    if (storage.kind === "slot") continue;
    if (!same(plan.storage.get(storage.name), storage)) {
      problems.push(`${storage.name} is not in its own ${storage.kind} buffer`);
    }
  }

  // A gemm with its epilogue is one step: it reads the product, its operands and the kernel's
  // inputs, and writes the product and the kernel's outputs, at once.
  const operands = (e: AnyEqn) => e.args.flatMap((a) => (a.kind === "value" ? [a.name] : []));
  const reads = steps.map((s) =>
    s.kind === "kernel"
      ? [...s.kernel.inputs]
      : s.kind === "gemm-epilogue"
        ? [...operands(s.eqn), ...s.kernel.inputs]
        : operands(s.eqn),
  );
  const writes = steps.map((s) =>
    s.kind === "kernel"
      ? [...s.kernel.outputs]
      : s.kind === "gemm-epilogue"
        ? [s.eqn.out, ...s.kernel.outputs]
        : [s.eqn.out],
  );
  for (const v of [...reads.flat(), ...writes.flat()]) {
    if (!plan.storage.has(v)) problems.push(`${v} has no storage`);
  }

  // Views: a reshape's value is its operand's buffer, however many reshapes deep.
  const root = new Map<string, string>();
  const rootOf = (v: string): string => root.get(v) ?? v;
  for (const s of steps) {
    if (s.kind === "single" && aliasOps.has(s.eqn.op)) {
      const a = s.eqn.args[0];
      if (a?.kind === "value") root.set(s.eqn.out, rootOf(a.name));
    }
  }
  for (const [view, r] of root) {
    if (!same(plan.storage.get(view), plan.storage.get(r))) {
      problems.push(`view ${view} is not stored with ${r}`);
    }
  }

  // Updates: in place only where safe, else copied, never both.
  const writerOf = (v: string): number => writes.findIndex((w) => w.includes(v));
  const copied = new Set(plan.copies.map((c) => `${c.value} -> ${c.target}`));
  for (const c of plan.copies) {
    if (!fn.updates.some((u) => u.value === c.value && u.target === c.target)) {
      problems.push(`copy ${c.value} -> ${c.target} is no update`);
    }
  }
  for (const u of fn.updates) {
    const inPlace = same(plan.storage.get(u.value), plan.storage.get(u.target));
    if (inPlace === copied.has(`${u.value} -> ${u.target}`)) {
      problems.push(
        `update ${u.target} <- ${u.value} is ${inPlace ? "both" : "neither"} in place and copied`,
      );
    }
    if (!inPlace) continue;
    const w = writerOf(u.value);
    const writer = steps[w];
    if (writer === undefined || writer.kind === "single") {
      problems.push(`${u.target} <- ${u.value} is in place, but not written by a kernel`);
      continue;
    }
    if (writer.kind === "gemm-epilogue" && operands(writer.eqn).includes(u.target)) {
      problems.push(`${u.target} is updated in place by the epilogue of a gemm that reads it`);
    }
    // Elementwise over the target's own shape: each element's old value is read just before
    // the same element is overwritten.
    if (!shapesEqual(writer.kernel.domain, fn.types.get(u.target)?.shape ?? [])) {
      problems.push(`${u.target} is updated in place by ${writer.kernel.name} over another shape`);
    }
    reads.forEach((values, i) => {
      if (i > w && values.some((v) => rootOf(v) === u.target)) {
        problems.push(`${u.target} is overwritten by step ${w} but its old value is read at ${i}`);
      }
    });
  }

  // Slots: every value from its write to its last read (of it or a view of it), results and
  // copied values to the end, and no two such lifetimes of one slot overlap.
  const pinned = new Set(
    [
      fn.output,
      fn.loss,
      ...fn.updates.map((u) => u.value),
      ...plan.copies.map((c) => c.value),
    ].flatMap((v) => (v ? [rootOf(v)] : [])),
  );
  const lifetimes = new Map<number, { value: string; from: number; to: number }[]>();
  writes.forEach((values, i) => {
    for (const value of values) {
      const s = plan.storage.get(value);
      if (s?.kind !== "slot" || root.has(value)) continue;
      let to = pinned.has(value) ? steps.length : i;
      reads.forEach((rs, j) => {
        if (rs.some((r) => rootOf(r) === value)) to = Math.max(to, j);
      });
      const list = lifetimes.get(s.index) ?? [];
      list.push({ value, from: i, to });
      lifetimes.set(s.index, list);
      const extent = extentOf(fn.types.get(value)?.shape ?? [], batch);
      const sizes = plan.slots[s.index]?.sizes ?? [];
      if (!sizes.some((e) => e.factor === extent.factor && e.power === extent.power)) {
        problems.push(`slot ${s.index} is not sized for ${value}`);
      }
    }
  });
  for (const [slot, list] of lifetimes) {
    for (let a = 0; a < list.length; a++) {
      for (let b = a + 1; b < list.length; b++) {
        const x = list[a]!;
        const y = list[b]!;
        if (x.from <= y.to && y.from <= x.to) {
          problems.push(
            `slot ${slot} holds ${x.value} (steps ${x.from}..${x.to}) and ${y.value} (steps ${y.from}..${y.to})`,
          );
        }
      }
    }
  }
  return problems;
}

function slotValues(plan: BufferPlan): string[] {
  return [...plan.storage].flatMap(([v, s]) => (s.kind === "slot" ? [v] : []));
}

describe("plan: storage", () => {
  it("inputs, parameters and state keep their buffers; temporaries reuse slots", () => {
    const { predict } = compileOne(`
model P {
  input x: [batch, 4]
  forward { x -> dense(4) -> relu -> dense(4) -> relu -> dense(4) -> relu -> dense(4) }
}`);
    expect(planProblems(predict)).toEqual([]);
    expect(predict.plan.storage.get("x")).toEqual({ kind: "input", name: "x" });
    expect(predict.plan.storage.get("dense_2.weight")).toEqual({
      kind: "param",
      name: "dense_2.weight",
    });
    // Four matmuls, each with its epilogue, write eight values; three slots take turns (a
    // product and its kernel's value are written while the gemm's operand is read).
    expect(slotValues(predict.plan).length).toBeGreaterThan(predict.plan.slots.length);
    expect(predict.plan.slots).toHaveLength(3);
  });

  it("a gemm's epilogue writes no operand of its gemm (threads may still read them)", () => {
    const { predict } = compileOne(`
model P {
  input x: [batch, 8]
  forward { x -> dense(8) -> relu -> dense(8) -> relu }
}`);
    expect(planProblems(predict)).toEqual([]);
    const fused = predict.schedule.steps.flatMap((s) => (s.kind === "gemm-epilogue" ? [s] : []));
    expect(fused).toHaveLength(2);
    const slotOf = (v: string) => JSON.stringify(predict.plan.storage.get(v));
    for (const step of fused) {
      const operands = step.eqn.args.flatMap((a) => (a.kind === "value" ? [a.name] : []));
      for (const out of [step.eqn.out, ...step.kernel.outputs]) {
        for (const operand of operands) expect(slotOf(out)).not.toBe(slotOf(operand));
      }
    }
  });

  it("views share their root's storage, and keep it alive while they are read", () => {
    const { predict } = compileOne(`
model P {
  input x: [batch, 8]
  forward {
    h = x -> dense(8) -> tanh
    v = reshape(h, [batch, 2, 4]) -> softmax
    (v -> flatten) + h
  }
}`);
    expect(planProblems(predict)).toEqual([]);
    const views = predict.schedule.steps.flatMap((s) =>
      s.kind === "single" && aliasOps.has(s.eqn.op) ? [s.eqn] : [],
    );
    expect(views.length).toBeGreaterThanOrEqual(2);
    for (const view of views) {
      const source = view.args[0]!;
      expect(source.kind).toBe("value");
      if (source.kind === "value") {
        expect(predict.plan.storage.get(view.out)).toEqual(predict.plan.storage.get(source.name));
      }
    }
  });
});

describe("plan: updates", () => {
  const sgd = `
model M {
  input  x: [batch, 3]
  target y: [batch, 2]
  forward { x -> dense(2, bias: false) -> tanh }
  loss      mse
  optimizer sgd(lr: 0.1, momentum: 0.9)
}`;

  it("an update whose kernel reads the old value last is written in place", () => {
    const { train } = compileOne(sgd);
    expect(planProblems(train!)).toEqual([]);
    expect(train!.plan.copies).toEqual([]);
    for (const u of train!.fn.updates) {
      expect(train!.plan.storage.get(u.value)).toEqual(train!.plan.storage.get(u.target));
    }
  });

  it("an update is copied at the end when the old value is read after its kernel", () => {
    // No source makes the compiler read a parameter after its update (updates come last), so
    // the train function gets one more equation: the forward matmul again, as the output.
    const { train } = compileOne(sgd);
    const fn = train!.fn;
    const weight = "dense_1.weight";
    const forward = fn.eqns.find(
      (e) => e.op === "matmul" && e.args.some((a) => a.kind === "value" && a.name === weight),
    )!;
    const late: AnyEqn = { ...forward, out: "%late" };
    const types = new Map(fn.types);
    types.set("%late", fn.types.get(forward.out)!);
    const changed: IrFunction = { ...fn, eqns: [...fn.eqns, late], types, output: "%late" };
    const schedule = fuse(changed);
    const plan = planBuffers(schedule, train!.batch);
    expect(planProblems({ schedule, plan, batch: train!.batch })).toEqual([]);
    const update = fn.updates.find((u) => u.target === weight)!;
    expect(plan.copies).toEqual([{ value: update.value, target: weight }]);
    expect(plan.storage.get(update.value)?.kind).toBe("slot");
    // The momentum buffer is read by nothing after its kernel: still in place.
    const momentum = fn.updates.find((u) => u.target === `${weight}.momentum_buffer`)!;
    expect(plan.storage.get(momentum.value)).toEqual(plan.storage.get(momentum.target));
  });
});

describe("plan: the checks see a broken plan", () => {
  it("two live values in one slot, and a view apart from its root", () => {
    const { train } = compileOne(`
model M {
  input  x: [batch, 4]
  target y: [batch, 2]
  forward { x -> dense(4) -> tanh -> reshape([batch, 2, 2]) -> flatten -> dense(2) }
  loss      mse
  optimizer adam()
}`);
    expect(planProblems(train!)).toEqual([]);
    // A library step's operand and its result are alive together at that step.
    const storage = new Map(train!.plan.storage);
    const isSlot = (v: string) => storage.get(v)?.kind === "slot";
    const step = train!.schedule.steps.find(
      (s) =>
        s.kind === "single" &&
        !aliasOps.has(s.eqn.op) &&
        isSlot(s.eqn.out) &&
        s.eqn.args.some((a) => a.kind === "value" && isSlot(a.name)),
    );
    expect(step?.kind).toBe("single");
    if (step?.kind !== "single") return;
    const operand = step.eqn.args.find((a) => a.kind === "value" && isSlot(a.name))!;
    if (operand.kind === "value") storage.set(step.eqn.out, storage.get(operand.name)!);
    const overlapping = { ...train!, plan: { ...train!.plan, storage } };
    expect(planProblems(overlapping).join("\n")).toMatch(/slot \d+ holds/);

    const view = train!.schedule.steps.find((s) => s.kind === "single" && aliasOps.has(s.eqn.op));
    expect(view).toBeDefined();
    const apart = new Map(train!.plan.storage);
    apart.set(view!.kind === "single" ? view!.eqn.out : "", { kind: "slot", index: 99 });
    expect(planProblems({ ...train!, plan: { ...train!.plan, storage: apart } })).not.toEqual([]);
  });
});

describe("plan: the guarantees hold on every compiled function", () => {
  const check = (cases: CompiledCase[]) => {
    const failures = cases.flatMap(({ label, compiled }) =>
      planProblems(compiled).map((p) => `${label}: ${p}`),
    );
    expect(failures).toEqual([]);
  };

  it("examples, reference fixtures, docs and conformance sources", () => {
    const cases = writtenCases();
    expect(cases.length).toBeGreaterThan(100);
    check(cases);
  });

  it("random small models", () => check(randomCases(60)));
});
