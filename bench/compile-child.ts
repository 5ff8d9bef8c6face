/**
 * One compile measurement in a process of its own (started by bench/compile-speed.ts): reads a
 * `.nn` file and runs what `nnc check` (parse, lower, shapes) or `nnc build` (and the passes,
 * emitting and formatting the module) runs, once, from a cold start of the compiler (its JIT
 * warm-up counts, as for a user). Prints one JSON line: wall and CPU seconds of that work, and
 * the process's peak RSS.
 */
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { build, check, generate } from "../compiler/pipeline.js";

export interface CompileJob {
  readonly command: "check" | "build";
  readonly file: string;
}

export interface CompileResult {
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
  readonly maxRssKiB: number;
  /** Bytes of the emitted module (`build`), else 0. */
  readonly emittedBytes: number;
}

async function measure(job: CompileJob): Promise<CompileResult> {
  const text = readFileSync(job.file, "utf8");
  const cpu = process.cpuUsage();
  const started = performance.now();
  let emittedBytes = 0;
  if (job.command === "check") {
    const result = check(text, job.file);
    if (result.typed === null) throw new Error(`${job.file} does not check`);
  } else {
    const result = build(text, job.file);
    if (result.models === null) throw new Error(`${job.file} does not build`);
    emittedBytes = (await generate(result.models, job.file)).length;
  }
  const wallSeconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return {
    wallSeconds,
    cpuSeconds: (used.user + used.system) / 1e6,
    maxRssKiB: process.resourceUsage().maxRSS,
    emittedBytes,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const job = JSON.parse(process.argv[2] ?? "{}") as CompileJob;
  process.stdout.write(`${JSON.stringify(await measure(job))}\n`);
}
