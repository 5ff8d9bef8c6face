import { builtinModules } from "node:module";
import { join } from "node:path";
import { type Plugin, build as esbuild } from "esbuild";
import { describe, expect, it } from "vitest";
import { build, generate } from "../compiler/pipeline.js";
import { readRepoFile, repoRoot } from "./helpers/compile.js";

/**
 * Issue 9, item 1: a generated module bundles for the browser. esbuild (platform "browser")
 * bundles each example's generated TypeScript with `nnc/runtime` resolved to the runtime's
 * sources (runtime/index.ts, so no build is needed); every `node:` specifier and Node built-in
 * it meets is recorded instead of resolved, and the test fails on any. Complements
 * layering.test.ts's import walk with what a real bundler reaches.
 */
async function browserBundle(
  example: string,
): Promise<{ nodeImports: string[]; inputs: string[] }> {
  const file = `examples/${example}.nn`;
  const built = build(readRepoFile(file), file);
  expect(built.models).not.toBeNull();
  const typescript = await generate(built.models!, file);
  const builtins = new Set(builtinModules);
  const nodeImports: string[] = [];
  const recordNode: Plugin = {
    name: "record-node",
    setup(b) {
      b.onResolve({ filter: /^nnc\/runtime$/ }, () => ({
        path: join(repoRoot, "runtime", "index.ts"),
      }));
      b.onResolve({ filter: /^[^./]/ }, (args) => {
        if (!args.path.startsWith("node:") && !builtins.has(args.path.split("/")[0]!)) return;
        nodeImports.push(`${args.importer.replace(repoRoot, "")} imports ${args.path}`);
        return { path: args.path, external: true };
      });
    },
  };
  const result = await esbuild({
    stdin: {
      contents: typescript,
      loader: "ts",
      resolveDir: repoRoot,
      sourcefile: `${example}.ts`,
    },
    bundle: true,
    platform: "browser",
    format: "esm",
    write: false,
    logLevel: "silent",
    metafile: true,
    plugins: [recordNode],
  });
  return { nodeImports, inputs: Object.keys(result.metafile.inputs) };
}

describe("a generated module bundles for the browser", () => {
  for (const example of ["xor", "mnist", "residual"]) {
    it(`${example}: no node: import and no Node built-in is reached`, async () => {
      const { nodeImports, inputs } = await browserBundle(example);
      expect(nodeImports).toEqual([]);
      expect(inputs.some((i) => i.startsWith("runtime/wasm/"))).toBe(true);
      expect(inputs.filter((i) => i.startsWith("runtime/node/"))).toEqual([]);
    });
  }
});
