/**
 * Compiles the benchmark models (bench/models/*.nn) with the real pipeline (`build`, then
 * `generate`, as `nnc train` does) into JavaScript modules in a temporary folder, so that each
 * training child process imports only the generated code and the runtime: its peak RSS is the
 * model's, not the compiler's.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ts } from "ts-morph";
import { runtimeUrl } from "../compiler/cli/load-module.js";
import { packageRoot } from "../compiler/cli/package-root.js";
import { build, generate } from "../compiler/pipeline.js";

/** bench/models in the source tree (this file runs from dist/bench). */
export const modelsDir = join(packageRoot(), "bench", "models");

export interface CompiledBenchModel {
  /** The file's base name, lower case: `t1`. */
  readonly id: string;
  /** The class the module exports: `T1`. */
  readonly className: string;
  /** The generated JavaScript module (imports the runtime by absolute URL). */
  readonly file: string;
}

export interface CompiledSet {
  readonly models: readonly CompiledBenchModel[];
  /** Removes the temporary folder. */
  cleanup(): void;
}

/** Compiles every bench/models/*.nn; throws listing the diagnostics of a file with errors. */
export async function compileModels(): Promise<CompiledSet> {
  const dir = mkdtempSync(join(tmpdir(), "nnc-bench-"));
  const models: CompiledBenchModel[] = [];
  try {
    const files = readdirSync(modelsDir)
      .filter((f) => f.endsWith(".nn"))
      .sort();
    for (const name of files) {
      const text = readFileSync(join(modelsDir, name), "utf8");
      const result = build(text, name);
      if (!result.models || result.models.length !== 1) {
        const problems = result.diagnostics.map((d) => `  ${d.span.start.line}: ${d.message}`);
        throw new Error(`bench/models/${name} does not compile:\n${problems.join("\n")}`);
      }
      const typescript = await generate(result.models, name, runtimeUrl());
      const javascript = ts.transpileModule(typescript, {
        compilerOptions: {
          module: ts.ModuleKind.ES2022,
          target: ts.ScriptTarget.ES2022,
          verbatimModuleSyntax: false,
        },
      }).outputText;
      const id = name.replace(/\.nn$/, "");
      const file = join(dir, `${id}.mjs`);
      writeFileSync(file, javascript);
      models.push({ id, className: result.models[0]!.model.name, file });
    }
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return { models, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
