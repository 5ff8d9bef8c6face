// Compiles the benchmark harness (bench/*.ts but the vitest *.bench.ts files) to dist/bench, one
// file at a time with the TypeScript that ts-morph bundles, next to the dist/compiler and
// dist/runtime that `npm run build` wrote: the harness imports those, so they are not re-emitted
// (a program-wide tsc would rewrite them under any process reading them). Types are checked by
// `npm run typecheck`, whose tsconfig includes bench/.
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ts } from "ts-morph";

const source = fileURLToPath(new URL(".", import.meta.url));
const target = fileURLToPath(new URL("../dist/bench/", import.meta.url));
mkdirSync(target, { recursive: true });
for (const name of readdirSync(source)) {
  if (!name.endsWith(".ts") || name.endsWith(".bench.ts") || name.endsWith(".d.ts")) continue;
  const { outputText } = ts.transpileModule(readFileSync(source + name, "utf8"), {
    fileName: name,
    compilerOptions: {
      module: ts.ModuleKind.ES2022,
      target: ts.ScriptTarget.ES2022,
      verbatimModuleSyntax: true,
    },
  });
  writeFileSync(target + name.replace(/\.ts$/, ".js"), outputText);
}
