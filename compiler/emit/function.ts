import { type Lowering, type OpKind, ops } from "../ops.js";
import { assertNever, invariant } from "../assert.js";
import { formatEqn } from "../ir/print.js";
import type { AnyEqn, Shape } from "../ir/types.js";
import { type FusedKernel, type Schedule, aliasOps, epilogueOf } from "../passes/fuse.js";
import type { BufferPlan, Extent, Storage } from "../passes/plan.js";
import { type KernelCatalog, kernelBaseName } from "./kernel-catalog.js";
import { fusedKernelCode, layoutKernelCode } from "./kernels.js";
import { extentExpr, productExpr } from "./expr.js";
import { gemmThenCall, libraryCall } from "./library-call.js";
import { identifier } from "./names.js";

/** The generated code of one function: its kernels, its buffer plan and its step. */
export interface FunctionCode {
  /** Statements of `plan(n)`, ending in `return { ... }`. */
  readonly plan: string;
  /** Statements of `run(n, b)`. */
  readonly run: string;
}

export interface FunctionContext {
  readonly batch: string;
  /** The model's kernels, which this function's are added to (identical ones are shared). */
  readonly kernels: KernelCatalog;
  /** `xor.nn:7:18` for an equation, for comments. */
  readonly where: (eqn: AnyEqn) => string;
}

const property = (name: string) =>
  /^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;

/**
 * The code of one scheduled function: a kernel per fused step or layout copy, a backend call
 * per library step (printed from its op's argument builder), then the plan's state copies.
 *
 * Assumes: `plan` was made for `schedule` (every value it reads or writes has storage), and
 * every step that is not a fused kernel is a library, layout or view equation. Guarantees:
 * `plan(n)` allocates what `run(n, b)` uses, including the records (geometries) its calls pass.
 */
export function functionCode(
  schedule: Schedule,
  plan: BufferPlan,
  ctx: FunctionContext,
): FunctionCode {
  const fn = schedule.fn;
  const { batch } = ctx;
  const shapeOf = (v: string): Shape => fn.types.get(v)?.shape ?? [];
  const size = (v: string) => productExpr(shapeOf(v), batch);
  const named = namedSlotValues(plan);
  const ref = (v: string): string => {
    const alias = named.get(v);
    return alias === undefined ? storageRef(plan.storage.get(v), v) : `b.${alias}`;
  };

  const run: string[] = [];
  /** `conv0: { ... }`: records of numbers `plan(n)` computes once per batch size. */
  const records: string[] = [];

  const planRecord = (name: string, literal: string): string => {
    const key = `${name}${records.length}`;
    records.push(`${key}: ${literal}`);
    return `b.${key}`;
  };
  /** A fused kernel's name in the catalog, its comment line and the buffers it is called with. */
  const kernelCall = (kernel: FusedKernel) => {
    const storageKey = (v: string) => {
      const s = plan.storage.get(v);
      return s === undefined ? v : s.kind === "slot" ? `slot ${s.index}` : `${s.kind} ${s.name}`;
    };
    const code = fusedKernelCode(kernel, fn.types, batch, ctx.where, schedule.inline, storageKey);
    const name = ctx.kernels.add(
      code,
      kernelBaseName(kernel.eqns, kernel.outputs, (v) => plan.storage.get(v)),
    );
    const first = kernel.eqns[0]!;
    const comment = `// ${ctx.where(first)}${first.layer ? ` ${first.layer}` : ""}: ${kernel.eqns.map((e) => `${e.out} = ${formatEqn(e)}`).join("; ")}`;
    return { name: `kernels.${name}`, comment, buffers: code.buffers.map(ref) };
  };
  const eqnComment = (eqn: AnyEqn): string =>
    `// ${ctx.where(eqn)}${eqn.layer ? ` ${eqn.layer}` : ""}: ${eqn.out} = ${formatEqn(eqn)}`;

  for (const step of schedule.steps) {
    if (step.kind === "kernel") {
      const call = kernelCall(step.kernel);
      run.push(call.comment);
      run.push(
        `rt.run(${call.name}, ${productExpr(step.kernel.domain, batch)}, n, ${call.buffers.join(", ")});`,
      );
      continue;
    }
    if (step.kind === "gemm-epilogue") {
      const head = epilogueOf(step.eqn, step.kernel, shapeOf);
      invariant(head !== null, `${step.eqn.out} cannot take its epilogue`);
      const call = kernelCall(step.kernel);
      run.push(eqnComment(step.eqn), call.comment.replace(/^\/\/ /, "// then "));
      run.push(
        gemmThenCall(step.eqn, head, call.name, call.buffers, { batch, shapeOf, ref, planRecord }),
      );
      continue;
    }
    const eqn = step.eqn;
    if (aliasOps.has(eqn.op)) continue;
    run.push(eqnComment(eqn));
    const out = ref(eqn.out);
    const lowering = ops[eqn.op].lowering as Lowering<OpKind>;
    switch (lowering.kind) {
      case "library":
        run.push(libraryCall(eqn, lowering, { batch, shapeOf, ref, planRecord }));
        break;
      case "layout": {
        const code = layoutKernelCode("copy", eqn, fn.types, batch, ctx.where(eqn));
        const name = ctx.kernels.add(
          code,
          kernelBaseName([eqn], [eqn.out], (v) => plan.storage.get(v)),
        );
        const buffers = eqn.args.flatMap((a) => (a.kind === "value" ? [ref(a.name)] : []));
        run.push(`rt.run(kernels.${name}, ${size(eqn.out)}, n, ${[...buffers, out].join(", ")});`);
        break;
      }
      case "elementwise":
      case "view":
      case "legalized":
        throw new Error(`internal error: no code for ${eqn.op} on its own`);
      default:
        assertNever(lowering, "lowering");
    }
  }
  for (const c of plan.copies) {
    run.push(
      `rt.copy(${ref(c.value)}, ${ref(c.target)}, ${size(c.target)}); // update ${c.target}`,
    );
  }

  const data = fn.inputs.map(
    // A computed key: a literal `"__proto__": v` would set the record's prototype, not a key.
    (t) =>
      `${t.name === "__proto__" ? `[${JSON.stringify(t.name)}]` : JSON.stringify(t.name)}: rt.alloc(${productExpr(t.type.shape, batch)})`,
  );
  const valuesBySlot = plan.slots.map((): string[] => []);
  for (const [v, s] of plan.storage) if (s.kind === "slot") valuesBySlot[s.index]?.push(v);
  const slotLines = plan.slots.map((slot, k) => {
    const values = valuesBySlot[k]!;
    const held = values.length === 1 ? values[0]! : `reused: ${values.join(", then ")}`;
    return `const s${k} = rt.alloc(${slotSize(slot.sizes)}); // ${held}`;
  });
  if (slotLines.length > 0)
    slotLines.unshift(
      "// Temporaries: a slot holds values in turn, whose lifetimes do not overlap.",
    );
  const local = (v: string | null): string => {
    if (v === null) return "null";
    const s = plan.storage.get(v);
    invariant(s !== undefined, `${v} has no storage`);
    return s.kind === "slot" ? `s${s.index}` : storageRef(s, v).replace(/^b\./, "");
  };
  const planLines = [
    "const rt = this.rt;",
    `const data = { ${data.join(", ")} };`,
    ...slotLines,
    `return { data, output: ${local(fn.output)}, loss: ${local(fn.loss)}${plan.slots.map((_, k) => `, s${k}`).join("")}${[...named].map(([v, alias]) => `, ${alias}: ${local(v)}`).join("")}${records.map((g) => `, ${g}`).join("")} };`,
  ];
  return { plan: planLines.join("\n"), run: run.join("\n") };
}

/**
 * Values held in temporary slots that have names of their own (gradients: `grad_dense_1.weight`),
 * with the identifier `plan(n)` returns their slot under, so a step reads `b.grad_dense_1_weight`
 * rather than `b.s5`. Temporaries (`%N`) are reached through their slot.
 */
function namedSlotValues(plan: BufferPlan): ReadonlyMap<string, string> {
  const named = new Map<string, string>();
  const used = new Set<string>();
  for (const [value, storage] of plan.storage) {
    if (storage.kind !== "slot" || /^%\d+$/.test(value)) continue;
    const alias = identifier(value);
    // Keys `plan(n)` returns besides aliases: data, output, loss, sN and records (`conv0`).
    if (used.has(alias) || /^(data|output|loss|s\d+|conv\d+|pool\d+)$/.test(alias)) continue;
    used.add(alias);
    named.set(value, alias);
  }
  return named;
}

function storageRef(storage: Storage | undefined, value: string): string {
  invariant(storage !== undefined, `${value} has no storage`);
  switch (storage.kind) {
    case "input":
      return `b.data${property(storage.name)}`;
    case "param":
      return `p[${JSON.stringify(storage.name)}]`;
    case "state":
      return `s[${JSON.stringify(storage.name)}]`;
    case "slot":
      return `b.s${storage.index}`;
  }
}

/** The largest of a slot's sizes: `n * 16`, or `Math.max(n * 16, 784)` when they differ in kind. */
function slotSize(sizes: readonly Extent[]): string {
  const byPower = new Map<number, number>();
  for (const s of sizes) byPower.set(s.power, Math.max(byPower.get(s.power) ?? 0, s.factor));
  const terms = [...byPower]
    .sort(([a], [b]) => b - a)
    .map(([power, factor]) => extentExpr({ factor, power }));
  return terms.length === 1 ? terms[0]! : `Math.max(${terms.join(", ")})`;
}
