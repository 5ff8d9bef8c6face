import { expect } from "vitest";
import { loadGenerated, loadRuntime, runtimeUrl } from "../../compiler/cli/load-module.js";
import type { ModelFunctions } from "../../compiler/emit/index.js";
import type { IrFunction } from "../../compiler/ir/function.js";
import type { TensorDecl } from "../../compiler/ir/types.js";
import { LR } from "../../compiler/optim/index.js";
import type { CompiledFunction } from "../../compiler/passes/index.js";
import { build } from "../../compiler/pipeline.js";
import type { Tensor as HostTensor } from "../../runtime/data/tensor.js";
import type { Buffer, CompiledModel, CreateOptions, PlanBuffers } from "../../runtime/index.js";
import type * as RuntimeIndex from "../../runtime/index.js";
import { type BackendVariant, cpuVariants, variantBackend } from "../helpers/backends.js";
import { closeToReference } from "../helpers/webgpu.js";
import { count, interpret, resolveShape } from "../helpers/interpret.js";
import { hashString, mulberry32 } from "../helpers/random.js";

/**
 * Conformance of generated code with the IR it comes from: a model is compiled to TypeScript,
 * loaded in memory and run on a float64 CPU backend (each variant: js, wasm), and after every step each of its
 * parameters, buffers and optimizer state values must equal what the naive reference
 * interpreter computes from the same function's IR equations (`build(...).models[0].train.fn`,
 * after the compiler's passes), with the updates applied all at once from the values before the
 * step. The loss, the train-mode output, and then `predict` and `evaluate` on a fresh batch are
 * compared the same way. This sees what per-op gradient checks cannot: fusion, broadcast index
 * arithmetic, buffer planning and reuse, in-place updates, kernel code, GEMM flags and strides.
 */

/** How an input or target is drawn (all values are float32-exact, as batches are loaded). */
export type DataKind =
  /** uniform in [-1, 1): the default for f32 */
  | "uniform"
  /** uniform in [0, 1): probabilities, binary targets */
  | "unit"
  /** one-hot rows over the last axis */
  | "onehot"
  /** class ids in [0, classes) with classes the output's last dimension: the default for i32 */
  | "ids";

export interface ConformanceCase {
  readonly source: string;
  /** The batch size of each training step; the last step also halves the learning rate. */
  readonly steps?: readonly number[];
  /** The batch size of the fresh batch given to predict and evaluate. */
  readonly evalBatch?: number;
  /** How to draw each input and target, by name (default by dtype). */
  readonly data?: Readonly<Record<string, DataKind>>;
  /** Seed of the initial weights. */
  readonly seed?: number;
}

/** Relative tolerance against the largest magnitude of the value compared. */
export const RELATIVE = 1e-9;
/** Absolute floor, for values that are zero up to rounding (e.g. a gradient that cancels). */
export const ABSOLUTE = 1e-13;

type RuntimeModule = typeof RuntimeIndex;

/** The protected steps of a generated model, called directly to read float64 outputs. */
interface Steps {
  runPredict(n: number, b: PlanBuffers): void;
  runEvaluate(n: number, b: PlanBuffers): void;
}

type Values = Map<string, Float64Array>;

/**
 * Compiles `c.source`, trains its one model for `c.steps` on the float64 backend of `variant`
 * and on the reference interpreter side by side, then predicts and evaluates a fresh batch;
 * fails listing every value that differs.
 */
export async function checkConformance(
  c: ConformanceCase,
  variant: BackendVariant = cpuVariants[0]!,
): Promise<void> {
  const file = "conformance.nn";
  const result = build(c.source, file);
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  expect(errors.map((d) => `${d.span.start.line}:${d.span.start.column} ${d.message}`)).toEqual([]);
  const functions = result.models![0]!;
  expect(functions.train, "the model trains").not.toBeNull();
  const runtime = (await import(runtimeUrl())) as RuntimeModule;
  const module = await loadGenerated(result.models!, file);
  const Model = module[functions.model.name] as {
    create(o: CreateOptions): Promise<CompiledModel>;
  };
  const gpu = variant.backend === "webgpu";
  const backend = gpu
    ? await (await loadRuntime()).createBackend("webgpu")
    : variantBackend(variant, "f64", runtime.createCpuBackendNow);
  const model = await Model.create({ backend, seed: c.seed ?? 7 });
  try {
    await checkModel(c, model, functions, gpu);
  } finally {
    model.dispose();
    backend.dispose();
  }
}

/** Trains, predicts and evaluates `model` beside the interpreter (see checkConformance). */
async function checkModel(
  c: ConformanceCase,
  model: CompiledModel,
  functions: ModelFunctions,
  gpu: boolean,
): Promise<void> {
  const { train, evaluate, predict } = functions;
  const compare = gpu ? compareF32 : compareF64;
  const random = mulberry32(hashString(c.source));
  const classes = Number(functions.model.types.get(functions.model.output)!.shape.at(-1) ?? 1);
  const draw = (decls: readonly TensorDecl[], n: number) =>
    drawBatch(decls, n, train!.batch, c.data ?? {}, classes, random);

  // Both sides start from the compiled model's parameters, and optimizer state at its init.
  const env: Values = new Map();
  for (const p of model.spec.params) {
    env.set(p.name, await read(model, model.params[p.name], count(p.shape)));
  }
  for (const s of train!.fn.state) env.set(s.name, new Float64Array(count(s.shape)).fill(s.init));
  const mismatches: string[] = [];
  const steps = c.steps ?? [5, 3, 5];
  let lr = model.spec.training!.optimizer.lr;

  for (const [k, n] of steps.entries()) {
    const at = `step ${k + 1} (batch ${n})`;
    if (k > 0 && k === steps.length - 1) {
      lr /= 2;
      model.setLearningRate(lr);
    }
    const batch = draw(train!.fn.inputs, n);
    const plan = model.plan("train", n);
    model.loadBatch(plan, batch.host, null, 0, n);
    model.runTrainStep(n, plan);
    const loss = (await read(model, plan.loss, 1))[0]!;

    const values = run(train!, env, batch.reference, n, lr);
    const fn = train!.fn;
    compare(mismatches, `${at}: loss`, Float64Array.of(loss), values.get(fn.loss!)!);
    const width = count(resolveShape(fn.types.get(fn.output!)!.shape, { [train!.batch]: n }));
    compare(
      mismatches,
      `${at}: output`,
      await read(model, plan.output, width),
      values.get(fn.output!)!,
    );
    // All updates at once, from the values before the step.
    const next = fn.updates.map((u) => [u.target, values.get(u.value)!] as const);
    for (const [target, data] of next) env.set(target, Float64Array.from(data));
    for (const p of model.spec.params) {
      const actual = await read(model, model.params[p.name], count(p.shape));
      compare(mismatches, `${at}: ${p.name}`, actual, env.get(p.name)!);
    }
    for (const s of fn.state) {
      const actual = await read(model, model.state[s.name], count(s.shape));
      compare(mismatches, `${at}: ${s.name}`, actual, env.get(s.name)!);
    }
    if (gpu) {
      // f32 steps start from the reference's values, so that each step is compared alone: an
      // update that divides by a gradient's magnitude (Adam's) turns f32's rounding of a
      // gradient near 0 into a different step, which later steps would carry on
      for (const p of model.spec.params) model.rt.write(model.params[p.name]!, env.get(p.name)!);
      for (const s of fn.state) model.rt.write(model.state[s.name]!, env.get(s.name)!);
    }
  }

  // Evaluation mode on a fresh batch, with the trained parameters and running statistics.
  const steps2 = model as unknown as Steps;
  const m = c.evalBatch ?? 7;
  for (const [kind, compiled] of [
    ["predict", predict],
    ["evaluate", evaluate],
  ] as const) {
    if (!compiled) continue;
    const batch = draw(compiled.fn.inputs, m);
    const plan = model.plan(kind, m);
    model.loadBatch(plan, batch.host, null, 0, m);
    if (kind === "predict") steps2.runPredict(m, plan);
    else steps2.runEvaluate(m, plan);
    const values = run(compiled, env, batch.reference, m, lr);
    const fn = compiled.fn;
    const width = count(resolveShape(fn.types.get(fn.output!)!.shape, { [compiled.batch]: m }));
    compare(
      mismatches,
      `${kind} (batch ${m}): output`,
      await read(model, plan.output, width),
      values.get(fn.output!)!,
    );
    if (fn.loss !== null) {
      compare(
        mismatches,
        `${kind} (batch ${m}): loss`,
        await read(model, plan.loss, 1),
        values.get(fn.loss)!,
      );
    }
  }
  expect(mismatches).toEqual([]);
}

/** Interprets a compiled function's equations on the parameters, state, lr and a batch. */
function run(
  compiled: CompiledFunction,
  env: Values,
  batch: Values,
  n: number,
  lr: number,
): Map<string, Float64Array> {
  const fn: IrFunction = compiled.fn;
  const inputs: Values = new Map();
  for (const [name, data] of env) if (fn.types.has(name)) inputs.set(name, data);
  for (const [name, data] of batch) inputs.set(name, data);
  if (fn.scalars.includes(LR)) inputs.set(LR, Float64Array.of(lr));
  const values = interpret(fn.eqns, fn.types, inputs, { dims: { [compiled.batch]: n } });
  return new Map([...values].map(([name, t]) => [name, t.data]));
}

/** A batch of every declared tensor: for the model (float32 host tensors) and the interpreter. */
function drawBatch(
  decls: readonly TensorDecl[],
  n: number,
  batch: string,
  kinds: Readonly<Record<string, DataKind>>,
  classes: number,
  random: () => number,
): { host: Record<string, HostTensor>; reference: Values } {
  const host: Record<string, HostTensor> = {};
  const reference: Values = new Map();
  for (const decl of decls) {
    const shape = resolveShape(decl.type.shape, { [batch]: n });
    const kind = kinds[decl.name] ?? (decl.type.dtype === "i32" ? "ids" : "uniform");
    const data = new Float32Array(count(shape));
    const last = shape.at(-1) ?? 1;
    for (let i = 0; i < data.length; i++) {
      const u = random();
      if (kind === "uniform") data[i] = 2 * u - 1;
      else if (kind === "unit") data[i] = u;
      else if (kind === "ids") data[i] = Math.floor(u * classes);
      else if (i % last === 0) data[i + Math.floor(u * last)] = 1;
    }
    host[decl.name] = { data, shape };
    reference.set(decl.name, Float64Array.from(data));
  }
  return { host, reference };
}

/** A float64 copy of a model buffer's first `size` elements. */
async function read(
  model: CompiledModel,
  buffer: Buffer | null | undefined,
  size: number,
): Promise<Float64Array> {
  expect(buffer, "the model has the buffer").toBeTruthy();
  return Float64Array.from(await model.rt.read(buffer!, size));
}

/**
 * Records where `actual` differs from `expected` by more than RELATIVE times the largest
 * magnitude of `expected` (plus ABSOLUTE): the worst element, and how many differ.
 */
/**
 * Records where `actual` (a WebGPU model's f32 values) is not within 1e-5 + 1e-3 |expected| of
 * the interpreter's, NaN where it is NaN: the worst element, and how many differ.
 */
function compareF32(
  out: string[],
  what: string,
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
): void {
  if (actual.length !== expected.length) {
    out.push(`${what}: ${actual.length} elements, reference ${expected.length}`);
    return;
  }
  let bad = 0;
  let worst = -1;
  for (let i = 0; i < expected.length; i++) {
    if (closeToReference(actual[i]!, expected[i]!)) continue;
    bad++;
    if (worst < 0) worst = i;
  }
  if (bad > 0) {
    out.push(
      `${what}: ${bad} of ${expected.length} differ; [${worst}] is ${actual[worst]}, reference ${expected[worst]}`,
    );
  }
}

function compareF64(
  out: string[],
  what: string,
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
): void {
  if (actual.length !== expected.length) {
    out.push(`${what}: ${actual.length} elements, reference ${expected.length}`);
    return;
  }
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    if (Number.isFinite(expected[i])) scale = Math.max(scale, Math.abs(expected[i]!));
  }
  const tolerance = RELATIVE * scale + ABSOLUTE;
  let bad = 0;
  let worst = -1;
  let worstDiff = -1;
  for (let i = 0; i < expected.length; i++) {
    const same = Object.is(actual[i], expected[i]) || (isNaN(actual[i]!) && isNaN(expected[i]!));
    const diff = same ? 0 : Math.abs(actual[i]! - expected[i]!);
    if (!(diff <= tolerance)) {
      bad++;
      if (!(diff <= worstDiff)) {
        worst = i;
        worstDiff = diff;
      }
    }
  }
  if (bad === 0) return;
  out.push(
    `${what}: ${bad} of ${expected.length} differ; worst [${worst}] = ${actual[worst]}, ` +
      `reference ${expected[worst]} (|diff| ${worstDiff.toExponential(2)}, ` +
      `${(worstDiff / (scale || 1)).toExponential(2)} of max |reference| ${scale.toExponential(2)})`,
  );
}
