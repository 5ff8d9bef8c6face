/**
 * The "Compile speed" section of `npm run bench`: what `nnc check` and `nnc build` run, on
 * generated files far larger than real ones (bench/generated-sources.ts), each in a fresh
 * process (bench/compile-child.ts): a file of 100,000 `fn` declarations (about 5 MB; 20,000
 * with `--quick`), the same at a fifth of the size to show how time and memory grow, and models
 * whose forward is one long pipeline (500 and 2,000 stages; 50 and 200 with `--quick`). Each
 * runs once: the point is the order of magnitude and how it grows. CPU seconds are given beside
 * wall seconds: on a loaded machine they are the steadier figure.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { CompileJob, CompileResult } from "./compile-child.js";
import { longPipeline, manyFns } from "./generated-sources.js";
import { type Section, figure, table } from "./report.js";

const progress = (text: string): void => void process.stderr.write(`bench: ${text}\n`);

function measure(job: CompileJob): CompileResult {
  const child = fileURLToPath(new URL("./compile-child.js", import.meta.url));
  const run = spawnSync(process.execPath, [child, JSON.stringify(job)], { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`compiling ${job.file} failed:\n${run.stderr}`);
  return JSON.parse(run.stdout) as CompileResult;
}

const megabytes = (bytes: number): number => bytes / 1e6;
const mib = (kib: number): string => figure(kib / 1024, 0);

export function compileSpeedSection(quick: boolean): Section {
  const dir = mkdtempSync(join(tmpdir(), "nnc-bench-compile-"));
  try {
    const rows: string[][] = [];
    const largest = quick ? 20_000 : 100_000;
    for (const fns of [largest / 5, largest]) {
      const text = manyFns(fns);
      const file = join(dir, `fns-${fns}.nn`);
      writeFileSync(file, text);
      const size = megabytes(Buffer.byteLength(text));
      progress(`nnc check on ${fns} fns (${figure(size, 1)} MB)`);
      const r = measure({ command: "check", file });
      rows.push([
        `check: ${fns.toLocaleString("en")} fns`,
        `${figure(size, 2)} MB`,
        figure(r.wallSeconds, 2),
        figure(r.cpuSeconds, 2),
        mib(r.maxRssKiB),
        `${figure(size / r.wallSeconds, 2)} MB/s`,
      ]);
    }
    for (const stages of quick ? [50, 200] : [500, 2000]) {
      const file = join(dir, `pipeline-${stages}.nn`);
      writeFileSync(file, longPipeline(stages));
      progress(`nnc build on a pipeline of ${stages} stages`);
      const r = measure({ command: "build", file });
      rows.push([
        `build: ${stages.toLocaleString("en")} stages`,
        `${figure(megabytes(r.emittedBytes), 1)} MB out`,
        figure(r.wallSeconds, 2),
        figure(r.cpuSeconds, 2),
        mib(r.maxRssKiB),
        `${figure(stages / r.wallSeconds, 0)} stages/s`,
      ]);
    }
    return {
      title: "Compile speed",
      lines: [
        "The compiler's work for `nnc check` and `nnc build` on generated files far larger than real programs, once each in a fresh process (JIT warm-up included, Node's startup not: about 0.5 s more from the command line).",
      ],
      tables: [
        table(
          "check and build",
          ["work", "size", "wall s", "CPU s", "peak RSS MiB", "rate"],
          rows,
          {
            right: [1, 2, 3, 4, 5],
            notes: [
              "check: fns of a few terms each, like the examples' (`fn mix_7(a, b, w = 0.5) = w * a + (1 - w) * b`), and one model (bench/generated-sources.ts). build: `x -> dense(8) -> tanh -> ... -> dense(1)` trained by Adam, the module generated and formatted as `nnc build` writes it (about 11 KB of TypeScript a stage).",
            ],
          },
        ),
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
