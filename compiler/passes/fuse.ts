import { assertNever } from "../assert.js";
import type { IrFunction } from "../ir/function.js";
import type { AnyEqn, Shape } from "../ir/types.js";
import { type Lowering, type OpKind, opKinds, ops } from "../ops.js";
import { type GemmThenHead, type LibraryArgs, singleGemmHead } from "../ops/library.js";
import { shapeKey, shapesEqual } from "../shapes/dims.js";

/**
 * Ops computed element by element over their output's shape (operands broadcast into it),
 * by their lowering in the op table: they fuse into kernels. Everything else runs on its own
 * (a library kernel or a layout copy), and views (reshapes) cost nothing: the same buffer.
 */
export const elementwiseOps: ReadonlySet<OpKind> = new Set(
  opKinds.filter((k) => ops[k].lowering.kind === "elementwise"),
);

export const aliasOps: ReadonlySet<OpKind> = new Set(
  opKinds.filter((k) => ops[k].lowering.kind === "view"),
);

/** A fused kernel: equations computed in one pass over `domain`, in order. */
export interface FusedKernel {
  readonly name: string;
  readonly domain: Shape;
  readonly eqns: readonly AnyEqn[];
  /** Buffers read (values computed elsewhere, inputs, parameters, state). */
  readonly inputs: readonly string[];
  /** Values written: those needed after the kernel. */
  readonly outputs: readonly string[];
}

/**
 * One step of a scheduled function: a fused kernel, one equation that runs on its own, or a
 * matmul (one gemm) with the fused kernel that follows it as its epilogue (`Backend.gemmThen`).
 */
export type Step =
  | { readonly kind: "kernel"; readonly kernel: FusedKernel }
  | { readonly kind: "single"; readonly eqn: AnyEqn }
  | { readonly kind: "gemm-epilogue"; readonly eqn: AnyEqn; readonly kernel: FusedKernel };

export interface Schedule {
  readonly fn: IrFunction;
  readonly steps: readonly Step[];
  /**
   * Values computed from dimensions alone (`size`): never stored, each kernel that reads one
   * computes it before its loop.
   */
  readonly inline: ReadonlyMap<string, AnyEqn>;
}

/** At most this many buffers per kernel, so kernels are called with fixed arguments. */
export const maxKernelBuffers = 12;

/**
 * Groups elementwise equations into fused kernels: chains of a producer and its consumers of
 * the same shape, and siblings over the same shape; every other equation is its own step.
 *
 * A kernel that reads a matmul's product and can run as that gemm's epilogue joins it in one
 * step (see `withEpilogues`).
 *
 * Assumes: a legalized function. Guarantees: the steps compute the same values in an order
 * where every read follows its write; each kernel's outputs are exactly its values read by
 * later steps or needed as results; a kernel has at most `maxKernelBuffers` buffers.
 */
export function fuse(fn: IrFunction, namePrefix = "k"): Schedule {
  const types = fn.types;
  const shapeOf = (v: string): Shape => types.get(v)?.shape ?? [];
  const needed = resultsOf(fn);
  interface Group {
    members: AnyEqn[];
    produced: Set<string>;
    domain: Shape;
    /** Index (in eqns) of the last member: where the kernel runs. */
    end: number;
    /** The first equation after `end` that reads a member (Infinity if none). */
    nextReader: number;
  }
  /** Groups by domain (`shapeKey`), in order of creation. */
  const groupsByDomain = new Map<string, Group[]>();
  const groupOf = new Map<string, Group>();
  /** Per value, the indices of the equations reading it, ascending. */
  const readerIndices = new Map<string, number[]>();
  fn.eqns.forEach((eqn, index) => {
    for (const a of eqn.args) {
      if (a.kind !== "value") continue;
      const list = readerIndices.get(a.name);
      if (list === undefined) readerIndices.set(a.name, [index]);
      else if (list.at(-1) !== index) list.push(index);
    }
  });
  const firstReaderAfter = (value: string, index: number): number => {
    const list = readerIndices.get(value) ?? [];
    let low = 0;
    let high = list.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (list[mid]! > index) high = mid;
      else low = mid + 1;
    }
    return list[low] ?? Infinity;
  };
  const indexOf = new Map(fn.eqns.map((e, i) => [e.out, i]));
  /** Buffers of `group` with `eqn` added: its inputs, and its members read outside it or needed. */
  const buffersIfJoined = (group: Group, eqn: AnyEqn): number => {
    const members = [...group.members, eqn];
    const inside = new Set(members.map((m) => indexOf.get(m.out)!));
    const produced = new Set(members.map((m) => m.out));
    const outputs = members.filter(
      (m) => needed.has(m.out) || (readerIndices.get(m.out) ?? []).some((i) => !inside.has(i)),
    );
    return kernelInputs(members, produced, inline).length + outputs.length;
  };
  /**
   * Whether an equation between the group's end and `until` reads a member. Equations after
   * `end` are never members (members join in order), and `until` only grows: a group for which
   * this holds never takes another member, and is dropped from the candidates.
   */
  const readersAfter = (group: Group, until: number): boolean => group.nextReader < until;
  const inline = new Map(fn.eqns.filter((e) => e.op === "size").map((e) => [e.out, e]));
  fn.eqns.forEach((eqn, index) => {
    if (!elementwiseOps.has(eqn.op) || inline.has(eqn.out)) return;
    const domain = shapeOf(eqn.out);
    const producers = eqn.args.flatMap((a) => {
      const g = a.kind === "value" ? groupOf.get(a.name) : undefined;
      return g ? [g] : [];
    });
    const fits = (g: Group) =>
      shapesEqual(g.domain, domain) &&
      !readersAfter(g, index) &&
      buffersIfJoined(g, eqn) <= maxKernelBuffers;
    // A producer's kernel first (the value need not be stored); else the latest kernel over the
    // same shape (siblings, such as an optimizer's moment and parameter updates).
    const key = shapeKey(domain);
    const sameDomain = groupsByDomain.get(key) ?? [];
    let target = producers.find(fits);
    for (let k = sameDomain.length - 1; target === undefined && k >= 0; k--) {
      const candidate = sameDomain[k]!;
      if (readersAfter(candidate, index)) sameDomain.splice(k, 1);
      else if (fits(candidate)) target = candidate;
    }
    const group = target ?? {
      members: [],
      produced: new Set<string>(),
      domain,
      end: index,
      nextReader: Infinity,
    };
    if (!target) {
      sameDomain.push(group);
      groupsByDomain.set(key, sameDomain);
    }
    group.members.push(eqn);
    group.produced.add(eqn.out);
    group.end = index;
    group.nextReader = Math.min(...[...group.produced].map((v) => firstReaderAfter(v, index)));
    groupOf.set(eqn.out, group);
  });

  const readers = new Map<string, Set<Group | "other">>();
  for (const eqn of fn.eqns) {
    for (const a of eqn.args) {
      if (a.kind !== "value") continue;
      const set = readers.get(a.name) ?? new Set();
      set.add(groupOf.get(eqn.out) ?? "other");
      readers.set(a.name, set);
    }
  }
  const steps: Step[] = [];
  let count = 0;
  fn.eqns.forEach((eqn, index) => {
    if (inline.has(eqn.out)) return;
    const group = groupOf.get(eqn.out);
    if (!group) {
      steps.push({ kind: "single", eqn });
      return;
    }
    if (group.end !== index) return;
    count += 1;
    const outputs = group.members
      .map((m) => m.out)
      .filter((v) => needed.has(v) || [...(readers.get(v) ?? [])].some((r) => r !== group));
    steps.push({
      kind: "kernel",
      kernel: {
        name: `${namePrefix}${count}`,
        domain: group.domain,
        eqns: group.members,
        inputs: kernelInputs(group.members, group.produced, inline),
        outputs,
      },
    });
  });
  const updated = new Set(fn.updates.map((u) => u.value));
  return { fn, steps: withEpilogues(steps, shapeOf, updated), inline };
}

/**
 * Steps with each matmul joined to the first kernel that reads its product, as one
 * `gemm-epilogue` step, when that kernel may run as its epilogue (see `epilogueOf`) and may move
 * up to the matmul: none of its inputs is computed in between (so it reads the same values),
 * and, unless it is the very next step, it writes no update (moving an update's writer before
 * readers of its target would cost the update its place in the target's buffer). Steps in
 * between never read the kernel's values: they ran before it.
 */
function withEpilogues(
  steps: readonly Step[],
  shapeOf: (v: string) => Shape,
  updated: ReadonlySet<string>,
): Step[] {
  const claimed = new Set<number>();
  // Looked up rather than scanned for, so that the pass stays linear in the steps.
  const computedAt = new Map<string, number>();
  const firstKernelReading = new Map<string, number>();
  steps.forEach((step, j) => {
    for (const v of valuesComputed(step)) computedAt.set(v, j);
    if (step.kind !== "kernel") return;
    for (const v of step.kernel.inputs)
      if (!firstKernelReading.has(v)) firstKernelReading.set(v, j);
  });
  const epilogueStep = (i: number, product: AnyEqn): number | null => {
    const j = firstKernelReading.get(product.out);
    const step = j === undefined ? undefined : steps[j];
    if (j === undefined || j <= i || step?.kind !== "kernel") return null;
    const kernel = step.kernel;
    /** Computed by a step between the product and the kernel: the kernel cannot move up. */
    const between = (v: string): boolean => {
      const at = computedAt.get(v);
      return at !== undefined && at > i && at < j;
    };
    const movable =
      !claimed.has(j) &&
      !kernel.inputs.some(between) &&
      (j === i + 1 || !kernel.outputs.some((v) => updated.has(v)));
    return movable && epilogueOf(product, kernel, shapeOf) !== null ? j : null;
  };
  const joined: Step[] = [];
  steps.forEach((step, i) => {
    if (claimed.has(i)) return;
    const j = step.kind === "single" ? epilogueStep(i, step.eqn) : null;
    const next = j === null ? undefined : steps[j];
    if (step.kind !== "single" || j === null || next?.kind !== "kernel") {
      joined.push(step);
      return;
    }
    claimed.add(j);
    joined.push({ kind: "gemm-epilogue", eqn: step.eqn, kernel: next.kernel });
  });
  return joined;
}

/** Every value a step computes (a kernel's members too, stored or not). */
function valuesComputed(step: Step): string[] {
  switch (step.kind) {
    case "kernel":
      return step.kernel.eqns.map((e) => e.out);
    case "single":
      return [step.eqn.out];
    case "gemm-epilogue":
      return [step.eqn.out, ...step.kernel.eqns.map((e) => e.out)];
    default:
      return assertNever(step, "step");
  }
}

/**
 * The gemm arguments of `product` (up to its flags) when `kernel` may run as its epilogue, else
 * null. The conditions make any part of C, once final, enough for the
 * kernel on that part: `product` lowers to one gemm (batched products, one gemm per matrix of
 * the leading axes, are left alone), the kernel's domain is the product's shape (C's m x n
 * elements, row-major), and every member reads the product at the element's own index (its
 * operand shape is the domain: not broadcast). The kernel's other inputs are computed by
 * earlier steps (see `withEpilogues`), so none is written by the gemm. Whether its outputs may
 * overwrite a gemm operand in place is the planner's to refuse.
 */
export function epilogueOf(
  product: AnyEqn,
  kernel: FusedKernel,
  shapeOf: (v: string) => Shape,
): GemmThenHead | null {
  const lowering = ops[product.op].lowering as Lowering<OpKind>;
  if (lowering.kind !== "library" || lowering.method !== "gemm") return null;
  if (!kernel.inputs.includes(product.out)) return null;
  const shape = shapeOf(product.out);
  if (!shapesEqual(shape, kernel.domain)) return null;
  for (const eqn of kernel.eqns) {
    const own = ops[eqn.op].lowering as Lowering<OpKind>;
    const atOwnIndex = eqn.args.every(
      (a, index) =>
        a.kind !== "value" ||
        a.name !== product.out ||
        (own.kind === "elementwise" &&
          shapesEqual(own.operandShape ? own.operandShape(shape, index) : shape, kernel.domain)),
    );
    if (!atOwnIndex) return null;
  }
  const args = lowering.args(product as never, {
    shapes: product.args.map((a) => (a.kind === "value" ? shapeOf(a.name) : [])),
    result: shape,
  }) as LibraryArgs<"gemm">;
  return singleGemmHead(args);
}

/** Values a function must deliver: its results, gradients and updated values. */
export function resultsOf(fn: IrFunction): Set<string> {
  const needed = new Set<string>();
  if (fn.output !== null) needed.add(fn.output);
  if (fn.loss !== null) needed.add(fn.loss);
  for (const u of fn.updates) needed.add(u.value);
  return needed;
}

/** Buffers a kernel reads: operands computed outside it, except values it computes inline. */
export function kernelInputs(
  members: readonly AnyEqn[],
  produced: ReadonlySet<string>,
  inline: ReadonlyMap<string, AnyEqn>,
): string[] {
  const inputs: string[] = [];
  for (const m of members) {
    for (const a of m.args) {
      if (
        a.kind === "value" &&
        !produced.has(a.name) &&
        !inline.has(a.name) &&
        !inputs.includes(a.name)
      ) {
        inputs.push(a.name);
      }
    }
  }
  return inputs;
}
