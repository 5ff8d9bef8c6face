import { realpathSync } from "node:fs";
import { resolve } from "node:path";
import { writeFileAtomic } from "../../runtime/io/fs.js";
import { printable } from "../diagnostics/printable.js";
import { formatSource, unifiedDiff } from "../format/index.js";
import { printDiagnostics } from "./commands.js";
import { type CliIo, describeFsError, readSourceOrReport } from "./io.js";

/**
 * `nnc fmt FILE... [--check]`: each file in the canonical layout (compiler/format). A file
 * that is already formatted is not touched; another is replaced atomically (a new file renamed
 * over it, through a symbolic link to its target). With `--check` nothing is written: the diff
 * of each unformatted file goes to stdout. Exit 1 when a file has syntax errors or cannot be
 * read or written, and with `--check` when any file is not formatted.
 */
export function fmtCommand(io: CliIo, files: readonly string[], check: boolean): number {
  let failed = false;
  const unformatted: string[] = [];
  for (const file of files) {
    const text = readSourceOrReport(io, file);
    if (text === null) {
      failed = true;
      continue;
    }
    const result = formatSource(text, file);
    if (result.kind === "errors") {
      printDiagnostics(io, result.diagnostics, file, text);
      const n = result.diagnostics.length;
      io.stderr(`${printable(file)}: ${n} error${n === 1 ? "" : "s"}, not formatted\n`);
      failed = true;
      continue;
    }
    if (result.text === text) continue;
    if (check) {
      const diff = unifiedDiff(text, result.text, file, `${file} (formatted)`);
      // Lines of the file go to the terminal: their controls are shown escaped.
      io.stdout(diff.split("\n").map(printable).join("\n"));
      unformatted.push(file);
      continue;
    }
    try {
      writeFileAtomic(realpathSync(resolve(io.cwd, file)), Buffer.from(result.text, "utf8"));
    } catch (error) {
      io.stderr(`nnc: cannot write ${printable(file)}: ${describeFsError(error)}\n`);
      failed = true;
      continue;
    }
    io.stdout(`${printable(file)}: formatted\n`);
  }
  if (unformatted.length > 0) {
    const n = unformatted.length;
    io.stderr(
      `nnc fmt: ${n} file${n === 1 ? " is" : "s are"} not formatted; run nnc fmt ${unformatted.map(printable).join(" ")}\n`,
    );
  }
  return failed || unformatted.length > 0 ? 1 : 0;
}
