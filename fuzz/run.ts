/**
 * A fuzz run: inputs `offset .. offset + count` of a seed (seven in ten generated from the
 * grammar, three in ten byte-level mutants of the seed files) through every stage on worker
 * threads, the generated modules type-checked in batches, failures grouped by class; then one
 * input per class minimised.
 *
 * Guarantees: input k of a seed is the same text in every run (so `--offset` resumes a run and
 * a failure is reproduced by its index); memory stays flat (a bounded number of inputs in
 * flight, modules type-checked and dropped in batches, workers recycled).
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../compiler/cli/package-root.js";
import { generatedProgram, minimizeText, shrinkGenerated } from "./minimize.js";
import { mutant } from "./mutate.js";
import { FuzzPool } from "./pool.js";
import type { Failure, Reached } from "./stages.js";
import { typecheckModules } from "./typecheck.js";

export interface FuzzOptions {
  readonly count: number;
  readonly seed: number;
  readonly offset?: number;
  readonly jobs?: number;
  readonly timeoutMs?: number;
  /** Modules per tsc run. */
  readonly typecheckBatch?: number;
  readonly minimize?: boolean;
  /** Formats one generated module in this many with prettier (8 by default; 1: all). */
  readonly formatEvery?: number;
  /** Called with a line now and then. */
  readonly progress?: (line: string) => void;
}

export type InputKind = "generated" | "mutated";

/** Where input `index` of `seed` comes from. */
export function inputKind(index: number): InputKind {
  return index % 10 < 7 ? "generated" : "mutated";
}

/** The fast-check seed of generated input `index` (a 31-bit hash of seed and index). */
export function generatedSeed(seed: number, index: number): number {
  let h = Math.imul(seed ^ 0x27d4eb2d, 0x165667b1) ^ Math.imul(index, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 15), 0x85ebca77);
  return (h ^ (h >>> 13)) & 0x7fffffff;
}

/** The seed files of mutation: the examples and every test case. */
export function seedFiles(): string[] {
  const root = packageRoot();
  const folders = ["examples", "test/cases", "test/cases/fuzz"];
  const texts: string[] = [];
  for (const folder of folders) {
    let names: string[];
    try {
      names = readdirSync(join(root, folder)).sort();
    } catch {
      continue;
    }
    for (const name of names)
      if (name.endsWith(".nn")) texts.push(readFileSync(join(root, folder, name), "utf8"));
  }
  return texts;
}

/** Input `index` of `seed`. */
export function inputText(seeds: readonly string[], seed: number, index: number): string {
  return inputKind(index) === "generated"
    ? generatedProgram(generatedSeed(seed, index))
    : mutant(seeds, seed, index);
}

export interface FailureClass {
  readonly kind: string;
  count: number;
  readonly index: number;
  readonly text: string;
  readonly detail: string;
  minimized?: string;
}

export interface FuzzSummary {
  readonly inputs: number;
  readonly generated: number;
  readonly reached: Record<Reached | "typechecked", number>;
  readonly failures: FailureClass[];
  readonly seconds: number;
}

const order: readonly Reached[] = ["input", "parsed", "checked", "built", "trained"];

/** Runs the inputs; never throws for a failing input (they are counted). */
export async function runFuzz(options: FuzzOptions): Promise<FuzzSummary> {
  const started = performance.now();
  const offset = options.offset ?? 0;
  const jobs = options.jobs ?? 2;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const batchSize = options.typecheckBatch ?? 60;
  const pool = new FuzzPool({ jobs, timeoutMs, formatEvery: options.formatEvery ?? 8 });
  const seeds = seedFiles();
  const reached: Record<Reached | "typechecked", number> = {
    input: 0,
    parsed: 0,
    checked: 0,
    built: 0,
    typechecked: 0,
    trained: 0,
  };
  const failures = new Map<string, FailureClass>();
  let generated = 0;
  const record = (index: number, text: string, failure: Failure): void => {
    // Said at once, so that a failure that does not replay (a hang under load, a worker that
    // died) is still known by its input and class if the run is stopped before its summary.
    options.progress?.(`failure at input ${index}: ${failure.kind}`);
    const known = failures.get(failure.kind);
    if (known) known.count += 1;
    else
      failures.set(failure.kind, {
        kind: failure.kind,
        count: 1,
        index,
        text,
        detail: failure.detail,
      });
  };

  let pendingModules: { index: number; text: string; code: string }[] = [];
  let typechecking: Promise<void> = Promise.resolve();
  let queuedBatches = 0;
  const flushModules = (): void => {
    const batch = pendingModules;
    pendingModules = [];
    if (batch.length === 0) return;
    queuedBatches += 1;
    typechecking = typechecking.then(async () => {
      queuedBatches -= 1;
      const errors = await typecheckModules(batch.map((m) => m.code));
      batch.forEach((m, k) => {
        const error = errors.get(k);
        if (error === undefined) reached.typechecked += 1;
        else
          record(m.index, m.text, { kind: `invalid-module:${error.code}`, detail: error.message });
      });
      const global = errors.get(-1);
      if (global)
        record(batch[0]!.index, batch[0]!.text, {
          kind: "invalid-module:tsc",
          detail: global.message,
        });
    });
  };

  const progressEvery = Math.max(100, Math.min(1000, Math.ceil(options.count / 20)));
  let done = 0;
  const inFlight = new Set<Promise<void>>();
  for (let index = offset; index < offset + options.count; index++) {
    if (inputKind(index) === "generated") generated += 1;
    const text = inputText(seeds, options.seed, index);
    const task = pool.run(text).then((outcome) => {
      const level = order.indexOf(outcome.reached);
      for (const stage of order.slice(0, level + 1)) reached[stage] += 1;
      if (outcome.failure !== null) record(index, text, outcome.failure);
      if (outcome.code !== null && outcome.failure === null) {
        pendingModules.push({ index, text, code: outcome.code });
        if (pendingModules.length >= batchSize) flushModules();
      }
      done += 1;
      if (done % progressEvery === 0) {
        const seconds = (performance.now() - started) / 1000;
        options.progress?.(
          `${done}/${options.count} inputs, ${reached.trained} trained, ` +
            `${[...failures.values()].reduce((s, f) => s + f.count, 0)} failures, ${seconds.toFixed(0)} s`,
        );
      }
    });
    const tracked = task.then(() => {
      inFlight.delete(tracked);
    });
    inFlight.add(tracked);
    if (inFlight.size >= jobs * 2) await Promise.race(inFlight);
    // Type-checking batches queue behind each other: the modules they hold bound the memory.
    if (queuedBatches > 1) await typechecking;
  }
  await Promise.all(inFlight);
  flushModules();
  await typechecking;

  if (options.minimize ?? true) {
    for (const failure of failures.values()) {
      options.progress?.(`minimising ${failure.kind} (input ${failure.index})`);
      const stillFails = async (text: string): Promise<boolean> => {
        const outcome = await pool.run(text);
        if (failure.kind.startsWith("invalid-module:")) {
          if (outcome.code === null) return false;
          const errors = await typecheckModules([outcome.code]);
          return `invalid-module:${errors.get(0)?.code}` === failure.kind;
        }
        return outcome.failure?.kind === failure.kind;
      };
      failure.minimized =
        inputKind(failure.index) === "generated"
          ? await shrinkGenerated(generatedSeed(options.seed, failure.index), stillFails)
          : await minimizeText(failure.text, stillFails);
    }
  }
  await pool.close();
  return {
    inputs: options.count,
    generated,
    reached,
    failures: [...failures.values()],
    seconds: (performance.now() - started) / 1000,
  };
}

const classLabels: Readonly<Record<string, string>> = {
  crash: "crashes",
  hang: "hangs",
  "invalid-module": "invalid modules",
  unlocated: "unlocated diagnostics",
};

/** The summary as printed by `npm run fuzz`. */
export function formatSummary(summary: FuzzSummary, seed: number, offset: number): string {
  const { reached, inputs } = summary;
  const percent = (n: number): string => `${((100 * n) / Math.max(1, inputs)).toFixed(1)}%`;
  const row = (label: string, n: number): string =>
    `  ${label.padEnd(16)}${String(n).padStart(8)}  ${percent(n)}`;
  const failed = summary.failures.reduce((s, f) => s + f.count, 0);
  const lines = [
    `nnc fuzz: seed ${seed}, inputs ${offset}..${offset + inputs - 1} ` +
      `(${summary.generated} generated, ${inputs - summary.generated} mutated), ${summary.seconds.toFixed(0)} s`,
    row("inputs", inputs),
    row("parsed", reached.parsed),
    row("checked ok", reached.checked),
    row("built", reached.built),
    row("type-checked", reached.typechecked),
    row("trained a step", reached.trained),
    row("failures", failed),
  ];
  for (const kind of Object.keys(classLabels)) {
    const classes = summary.failures.filter((f) => f.kind.startsWith(`${kind}:`));
    const total = classes.reduce((s, f) => s + f.count, 0);
    lines.push(`    ${classLabels[kind]!.padEnd(22)}${total}`);
    for (const f of classes) lines.push(`      ${f.kind} x${f.count} (first: input ${f.index})`);
  }
  return lines.join("\n");
}
