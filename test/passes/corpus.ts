import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import type { CompiledFunction } from "../../compiler/passes/index.js";
import { build } from "../../compiler/pipeline.js";
import { repoRoot } from "../helpers/compile.js";
import { mulberry32 } from "../helpers/random.js";

/**
 * Compiled functions to check the passes' guarantees on: every model that builds among the
 * examples, the NumPy reference fixtures, the `nn` blocks of the docs and the conformance
 * suite's sources, and random small models. Each comes through the real pipeline.
 */

export interface CompiledCase {
  /** Where it comes from, and which function: `examples/xor.nn Xor train`. */
  readonly label: string;
  readonly compiled: CompiledFunction;
}

/** The functions of every model `source` builds to; fails the test when it does not build. */
export function compileClean(source: string, file = "test.nn"): CompiledCase[] {
  const result = build(source, file);
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  expect(errors.map((d) => `${d.span.start.line}:${d.span.start.column} ${d.message}`)).toEqual([]);
  return casesOf(result.models!, file);
}

/** The one model of `source`, its functions by kind. */
export function compileOne(source: string): {
  train: CompiledFunction | null;
  evaluate: CompiledFunction | null;
  predict: CompiledFunction;
} {
  const result = build(source, "test.nn");
  const errors = result.diagnostics.filter((d) => d.severity === "error");
  expect(errors.map((d) => `${d.span.start.line}:${d.span.start.column} ${d.message}`)).toEqual([]);
  expect(result.models).toHaveLength(1);
  return result.models![0]!;
}

function casesOf(
  models: NonNullable<ReturnType<typeof build>["models"]>,
  file: string,
): CompiledCase[] {
  return models.flatMap((m) =>
    (
      [
        ["train", m.train],
        ["evaluate", m.evaluate],
        ["predict", m.predict],
      ] as const
    ).flatMap(([kind, compiled]) =>
      compiled ? [{ label: `${file} ${m.model.name} ${kind}`, compiled }] : [],
    ),
  );
}

function read(path: string): string {
  return readFileSync(join(repoRoot, path), "utf8");
}

function filesIn(folder: string, suffix: string): string[] {
  return readdirSync(join(repoRoot, folder), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(suffix))
    .map((f) => `${folder}/${f}`)
    .sort();
}

/** Sources written by people: examples, fixtures, docs, conformance cases. */
export function writtenSources(): { readonly file: string; readonly text: string }[] {
  const sources: { file: string; text: string }[] = [];
  for (const file of [
    ...filesIn("examples", ".nn"),
    ...filesIn("test/fixtures/reference", ".nn"),
  ]) {
    sources.push({ file, text: read(file) });
  }
  for (const file of filesIn("docs", ".md")) {
    const blocks = read(file).matchAll(/```nn\n([\s\S]*?)```/g);
    [...blocks].forEach((b, i) => sources.push({ file: `${file}#${i + 1}`, text: b[1]! }));
  }
  for (const file of filesIn("test/conformance", ".test.ts")) {
    const literals = read(file).matchAll(/source: `([^`$]*)`/g);
    [...literals].forEach((b, i) => sources.push({ file: `${file}#${i + 1}`, text: b[1]! }));
  }
  return sources;
}

/** The functions of every written source that builds (many doc blocks show errors on purpose). */
export function writtenCases(): CompiledCase[] {
  return writtenSources().flatMap(({ file, text }) => {
    const result = build(text, file);
    return result.models ? casesOf(result.models, file) : [];
  });
}

const optimizers = [
  "sgd(lr: 0.1)",
  "sgd(lr: 0.1, momentum: 0.9, nesterov: true, weight_decay: 0.01)",
  "adagrad(lr: 0.1)",
  "rmsprop(lr: 0.01, momentum: 0.5)",
  "adadelta()",
  "adam()",
  "adamw(lr: 0.01)",
];

/**
 * A random small model: a chain of layers and activations over `[batch, w]`, sometimes with a
 * residual branch or two inputs, an elementwise mix of branches, and a random optimizer.
 */
export function randomSource(seed: number): string {
  const next = mulberry32(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const width = int(2, 5);
  const activations = ["relu", "tanh", "sigmoid", "softplus", "abs", "square"];
  const stages = (count: number, w: number): string[] =>
    Array.from({ length: count }, () =>
      pick([
        `dense(${w})`,
        `dense(${w}, bias: false)`,
        pick(activations),
        pick(activations),
        "dropout(0.25)",
        "layernorm",
        "batchnorm",
        "clip(-2, 2)",
      ]),
    );
  const targets = int(1, 3);
  const lines = [`h = x -> ${["dense(" + width + ")", ...stages(int(0, 4), width)].join(" -> ")}`];
  const two = next() < 0.4;
  let last = "h";
  if (next() < 0.6) {
    lines.push(`r = h -> ${["dense(" + width + ")", ...stages(int(0, 3), width)].join(" -> ")}`);
    last = pick(["(h + r)", "(h * r)", "max(h, r)", "(h - r * 0.5)", "where(h > 0, r, h)"]);
  }
  if (two) last = `(${last} + (z -> dense(${width}) -> ${pick(activations)}))`;
  lines.push(`${last} -> ${[...stages(int(0, 2), width), `dense(${targets})`].join(" -> ")}`);
  return `
model R {
  input  x: [batch, ${int(2, 6)}]
${two ? `  input  z: [batch, ${int(1, 4)}]\n` : ""}  target y: [batch, ${targets}]
  forward {
    ${lines.join("\n    ")}
  }
  loss      ${pick(["mse", "mae", "huber"])}
  optimizer ${pick(optimizers)}
}`;
}

/** The functions of `count` random models (seeds 1..count); each must build. */
export function randomCases(count: number): CompiledCase[] {
  return Array.from({ length: count }, (_, i) =>
    compileClean(randomSource(i + 1), `random-${i + 1}.nn`),
  ).flat();
}
