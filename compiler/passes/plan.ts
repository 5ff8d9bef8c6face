import { assertNever, invariant } from "../assert.js";
import type { AnyEqn, Shape } from "../ir/types.js";
import { batchMonomial, formatDim } from "../shapes/dims.js";
import { aliasOps, resultsOf, type Schedule, type Step } from "./fuse.js";

/**
 * A count of elements as `factor * batch^power`: every dimension is a number or the batch
 * dimension (the only one whose size is known only when a step runs).
 */
export interface Extent {
  readonly factor: number;
  readonly power: number;
}

/** Where a value lives during a step. */
export type Storage =
  | { readonly kind: "input"; readonly name: string }
  | { readonly kind: "param"; readonly name: string }
  | { readonly kind: "state"; readonly name: string }
  | { readonly kind: "slot"; readonly index: number };

export interface BufferPlan {
  readonly storage: ReadonlyMap<string, Storage>;
  /** Temporary buffers; each holds several values whose lifetimes do not overlap. */
  readonly slots: readonly { readonly sizes: readonly Extent[] }[];
  /** Updates that could not be computed in place: copied into their target after the step. */
  readonly copies: readonly { readonly value: string; readonly target: string }[];
}

export function extentOf(shape: Shape, batch: string): Extent {
  let factor = 1;
  let power = 0;
  for (const d of shape) {
    const m = batchMonomial(d, batch);
    invariant(
      m !== null,
      `dimension ${formatDim(d)} is not a product of numbers and the batch dimension ${batch}`,
    );
    factor *= m.factor;
    power += m.power;
  }
  return { factor, power };
}

/**
 * Assigns storage to every value a schedule reads or writes.
 *
 * Guarantees: data inputs, parameters, optimizer state and scalars keep their own buffers;
 * reshapes share their operand's buffer; every other value gets a temporary slot that no
 * value alive at the same time uses (lifetimes from first write to last read; results stay
 * alive to the end). An update is written straight into its target when the kernel that
 * computes it is the last to read the target (so no copy is needed), else copied at the end.
 */
export function planBuffers(schedule: Schedule, batch: string): BufferPlan {
  const fn = schedule.fn;
  const storage = new Map<string, Storage>();
  for (const t of fn.inputs) storage.set(t.name, { kind: "input", name: t.name });
  for (const p of fn.params) storage.set(p.name, { kind: "param", name: p.name });
  for (const s of fn.state) storage.set(s.name, { kind: "state", name: s.name });
  for (const s of fn.scalars) storage.set(s, { kind: "state", name: s });

  const steps = schedule.steps;
  const reads = steps.map(readsOf);
  const writes = steps.map(writesOf);
  // Reshapes view their operand's buffer: plan the root, and keep it alive while any view is.
  const root = new Map<string, string>();
  const rootOf = (v: string): string => root.get(v) ?? v;
  steps.forEach((step) => {
    if (step.kind === "single" && aliasOps.has(step.eqn.op)) {
      const source = step.eqn.args[0];
      invariant(source?.kind === "value", "reshape of a constant");
      root.set(step.eqn.out, rootOf(source.name));
    }
  });
  // Reading a view reads its root.
  const lastRead = new Map<string, number>();
  reads.forEach((values, i) => values.forEach((v) => lastRead.set(rootOf(v), i)));

  // Updates computed in place: the kernel writing the new value reads the old one last.
  const inPlace = new Map<string, string>();
  const copies: { value: string; target: string }[] = [];
  const firstWriter = new Map<string, number>();
  writes.forEach((values, i) => {
    for (const v of values) if (!firstWriter.has(v)) firstWriter.set(v, i);
  });
  for (const u of fn.updates) {
    const writer = firstWriter.get(u.value) ?? -1;
    const step = steps[writer];
    const lastOld = lastRead.get(u.target) ?? -1;
    const ownStorage = storage.get(u.value);
    // An epilogue runs while (other threads') parts of the gemm still read its operands.
    const kernelStep =
      step?.kind === "kernel" ||
      (step?.kind === "gemm-epilogue" && !valuesRead(step.eqn).includes(u.target));
    if (kernelStep && lastOld <= writer && ownStorage === undefined && !inPlace.has(u.value)) {
      inPlace.set(u.value, u.target);
      storage.set(u.value, storage.get(u.target)!);
    } else {
      copies.push({ value: u.value, target: u.target });
    }
  }

  const pinned = resultsOf(fn);
  const end = new Map<string, number>();
  reads.forEach((values, i) =>
    values.forEach((v) => end.set(rootOf(v), Math.max(end.get(rootOf(v)) ?? -1, i))),
  );
  for (const v of pinned) end.set(rootOf(v), steps.length);
  for (const c of copies) end.set(rootOf(c.value), steps.length);

  const slots: { sizes: Extent[]; freeAfter: number }[] = [];
  steps.forEach((step, i) => {
    for (const value of writes[i]!) {
      if (storage.has(value) || root.has(value)) continue;
      const extent = extentOf(fn.types.get(value)?.shape ?? [], batch);
      const free = slots
        .map((slot, index) => ({ slot, index }))
        .filter(({ slot }) => slot.freeAfter < i);
      const same = free.find(({ slot }) =>
        slot.sizes.some((s) => s.factor === extent.factor && s.power === extent.power),
      );
      const chosen = same ?? free[0];
      const last = end.get(value) ?? i;
      if (chosen) {
        if (!chosen.slot.sizes.some((s) => s.factor === extent.factor && s.power === extent.power))
          chosen.slot.sizes.push(extent);
        chosen.slot.freeAfter = last;
        storage.set(value, { kind: "slot", index: chosen.index });
      } else {
        slots.push({ sizes: [extent], freeAfter: last });
        storage.set(value, { kind: "slot", index: slots.length - 1 });
      }
    }
    void step;
  });
  for (const [view, source] of root) {
    const s = storage.get(source);
    invariant(s !== undefined, `reshape of ${source}, which has no storage`);
    storage.set(view, s);
  }
  return { storage, slots: slots.map((s) => ({ sizes: s.sizes })), copies };
}

/**
 * Buffers a step reads. A gemm with an epilogue reads its product too, at the same step: so no
 * output of the kernel shares the product's slot (nor that of an operand of the gemm, which
 * some thread may still read while another runs its part of the kernel).
 */
export function readsOf(step: Step): string[] {
  switch (step.kind) {
    case "kernel":
      return [...step.kernel.inputs];
    case "single":
      return valuesRead(step.eqn);
    case "gemm-epilogue":
      return [...new Set([...valuesRead(step.eqn), ...step.kernel.inputs])];
    default:
      return assertNever(step, "step");
  }
}

/** Buffers a step writes (a reshape writes nothing: it is a view). */
export function writesOf(step: Step): string[] {
  switch (step.kind) {
    case "kernel":
      return [...step.kernel.outputs];
    case "single":
      return aliasOps.has(step.eqn.op) ? [] : [step.eqn.out];
    case "gemm-epilogue":
      return [step.eqn.out, ...step.kernel.outputs];
    default:
      return assertNever(step, "step");
  }
}

/** The values an equation reads. */
function valuesRead(eqn: AnyEqn): string[] {
  return eqn.args.flatMap((a) => (a.kind === "value" ? [a.name] : []));
}
