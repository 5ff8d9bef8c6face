/**
 * Type-checks generated modules in batches: one `tsc --strict` run (the native TypeScript of
 * `npm run typecheck`) over many modules written to a temporary folder, its errors mapped back
 * to the module they are in.
 *
 * Guarantees: resolves to the first error of each module that has one (an "invalid module");
 * modules missing from the result type-check; the folder is removed.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packageRoot } from "../compiler/cli/package-root.js";

const tsc = join(packageRoot(), "node_modules", "typescript-native", "bin", "tsc");

/** Per module index with an error, `TSNNNN` and the message's first line; at -1 an error of the tsc run itself. */
export async function typecheckModules(
  modules: readonly string[],
): Promise<Map<number, { readonly code: string; readonly message: string }>> {
  if (modules.length === 0) return new Map();
  const folder = await mkdtemp(join(tmpdir(), "nnc-fuzz-tsc-"));
  try {
    const files = modules.map((_, k) => join(folder, `m${k}.ts`));
    await Promise.all(modules.map((code, k) => writeFile(files[k]!, code)));
    await writeFile(
      join(folder, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "es2022",
          module: "nodenext",
          moduleResolution: "nodenext",
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: [],
        },
        files,
      }),
    );
    const { output, failed } = await new Promise<{ output: string; failed: boolean }>((resolve) => {
      execFile(
        process.execPath,
        [tsc, "-p", join(folder, "tsconfig.json"), "--pretty", "false"],
        { maxBuffer: 64 * 1024 * 1024 },
        (error, stdout, stderr) =>
          resolve({ output: `${stdout}${stderr}`, failed: error !== null }),
      );
    });
    const errors = new Map<number, { code: string; message: string }>();
    for (const line of output.split("\n")) {
      const match = /m(\d+)\.ts\(\d+,\d+\): error (TS\d+): (.*)$/.exec(line);
      if (match === null) {
        if (line.includes("error TS") && !errors.has(-1))
          errors.set(-1, { code: "tsc", message: line });
        continue;
      }
      const index = Number(match[1]);
      if (!errors.has(index)) errors.set(index, { code: match[2]!, message: match[3]! });
    }
    // tsc failed without an error of a module (it crashed, or its options were wrong): no module
    // can be said to type-check.
    if (failed && errors.size === 0) errors.set(-1, { code: "tsc", message: output.trim() });
    return errors;
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}
