#!/usr/bin/env node
// The `nnc` command: a thin shim over the compiled CLI in dist/.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const main = new URL("../dist/compiler/cli/main.js", import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write(
    "nnc: the compiler is not built yet; run `npm run build` (npm ci does it for you)\n",
  );
  process.exit(1);
}
const { runCli } = await import(main.href);
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  cwd: process.cwd(),
  isTty: Boolean(process.stderr.isTTY),
  env: process.env,
});
