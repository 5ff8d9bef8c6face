/**
 * `npm run fuzz -- --count N --seed S [--offset K] [--jobs J] [--timeout MS] [--no-minimize]
 * [--no-save]`: runs the fuzzer (fuzz/run.ts), prints its summary, saves each failure class's
 * minimised input as test/cases/fuzz/NAME.nn (a regression case that test/fuzz/cases.test.ts
 * replays) and exits 1 if any input failed.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../compiler/cli/package-root.js";
import { formatSummary, runFuzz } from "./run.js";

function option(args: readonly string[], name: string, fallback: number): number {
  const at = args.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(args[at + 1]);
  if (!Number.isSafeInteger(value) || value < 0) {
    process.stderr.write(
      `nnc fuzz: ${name} needs a whole number, not ${args[at + 1] ?? "nothing"}\n`,
    );
    process.exit(2);
  }
  return value;
}

/** A file name for a failure class: its words, lower case, then a hash of the class. */
export function caseName(kind: string): string {
  let hash = 0;
  for (const char of kind) hash = (Math.imul(hash, 31) + char.charCodeAt(0)) >>> 0;
  const words = kind
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .slice(0, 50);
  return `${words}-${hash.toString(16).padStart(8, "0")}`;
}

const args = process.argv.slice(2);
const seed = option(args, "--seed", 1);
const offset = option(args, "--offset", 0);
const summary = await runFuzz({
  count: option(args, "--count", 1000),
  seed,
  offset,
  jobs: Math.max(1, option(args, "--jobs", 2)),
  timeoutMs: option(args, "--timeout", 30_000),
  minimize: !args.includes("--no-minimize"),
  progress: (line) => process.stderr.write(`${line}\n`),
});
process.stdout.write(`${formatSummary(summary, seed, offset)}\n`);
const save = !args.includes("--no-save");
const folder = join(packageRoot(), "test", "cases", "fuzz");
for (const failure of summary.failures) {
  const text = failure.minimized ?? failure.text;
  process.stdout.write(
    `\n${failure.kind}\n${failure.detail}\n--- input ${failure.index}, minimised:\n${text}\n---\n`,
  );
  if (!save) continue;
  mkdirSync(folder, { recursive: true });
  const file = join(folder, `${caseName(failure.kind)}.nn`);
  writeFileSync(file, text);
  process.stdout.write(`saved as ${file}\n`);
}
process.exitCode = summary.failures.length > 0 ? 1 : 0;
