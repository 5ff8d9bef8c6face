import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { printable } from "../diagnostics/printable.js";
import { emitPytorch } from "../pytorch/index.js";
import { pytorchDataFiles } from "./build-pytorch-data.js";
import { writeFileAtomic, fsErrorReason, isFile } from "../../runtime/io/fs.js";
import type { BuiltFile } from "./build.js";
import { printDiagnostics } from "./commands.js";
import { checkOutputPaths } from "./output-paths.js";
import { CliError, type CliIo } from "./io.js";

/** The project folder of `nnc build FILE.nn --emit pytorch`: FILE_pytorch/ beside the file. */
export function pytorchDir(file: string): string {
  return join(dirname(file), `${basename(file).replace(/\.nn$/, "")}_pytorch`);
}

/**
 * Writes the PyTorch project of a built file (model.py, train.py, and any data files) into
 * `outDir`, the project folder itself (FILE_pytorch/ beside the file by default), each file
 * written to a temporary file and renamed; says what it wrote on `report`. Every output path
 * is checked (folders made) before any file is written; E222 diagnostics write nothing.
 */
export function writePytorchProject(
  io: CliIo,
  file: string,
  built: BuiltFile,
  outDir: string | undefined,
  report: (line: string) => void,
): number {
  const shownDir = outDir ?? pytorchDir(file);
  const dir = resolve(io.cwd, shownDir);
  // train.py resolves data paths against the .nn file's folder, relative to its own.
  const sourceDir =
    relative(dir, dirname(resolve(io.cwd, file)))
      .split(sep)
      .join("/") || ".";
  const project = emitPytorch(built.models, file, { sourceDir });
  if (project.diagnostics.length > 0) {
    printDiagnostics(io, project.diagnostics, file, built.text);
    const errors = project.diagnostics.length;
    io.stderr(`${printable(file)}: ${errors} error${errors === 1 ? "" : "s"}\n`);
    return 1;
  }
  const names = project.files.map((f) => f.name).join(" and ");
  if (isFile(dir)) {
    throw new CliError(
      `-o ${shownDir} is a file; with --emit pytorch, -o names the folder to write ${names} in`,
    );
  }
  const shown = (name: string) => join(shownDir, name);
  // Data files beside train.py (the shipped MNIST digits, which Python cannot reach).
  const files = [
    ...project.files.map((f) => ({ name: f.name, bytes: new TextEncoder().encode(f.text) })),
    ...pytorchDataFiles(built.models),
  ];
  checkOutputPaths(
    io.cwd,
    files.map((f) => ({
      flag: outDir === undefined ? "build" : "-o",
      path: shown(f.name),
    })),
    [{ what: "the source", path: file }],
  );
  for (const emitted of files) {
    try {
      writeFileAtomic(join(dir, emitted.name), emitted.bytes);
    } catch (error) {
      throw new CliError(`cannot write ${shown(emitted.name)}: ${fsErrorReason(error)}`);
    }
  }
  const written = files.map((f) => shown(f.name));
  const list =
    written.length <= 2
      ? written.join(" and ")
      : `${written.slice(0, -1).join(", ")} and ${written.at(-1)!}`;
  report(`wrote ${printable(list)} (${built.models.map((m) => m.model.name).join(", ")})\n`);
  return 0;
}
