import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ts } from "ts-morph";
import type * as RuntimeModule from "../../runtime/index.js";
import type * as NodeRuntimeModule from "../../runtime/node/index.js";
import { enableRelaxedSimd } from "../../runtime/wasm/node-relaxed-simd.js";
import type { ModelFunctions } from "../emit/index.js";
import { generate } from "../pipeline.js";
import { packageRoot } from "./package-root.js";

/** What a generated module exports: one class per model. */
export type GeneratedModule = Readonly<Record<string, unknown>>;

/**
 * The runtime's entry module: the package's built `dist/runtime/index.js`. Generated code
 * loaded in memory imports it by this absolute URL instead of `nnc/runtime` (a module loaded
 * from data has no package to resolve names against).
 */
export function runtimeUrl(): string {
  return pathToFileURL(join(packageRoot(), "dist", "runtime", "index.js")).href;
}

/**
 * The built runtime (`nnc/runtime` and its Node part, from the same files, so classes such as
 * DataError are the ones generated code sees), for running models: relaxed SIMD is switched on first (a V8 flag in Node
 * 20, which must be set before any WebAssembly module is compiled), so the cpu backend uses
 * `f32x4.relaxed_madd` wherever the engine has it.
 */
export async function loadRuntime(): Promise<Runtime> {
  enableRelaxedSimd();
  const core = (await import(runtimeUrl())) as typeof RuntimeModule;
  const node = (await import(
    pathToFileURL(join(packageRoot(), "dist", "runtime", "node", "index.js")).href
  )) as typeof NodeRuntimeModule;
  return { ...core, ...node };
}

/** The runtime the CLI runs models with: `nnc/runtime` and `nnc/runtime/node` together. */
export type Runtime = typeof RuntimeModule & typeof NodeRuntimeModule;

/**
 * Compiles generated TypeScript in memory (transpiled with the TypeScript compiler that
 * ts-morph bundles) and imports it: the same code `nnc build` writes, without a file.
 */
export async function loadGenerated(
  models: readonly ModelFunctions[],
  source: string,
): Promise<GeneratedModule> {
  const typescript = await generate(models, source, runtimeUrl());
  const javascript = ts.transpileModule(typescript, {
    compilerOptions: {
      module: ts.ModuleKind.ES2022,
      target: ts.ScriptTarget.ES2022,
      verbatimModuleSyntax: false,
    },
  }).outputText;
  const url = `data:text/javascript;base64,${Buffer.from(javascript).toString("base64")}`;
  return (await import(url)) as GeneratedModule;
}
