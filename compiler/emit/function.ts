import type { AxisSet } from "../ops.js";
import { invariant } from "../assert.js";
import { formatEqn } from "../ir/print.js";
import type { AnyEqn, Dim, Shape } from "../ir/types.js";
import { resolveAxes } from "../ops/axes.js";
import { type Schedule, aliasOps } from "../passes/fuse.js";
import type { BufferPlan, Extent, Storage } from "../passes/plan.js";
import { normalizeAxis } from "../shapes/dims.js";
import { type KernelCode, fusedKernelCode, layoutKernelCode } from "./kernels.js";
import { extentExpr, productExpr } from "./expr.js";

/** The generated code of one function: its kernels, its buffer plan and its step. */
export interface FunctionCode {
  readonly kernels: readonly KernelCode[];
  /** Statements of `plan(n)`, ending in `return { ... }`. */
  readonly plan: string;
  /** Statements of `run(n, b)`. */
  readonly run: string;
}

export interface FunctionContext {
  readonly batch: string;
  /** Name prefix of this function's kernels (`train_k1`). */
  readonly prefix: string;
  /** `xor.nn:7:18` for an equation, for comments. */
  readonly where: (eqn: AnyEqn) => string;
}

const property = (name: string) =>
  /^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;

export function functionCode(
  schedule: Schedule,
  plan: BufferPlan,
  ctx: FunctionContext,
): FunctionCode {
  const fn = schedule.fn;
  const { batch } = ctx;
  const shapeOf = (v: string): Shape => fn.types.get(v)?.shape ?? [];
  const size = (v: string) => productExpr(shapeOf(v), batch);
  const ref = (v: string): string => storageRef(plan.storage.get(v), v);

  const kernels: KernelCode[] = [];
  const run: string[] = [];
  const geometries: string[] = [];
  let layoutCount = 0;

  for (const step of schedule.steps) {
    if (step.kind === "kernel") {
      const storageKey = (v: string) => {
        const s = plan.storage.get(v);
        return s === undefined ? v : s.kind === "slot" ? `slot ${s.index}` : `${s.kind} ${s.name}`;
      };
      const code = fusedKernelCode(
        { ...step.kernel, name: `${ctx.prefix}${step.kernel.name}` },
        fn.types,
        batch,
        ctx.where,
        schedule.inline,
        storageKey,
      );
      kernels.push(code);
      const first = step.kernel.eqns[0]!;
      run.push(
        `// ${ctx.where(first)}${first.layer ? ` ${first.layer}` : ""}: ${step.kernel.eqns.map((e) => `${e.out} = ${formatEqn(e)}`).join("; ")}`,
      );
      const buffers = code.buffers.map(ref);
      run.push(
        `rt.run(kernels.${code.name}, ${productExpr(step.kernel.domain, batch)}, n, ${buffers.join(", ")});`,
      );
      continue;
    }
    const eqn = step.eqn;
    if (aliasOps.has(eqn.op)) continue;
    run.push(
      `// ${ctx.where(eqn)}${eqn.layer ? ` ${eqn.layer}` : ""}: ${eqn.out} = ${formatEqn(eqn)}`,
    );
    const arg = (k: number) => {
      const a = eqn.args[k];
      invariant(a?.kind === "value", `${eqn.op} operand ${k} must be a value`);
      return a.name;
    };
    const out = ref(eqn.out);
    switch (eqn.op) {
      case "matmul":
        run.push(gemmCall(eqn, shapeOf, ref, batch));
        break;
      case "sum":
      case "max_over": {
        const [outer, mid, inner] = reductionExtent(shapeOf(arg(0)), eqn.attrs.axes, batch);
        run.push(
          `rt.${eqn.op === "sum" ? "sum" : "max"}(${ref(arg(0))}, ${out}, ${outer}, ${mid}, ${inner});`,
        );
        break;
      }
      case "softmax":
      case "log_softmax": {
        const shape = shapeOf(arg(0));
        const axis = normalizeAxis(eqn.attrs.axis, shape.length)!;
        const extent = [
          shape.slice(0, axis),
          shape.slice(axis, axis + 1),
          shape.slice(axis + 1),
        ].map((d) => productExpr(d, batch));
        run.push(
          `rt.${eqn.op === "softmax" ? "softmax" : "logSoftmax"}(${ref(arg(0))}, ${out}, ${extent.join(", ")});`,
        );
        break;
      }
      case "conv2d":
      case "conv2d_grad_input":
      case "conv2d_grad_weight": {
        const [x, w, y] =
          eqn.op === "conv2d"
            ? [arg(0), arg(1), eqn.out]
            : eqn.op === "conv2d_grad_input"
              ? [eqn.out, arg(1), arg(0)]
              : [arg(0), eqn.out, arg(1)];
        const g = `conv${geometries.length}`;
        geometries.push(
          `${g}: ${convGeometry(shapeOf(x), shapeOf(w), shapeOf(y), eqn.attrs.stride, eqn.attrs.padding.top, eqn.attrs.padding.left, batch)}`,
        );
        const method =
          eqn.op === "conv2d"
            ? "conv2d"
            : eqn.op === "conv2d_grad_input"
              ? "conv2dGradInput"
              : "conv2dGradWeight";
        run.push(`rt.${method}(${ref(arg(0))}, ${ref(arg(1))}, ${out}, b.${g});`);
        break;
      }
      case "maxpool2d":
      case "maxpool2d_grad": {
        const x = arg(0);
        const pooled = eqn.op === "maxpool2d" ? eqn.out : arg(1);
        const g = `pool${geometries.length}`;
        geometries.push(
          `${g}: ${poolGeometry(shapeOf(x), shapeOf(pooled), eqn.attrs.size, eqn.attrs.stride, batch)}`,
        );
        run.push(
          eqn.op === "maxpool2d"
            ? `rt.maxpool2d(${ref(x)}, ${out}, b.${g});`
            : `rt.maxpool2dGrad(${ref(x)}, ${ref(arg(1))}, ${out}, b.${g});`,
        );
        break;
      }
      case "dropout_mask":
        run.push(`rt.dropoutMask(${out}, ${size(eqn.out)}, ${eqn.attrs.rate});`);
        break;
      case "transpose":
      case "slice":
      case "concat": {
        layoutCount += 1;
        const code = layoutKernelCode(
          `${ctx.prefix}copy${layoutCount}`,
          eqn,
          fn.types,
          batch,
          ctx.where(eqn),
        );
        kernels.push(code);
        const buffers = eqn.args.flatMap((a) => (a.kind === "value" ? [ref(a.name)] : []));
        run.push(
          `rt.run(kernels.${code.name}, ${size(eqn.out)}, n, ${[...buffers, out].join(", ")});`,
        );
        break;
      }
      default:
        throw new Error(`internal error: no code for ${eqn.op} on its own`);
    }
  }
  for (const c of plan.copies) {
    run.push(
      `rt.copy(${ref(c.value)}, ${ref(c.target)}, ${size(c.target)}); // update ${c.target}`,
    );
  }

  const data = fn.inputs.map(
    (t) => `${JSON.stringify(t.name)}: rt.alloc(${productExpr(t.type.shape, batch)})`,
  );
  const slotLines = plan.slots.map((slot, k) => {
    const values = [...plan.storage]
      .filter(([, s]) => s.kind === "slot" && s.index === k)
      .map(([v]) => v);
    return `const s${k} = rt.alloc(${slotSize(slot.sizes)}); // ${values.join(", ")}`;
  });
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
    `return { data, output: ${local(fn.output)}, loss: ${local(fn.loss)}${plan.slots.map((_, k) => `, s${k}`).join("")}${geometries.map((g) => `, ${g}`).join("")} };`,
  ];
  return { kernels, plan: planLines.join("\n"), run: run.join("\n") };
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

/** [outer, mid, inner] of a reduction over contiguous axes. */
function reductionExtent(shape: Shape, axes: AxisSet, batch: string): [string, string, string] {
  const resolved = resolveAxes(axes, shape.length);
  invariant(resolved.ok && resolved.axes.length > 0, "reduction axes");
  const first = resolved.axes[0]!;
  const last = resolved.axes.at(-1)!;
  return [
    productExpr(shape.slice(0, first), batch),
    productExpr(shape.slice(first, last + 1), batch),
    productExpr(shape.slice(last + 1), batch),
  ];
}

/** C = op(A) op(B): one gemm over flattened rows, or one per matrix of a batch. */
function gemmCall(
  eqn: AnyEqn & { op: "matmul" },
  shapeOf: (v: string) => Shape,
  ref: (v: string) => string,
  batch: string,
): string {
  const [a, b] = eqn.args.map((x) => (x.kind === "value" ? x.name : ""));
  const sa = shapeOf(a!);
  const sb = shapeOf(b!);
  const sc = shapeOf(eqn.out);
  const { transA, transB } = eqn.attrs;
  const flags =
    [transA ? "TRANS_A" : "", transB ? "TRANS_B" : ""].filter(Boolean).join(" | ") || "0";
  const p = (d: Shape) => productExpr(d, batch);
  const k = transA ? sa.at(-2)! : sa.at(-1)!;
  const call = `rt.gemm(${ref(a!)}, ${ref(b!)}, ${ref(eqn.out)}`;
  if (sb.length === 2 && !transA) {
    // rows of every leading axis of A stacked: one product
    return `${call}, ${p(sc.slice(0, -1))}, ${p(sc.slice(-1))}, ${p([k])}, ${flags});`;
  }
  const lead = sc.slice(0, -2);
  const m = sc.at(-2)!;
  const n = sc.at(-1)!;
  const strideOf = (shape: Shape, matrix: Shape) => (shape.length === 2 ? "0" : p(matrix));
  invariant(
    sa.length === 2 || sa.length === sc.length,
    "matmul operands with partly broadcast batch axes",
  );
  invariant(
    sb.length === 2 || sb.length === sc.length,
    "matmul operands with partly broadcast batch axes",
  );
  return `${call}, ${p([m])}, ${p([n])}, ${p([k])}, ${flags}, ${p(lead)}, ${strideOf(sa, sa.slice(-2))}, ${strideOf(sb, sb.slice(-2))}, ${p([m, n])});`;
}

function convGeometry(
  x: Shape,
  w: Shape,
  y: Shape,
  stride: number,
  padTop: number,
  padLeft: number,
  batch: string,
): string {
  const p = (d: Dim) => productExpr([d], batch);
  return `{ batch: ${p(x[0]!)}, channels: ${p(x[1]!)}, height: ${p(x[2]!)}, width: ${p(x[3]!)}, filters: ${p(w[0]!)}, kernelH: ${p(w[2]!)}, kernelW: ${p(w[3]!)}, stride: ${stride}, padTop: ${padTop}, padLeft: ${padLeft}, outH: ${p(y[2]!)}, outW: ${p(y[3]!)} }`;
}

function poolGeometry(x: Shape, y: Shape, size: number, stride: number, batch: string): string {
  const p = (d: Dim) => productExpr([d], batch);
  return `{ batch: ${p(x[0]!)}, channels: ${p(x[1]!)}, height: ${p(x[2]!)}, width: ${p(x[3]!)}, size: ${size}, stride: ${stride}, outH: ${p(y[2]!)}, outW: ${p(y[3]!)} }`;
}
