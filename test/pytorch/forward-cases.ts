/**
 * What the PyTorch forward tests share: cases prepared from `.nn` sources (model.py, nnc's
 * weights and predictions), one forward_check.py process over them, and the comparison
 * |a - b| <= 1e-5 + 1e-4 |b| with nnc's outputs (b).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { loadGenerated } from "../../compiler/cli/load-module.js";
import type { TypedModel } from "../../compiler/ir/types.js";
import { build } from "../../compiler/pipeline.js";
import { emitPytorch } from "../../compiler/pytorch/index.js";
import type { CompiledModel, CreateOptions } from "../../runtime/index.js";
import { serializeSafetensors } from "../../runtime/io/safetensors.js";
import { repoRoot } from "../helpers/compile.js";
import { mulberry32 } from "../helpers/random.js";
import { findTorchPython, torchRequired } from "../helpers/torch-python.js";

export const ROWS = 5;

export interface Case {
  readonly label: string;
  readonly model_py: string;
  readonly model: string;
  readonly weights: string;
  readonly inputs: string;
  readonly input_names: readonly string[];
  readonly output: string;
  readonly expected: Float32Array;
  readonly finalActivation: "softmax" | "sigmoid" | null;
}

/** Random inputs of the model's input shapes: ids in range for an embedding, else [-1, 1). */
function randomInputs(model: TypedModel, random: () => number) {
  const vocab = Math.min(
    ...model.layers.flatMap((l) => (l.kind === "embedding" ? [l.args.vocab] : [])),
    50,
  );
  return model.inputs.map((input) => {
    const shape = input.type.shape.map((d) => (typeof d === "number" ? d : ROWS));
    const size = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    for (let i = 0; i < size; i++)
      data[i] = input.type.dtype === "i32" ? Math.floor(random() * vocab) : random() * 2 - 1;
    return { name: input.name, shape, data };
  });
}

/** Moves every parameter by noise; variances stay positive, counters stay whole. */
async function perturb(model: CompiledModel, random: () => number): Promise<void> {
  const state = await model.stateDict();
  for (const [name, value] of state) {
    const data = Float32Array.from(value.data, (v) =>
      value.dtype === "I64"
        ? 3
        : name.endsWith("running_var")
          ? 0.5 + random()
          : v + (random() - 0.5) * 0.4,
    );
    state.set(name, { ...value, data });
  }
  model.writeStateDict(state);
}

function finalActivation(model: TypedModel): Case["finalActivation"] {
  const last = model.eqns.find((e) => e.out === model.output);
  return last?.op === "softmax" || last?.op === "sigmoid" ? last.op : null;
}

/** A `.nn` file to test: its name (as diagnostics and model.py show it) and text. */
export interface Source {
  readonly file: string;
  readonly text: string;
}

/**
 * Per model of each source: model.py written, the compiled model made with noisy weights,
 * its predictions on random inputs, and the files forward_check.py reads.
 */
export async function prepareCases(dir: string, sources: readonly Source[]): Promise<Case[]> {
  const cases: Case[] = [];
  const random = mulberry32(12);
  for (const [index, { file: source, text }] of sources.entries()) {
    const result = build(text, source);
    expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const models = result.models!;
    const project = emitPytorch(models, source);
    expect(project.diagnostics).toEqual([]);
    const folder = join(dir, `${index}`);
    mkdirSync(folder);
    const modelPy = join(folder, "model.py");
    writeFileSync(modelPy, project.files.find((f) => f.name === "model.py")!.text);
    const module = await loadGenerated(models, source);
    for (const { model } of models) {
      const cls = module[model.name] as { create(o: CreateOptions): Promise<CompiledModel> };
      const compiled = await cls.create({ backend: "js", seed: 3 });
      await perturb(compiled, random);
      const inputs = randomInputs(model, random);
      const out = await compiled.predict(
        Object.fromEntries(inputs.map((i) => [i.name, { shape: i.shape, data: i.data }])),
      );
      const weights = join(folder, `${model.name}.safetensors`);
      writeFileSync(weights, await compiled.save());
      compiled.dispose();
      const inputsFile = join(folder, `${model.name}.inputs.safetensors`);
      writeFileSync(inputsFile, serializeSafetensors(inputs));
      cases.push({
        label: `${source} ${model.name}`,
        model_py: modelPy,
        model: model.name,
        weights,
        inputs: inputsFile,
        input_names: inputs.map((i) => i.name),
        output: join(folder, `${model.name}.out`),
        expected: out.data,
        finalActivation: finalActivation(model),
      });
    }
  }
  return cases;
}

export function readFloats(path: string): Float32Array {
  const bytes = readFileSync(path);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

/** Elements out of the bound |a - b| <= 1e-5 + 1e-4 |b|, b nnc's, as "index: a vs b". */
export function mismatches(actual: Float32Array, expected: Float32Array): string[] {
  if (actual.length !== expected.length) return [`${actual.length} values, not ${expected.length}`];
  const bad: string[] = [];
  expected.forEach((b, i) => {
    const a = actual[i]!;
    if (!(Math.abs(a - b) <= 1e-5 + 1e-4 * Math.abs(b))) bad.push(`${i}: ${a} vs ${b}`);
  });
  return bad.slice(0, 5);
}

/** What the final activation gives for logits, row by row over the last axis. */
function activate(logits: Float32Array, width: number, kind: "softmax" | "sigmoid"): Float32Array {
  if (kind === "sigmoid") return logits.map((v) => 1 / (1 + Math.exp(-v)));
  const out = new Float32Array(logits.length);
  for (let row = 0; row < logits.length; row += width) {
    const slice = logits.subarray(row, row + width);
    const max = Math.max(...slice);
    const exps = Array.from(slice, (v) => Math.exp(v - max));
    const sum = exps.reduce((a, b) => a + b, 0);
    exps.forEach((e, i) => (out[row + i] = e / sum));
  }
  return out;
}

/** Each case's output against nnc's, and its logits through the final activation. */
export function checkCases(cases: readonly Case[]): string[] {
  const failures: string[] = [];
  for (const c of cases) {
    const bad = mismatches(readFloats(c.output), c.expected);
    if (bad.length > 0) failures.push(`${c.label}: ${bad.join("; ")}`);
    if (c.finalActivation !== null) {
      const logits = readFloats(`${c.output}.logits`);
      const width = c.expected.length / ROWS;
      const again = mismatches(activate(logits, width, c.finalActivation), c.expected);
      if (again.length > 0) failures.push(`${c.label} logits: ${again.join("; ")}`);
    }
  }
  return failures;
}

/** Runs forward_check.py over the cases (one process); it must print nothing and succeed. */
export function runForwards(dir: string, cases: readonly object[]): void {
  if (!python.ok)
    throw new Error(`PyTorch tests required (CI or NNC_REQUIRE_TORCH): ${python.reason}`);
  const manifest = join(dir, "cases.json");
  writeFileSync(manifest, JSON.stringify(cases));
  const run = spawnSync(
    python.command,
    [join(repoRoot, "test/pytorch/forward_check.py"), manifest],
    {
      encoding: "utf8",
      timeout: 120_000,
    },
  );
  expect(run.stdout + run.stderr).toBe("");
  expect(run.status).toBe(0);
}

export const python = findTorchPython();
// Skipped only off CI: under CI or NNC_REQUIRE_TORCH a missing torch fails the test.
export const skip = !python.ok && !torchRequired();
export const title = python.ok ? "" : ` (${skip ? "skipped" : "required"}: ${python.reason})`;
