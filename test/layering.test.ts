import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "./helpers/compile.js";

/**
 * The layering that eslint.config.js enforces with `no-restricted-imports`, checked again over
 * the tree so that the test suite fails too, and so that dynamic `import()` (which the lint
 * rule does not see) counts. Specifiers are resolved, so only where a path lands matters.
 */

function sourceFiles(folder: string): string[] {
  return readdirSync(join(repoRoot, folder), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => join(folder, f).split(sep).join("/"));
}

/** Every module specifier of `import ... from`, `export ... from`, `import "x"` and `import("x")`. */
function specifiers(text: string): string[] {
  const found: string[] = [];
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["']([^"']+)["']/gm;
  for (const match of text.matchAll(pattern)) found.push(match[1]!);
  return found;
}

/** The repository-relative targets of a file's relative imports (`runtime/text/suggest.js`). */
function importedPaths(file: string): string[] {
  const text = readFileSync(join(repoRoot, file), "utf8");
  return specifiers(text)
    .filter((s) => s.startsWith("."))
    .map((s) =>
      relative(repoRoot, resolve(repoRoot, dirname(file), s))
        .split(sep)
        .join("/"),
    );
}

function violations(from: string, forbidden: string): string[] {
  return sourceFiles(from).flatMap((file) =>
    importedPaths(file)
      .filter((target) => target === forbidden || target.startsWith(`${forbidden}/`))
      .map((target) => `${file} imports ${target}`),
  );
}

describe("layering", () => {
  it("finds every kind of import specifier", () => {
    const text = [
      'import { a } from "../a.js";',
      'import type { B } from "./b.js";',
      'export { c } from "../../c.js";',
      'export type * from "./d.js";',
      'import "./e.js";',
      'const f = await import("./f.js");',
      "const from = 1;",
    ].join("\n");
    expect(specifiers(text)).toEqual([
      "../a.js",
      "./b.js",
      "../../c.js",
      "./d.js",
      "./e.js",
      "./f.js",
    ]);
  });

  it("the runtime imports nothing from the compiler", () => {
    expect(sourceFiles("runtime").length).toBeGreaterThan(10);
    expect(violations("runtime", "compiler")).toEqual([]);
  });

  it("the browser-safe runtime imports nothing from the Node-only runtime/node", () => {
    const core = sourceFiles("runtime").filter((f) => !f.startsWith("runtime/node/"));
    const found = core.flatMap((file) =>
      importedPaths(file)
        .filter((target) => target.startsWith("runtime/node/"))
        .map((target) => `${file} imports ${target}`),
    );
    expect(found).toEqual([]);
  });

  it("differentiation and the passes do not import each other", () => {
    expect(violations("compiler/grad", "compiler/passes")).toEqual([]);
    expect(violations("compiler/passes", "compiler/grad")).toEqual([]);
  });
});

/**
 * Issue 9: `nnc/runtime` (runtime/index.ts) holds only what runs in any JavaScript engine, so
 * that a bundler can take a generated module to a browser: no module reachable from it, by
 * static or dynamic import, may import a Node built-in. Node specifics live in
 * `nnc/runtime/node` (runtime/node/index.ts).
 */
describe("nnc/runtime is browser-safe", () => {
  it("reaches no Node built-in from runtime/index.ts", async () => {
    const { builtinModules } = await import("node:module");
    const builtins = new Set(builtinModules);
    const seen = new Set<string>();
    const found: string[] = [];
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(join(repoRoot, file), "utf8");
      for (const s of specifiers(text)) {
        if (s.startsWith(".")) {
          const target = relative(repoRoot, resolve(repoRoot, dirname(file), s))
            .split(sep)
            .join("/")
            .replace(/\.js$/, ".ts");
          visit(target);
        } else if (s.startsWith("node:") || builtins.has(s)) {
          found.push(`${file} imports ${s}`);
        }
      }
    };
    visit("runtime/index.ts");
    expect(seen.size).toBeGreaterThan(20);
    expect(found).toEqual([]);
  });
});
