import type { IrFunction } from "./function.js";
import { formatAxisSet } from "../ops/axes.js";
import { formatDim, formatShape, formatType, isDimExpr } from "../shapes/dims.js";
import type {
  AnyEqn,
  Init,
  Model,
  Operand,
  ParamDim,
  Program,
  Shape,
  TypedModel,
  TypedProgram,
} from "./types.js";

/**
 * The IR as text, for `nnc build --dump ir` and golden tests. One equation per line:
 *
 *     %3 = matmul(x, dense_1.weight; transB)  : [batch, 512]  # 5:10 dense_1
 *
 * with the result type once shapes are known, and the source line:column it comes from.
 */
export function printIr(program: Program | TypedProgram): string {
  return program.models.map(printModel).join("\n");
}

export function printModel(model: Model | TypedModel): string {
  const types = "types" in model ? model.types : null;
  const lines = [`model ${model.name}`];
  for (const t of model.inputs) lines.push(`  input  ${t.name}: ${formatType(t.type)}`);
  for (const t of model.targets) lines.push(`  target ${t.name}: ${formatType(t.type)}`);
  for (const p of model.params) {
    const shape = "shape" in p ? formatShape(p.shape) : formatParamDims(p.dims);
    lines.push(
      `  ${p.trainable ? "param " : "buffer"} ${p.name}: ${p.dtype === "f32" ? "" : p.dtype}${shape}  init ${formatInit(p.init)}`,
    );
  }
  const rendered = model.eqns.map((eqn) => {
    const text = `  ${eqn.out} = ${formatEqn(eqn)}`;
    const type = types?.get(eqn.out);
    return { text, type: type ? formatType(type) : null, origin: formatOrigin(eqn) };
  });
  const width = Math.max(0, ...rendered.map((r) => r.text.length)) + 2;
  const typeWidth = Math.max(0, ...rendered.map((r) => r.type?.length ?? 0)) + 2;
  for (const r of rendered) {
    const typePart = types ? `: ${(r.type ?? "?").padEnd(typeWidth)}` : "";
    lines.push(`${r.text.padEnd(width)}${typePart}# ${r.origin}`.trimEnd());
  }
  for (const b of model.bindings) lines.push(`  bind   ${b.name} = ${b.value}`);
  lines.push(`  output = ${model.output ?? "(invalid)"}`);
  if (model.loss !== null) lines.push(`  loss = ${model.loss}`);
  for (const u of model.updates) lines.push(`  update ${u.buffer} <- ${u.value}`);
  return lines.join("\n") + "\n";
}

/** A function (train step, evaluation, prediction) as text, for `--dump` and goldens. */
export function printFunction(fn: IrFunction): string {
  const lines = [`${fn.kind} ${fn.model.name}`];
  for (const t of fn.inputs) lines.push(`  input  ${t.name}: ${formatType(t.type)}`);
  for (const name of fn.scalars) lines.push(`  scalar ${name}: []`);
  for (const p of fn.params) {
    lines.push(
      `  ${p.trainable ? "param " : "buffer"} ${p.name}: ${p.dtype === "f32" ? "" : p.dtype}${formatShape(p.shape)}`,
    );
  }
  for (const st of fn.state)
    lines.push(`  state  ${st.name}: ${formatShape(st.shape)}  init ${st.init}`);
  const rendered = fn.eqns.map((eqn) => ({
    text: `  ${eqn.out} = ${formatEqn(eqn)}`,
    type: formatType(fn.types.get(eqn.out) ?? { dtype: "f32", shape: [] }),
    origin: formatOrigin(eqn),
  }));
  const width = Math.max(0, ...rendered.map((r) => r.text.length)) + 2;
  const typeWidth = Math.max(0, ...rendered.map((r) => r.type.length)) + 2;
  for (const r of rendered)
    lines.push(`${r.text.padEnd(width)}: ${r.type.padEnd(typeWidth)}# ${r.origin}`.trimEnd());
  if (fn.output !== null) lines.push(`  output = ${fn.output}`);
  if (fn.loss !== null) lines.push(`  loss = ${fn.loss}`);
  for (const [param, grad] of fn.gradients) lines.push(`  grad ${param} = ${grad}`);
  for (const u of fn.updates) lines.push(`  update ${u.target} <- ${u.value}`);
  return lines.join("\n") + "\n";
}

export function formatOperand(operand: Operand): string {
  return operand.kind === "value" ? operand.name : formatNumber(operand.value);
}

/** `op(args; attrs)` with attributes as `key=value`, true flags by name, false ones left out. */
export function formatEqn(eqn: AnyEqn): string {
  const args = eqn.args.map(formatOperand).join(", ");
  const attrs = Object.entries(eqn.attrs as Record<string, unknown>)
    .filter(([, v]) => v !== false)
    .map(([k, v]) => (v === true ? k : `${k}=${formatAttr(v)}`));
  return `${eqn.op}(${args}${attrs.length > 0 ? `; ${attrs.join(", ")}` : ""})`;
}

function formatAttr(value: unknown): string {
  if (typeof value === "number") return formatNumber(value);
  if (Array.isArray(value)) return formatShape(value as Shape);
  if (isDimExpr(value)) return formatDim(value);
  if (value && typeof value === "object" && "kind" in value) {
    return formatAxisSet(value as Parameters<typeof formatAxisSet>[0]);
  }
  if (value && typeof value === "object") {
    return Object.values(value as Record<string, number>).join(",");
  }
  return String(value);
}

function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(9)));
}

function formatOrigin(eqn: AnyEqn): string {
  const at = `${eqn.origin.start.line}:${eqn.origin.start.column}`;
  return eqn.layer ? `${at} ${eqn.layer}` : at;
}

function formatParamDims(dims: readonly ParamDim[]): string {
  return `[${dims.map((d) => (d.kind === "fixed" ? String(d.value) : `input[${d.axis}]`)).join(", ")}]`;
}

export function formatInit(init: Init): string {
  switch (init.kind) {
    case "normal":
      return `normal(${init.std})`;
    case "uniform":
      return `uniform(${init.limit})`;
    default:
      return init.kind;
  }
}
