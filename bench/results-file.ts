/**
 * bench/RESULTS.md: the CPU run's part above a marker and the WebGPU run's part below it.
 *
 * Assumes the package root holds bench/; guarantees that a run replaces only its own part and
 * keeps the other, formatted by the project's prettier config. Node only.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../compiler/cli/package-root.js";
import type { BenchBackend } from "./options.js";
import { type Section, markdownSection } from "./report.js";

/**
 * Writes the run to bench/RESULTS.md: the CPU run (the default) replaces the file above the
 * WebGPU marker, a `--backend webgpu` run replaces the part below it; each keeps the other.
 */
export async function writeResults(
  sections: readonly Section[],
  backend: BenchBackend,
): Promise<string> {
  const path = join(packageRoot(), "bench", "RESULTS.md");
  const previous = existsSync(path) ? readFileSync(path, "utf8") : "";
  const at = previous.indexOf(WEBGPU_MARKER);
  const [cpuPart, gpuPart] = at < 0 ? [previous, ""] : [previous.slice(0, at), previous.slice(at)];
  const body = sections.map(markdownSection);
  const markdown =
    backend === "webgpu"
      ? [
          cpuPart.trimEnd(),
          "",
          WEBGPU_MARKER,
          "",
          "# WebGPU results",
          "",
          "Written by `npm run bench -- --backend webgpu --write`. On the machine below there is no GPU: WebGPU runs on Mesa's software driver (llvmpipe, OpenGL ES through Dawn, on the CPU's cores), so these figures say that the path works, not what a GPU does; run the same command on a machine with one to measure it.",
          "",
          ...body,
        ].join("\n")
      : [
          "# Benchmark results",
          "",
          "Written by `npm run bench -- --write` (bench/run.ts); rerun it to replace this file. See bench/README.md for what each figure measures.",
          "",
          ...body,
          gpuPart,
        ].join("\n");
  const prettier = await import("prettier");
  const config = (await prettier.resolveConfig(path)) ?? {};
  writeFileSync(path, await prettier.format(markdown, { ...config, filepath: path }));
  return path;
}

/** Where the WebGPU part of bench/RESULTS.md starts. */
const WEBGPU_MARKER =
  "<!-- webgpu: npm run bench -- --backend webgpu --write replaces what follows -->";
