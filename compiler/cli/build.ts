import { basename, dirname, join, resolve } from "node:path";
import { printable } from "../diagnostics/printable.js";
import { didYouMean } from "../diagnostics/suggest.js";
import type { ModelFunctions } from "../emit/index.js";
import type { FusedKernel } from "../passes/fuse.js";
import { printIr, printFunction } from "../ir/print.js";
import { build, generate } from "../pipeline.js";
import { writeFileAtomic, fsErrorReason, isFile } from "../../runtime/io/fs.js";
import { type EmitKind, emitExtensions, emitFiles, emitKinds } from "./emit-files.js";
import { checkOutputPaths } from "./output-paths.js";
import { CliError, type CliIo, readSource } from "./io.js";
import { printDiagnostics } from "./commands.js";

/** A file built without errors: its text and its models' compiled functions. */
export interface BuiltFile {
  readonly text: string;
  readonly models: readonly ModelFunctions[];
}

/** Builds `file`, printing its diagnostics; null when it has errors. */
export function buildFile(io: CliIo, file: string): BuiltFile | null {
  const text = readSource(io, file);
  const result = build(text, file);
  printDiagnostics(io, result.diagnostics, file, text);
  if (!result.models) {
    const errors = result.diagnostics.filter((d) => d.severity === "error").length;
    io.stderr(`${printable(file)}: ${errors} error${errors === 1 ? "" : "s"}\n`);
    return null;
  }
  return { text, models: result.models };
}

/** The model `name`, or the file's only model that `fits`; a clear error otherwise. */
export function chooseModel(
  file: string,
  models: readonly ModelFunctions[],
  name: string | undefined,
  fits: (m: ModelFunctions) => boolean = () => true,
): ModelFunctions {
  const names = models.map((m) => m.model.name);
  if (name !== undefined) {
    const found = models.find((m) => m.model.name === name);
    if (!found)
      throw new CliError(
        `${file} has no model named ${name}${didYouMean(name, names)} (models: ${names.join(", ") || "none"})`,
      );
    return found;
  }
  const candidates = models.filter(fits);
  if (candidates.length === 1) return candidates[0]!;
  if (models.length === 0) throw new CliError(`${file} declares no model`);
  if (candidates.length === 0)
    throw new CliError(`no model of ${file} can do this (models: ${names.join(", ")})`);
  throw new CliError(
    `${file} has several models (${candidates.map((m) => m.model.name).join(", ")}); choose one with --model NAME`,
  );
}

const dumps = ["ir", "grad", "fused"] as const;
export type Dump = (typeof dumps)[number];

export function parseDumps(value: string | undefined): Dump[] {
  if (value === undefined) return [];
  const parts = value
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
  for (const part of parts) {
    if (!(dumps as readonly string[]).includes(part)) {
      throw new CliError(
        `--dump takes ${dumps.join(", ")} (comma separated), not '${part}'${didYouMean(part, dumps)}`,
      );
    }
  }
  return parts as Dump[];
}

/** What `nnc build` writes: a module (emit-files.ts) or a PyTorch project (build-pytorch.ts). */
export type BuildEmit = EmitKind | "pytorch";
const buildEmits: readonly BuildEmit[] = [...emitKinds, "pytorch"];

/** `--emit ts|js|bundle|pytorch` (ts when not given). */
export function parseEmit(value: string | undefined): BuildEmit {
  if (value === undefined) return "ts";
  if ((buildEmits as readonly string[]).includes(value)) return value as BuildEmit;
  throw new CliError(
    `--emit takes ${buildEmits.join(", ")}, not '${value}'${didYouMean(value, buildEmits)}`,
  );
}

/**
 * `nnc build FILE [-o DIR] [--emit ts|js|bundle|pytorch] [--dump ir,grad,fused]`: writes every
 * model of the file to DIR (next to the file by default) as <file>.ts, or <file>.js +
 * <file>.d.ts (see emit-files.ts), each written to a temporary file and renamed, and says what
 * it wrote. With `--emit pytorch`, DIR is the project folder itself (FILE_pytorch/ beside the
 * file by default) and gets model.py and train.py (build-pytorch.ts).
 * `--dump` prints the IR stages to stdout and writes nothing, unless `-o DIR` is given too:
 * then it writes there as well and says so on stderr.
 */
export async function buildCommand(
  io: CliIo,
  file: string,
  outDir: string | undefined,
  dump: Dump[],
  emitKind: BuildEmit = "ts",
): Promise<number> {
  const built = buildFile(io, file);
  if (!built) return 1;
  for (const kind of dump) io.stdout(dumpText(built.models, kind));
  // A dump is for reading: it writes the module only where -o asks, and says so on stderr.
  if (dump.length > 0 && outDir === undefined) return 0;
  // With a dump, stdout holds the dump alone.
  const report = (line: string) => (dump.length === 0 ? io.stdout(line) : io.stderr(line));
  if (emitKind === "pytorch") {
    const { writePytorchProject } = await import("./build-pytorch.js");
    return writePytorchProject(io, file, built, outDir, report);
  }
  const name = basename(file).replace(/\.nn$/, "");
  const dir = resolve(io.cwd, outDir ?? dirname(file));
  const shown = (extension: string) => join(outDir ?? dirname(file), `${name}${extension}`);
  const extensions = emitExtensions(emitKind);
  if (isFile(dir)) {
    throw new CliError(
      `-o ${outDir ?? dir} is a file; -o names the directory to write ${name}${extensions[0]!} in`,
    );
  }
  // Every output checked (folders made) before any is generated or written.
  checkOutputPaths(
    io.cwd,
    extensions.map((extension) => ({
      flag: outDir === undefined ? "build" : "-o",
      path: shown(extension),
    })),
    [{ what: "the source", path: file }],
  );
  const files = await emitFiles(await generate(built.models, file), name, emitKind);
  for (const emitted of files) {
    try {
      writeFileAtomic(
        join(dir, `${name}${emitted.extension}`),
        new TextEncoder().encode(emitted.text),
      );
    } catch (error) {
      throw new CliError(`cannot write ${shown(emitted.extension)}: ${fsErrorReason(error)}`);
    }
  }
  const written = files.map((f) => shown(f.extension)).join(" and ");
  report(`wrote ${printable(written)} (${built.models.map((m) => m.model.name).join(", ")})\n`);
  return 0;
}

function dumpText(models: readonly ModelFunctions[], kind: Dump): string {
  const parts: string[] = [];
  for (const m of models) {
    switch (kind) {
      case "ir":
        parts.push(printIr({ file: "", models: [m.model] }));
        break;
      case "grad":
        if (m.train) parts.push(printFunction(m.train.fn));
        break;
      case "fused":
        for (const fn of [m.train, m.evaluate, m.predict]) {
          if (!fn) continue;
          parts.push(`${fn.fn.kind} ${m.model.name}`);
          for (const step of fn.schedule.steps) {
            const kernel = (k: FusedKernel) =>
              `kernel ${fn.fn.kind}_${k.name} [${k.domain.join(", ")}]: ${k.eqns.map((e) => e.out).join(" ")} -> ${k.outputs.join(" ")}`;
            if (step.kind === "kernel") {
              parts.push(`  ${kernel(step.kernel)}`);
            } else if (step.kind === "gemm-epilogue") {
              parts.push(`  ${step.eqn.op} -> ${step.eqn.out}, then ${kernel(step.kernel)}`);
            } else {
              parts.push(`  ${step.eqn.op} -> ${step.eqn.out}`);
            }
          }
          parts.push("");
        }
        break;
    }
  }
  return `${parts.join("\n")}\n`;
}
