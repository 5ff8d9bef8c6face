import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { printable } from "../diagnostics/printable.js";
import { renderDiagnostics } from "../diagnostics/render.js";
import { didYouMean } from "../diagnostics/suggest.js";
import type { TypedModel } from "../ir/types.js";
import { check } from "../pipeline.js";
import { formatSummary, summarize } from "../summary/index.js";
import { CliError, type CliIo, readSource, readSourceOrReport, useColor } from "./io.js";

/** `nnc check FILE...`: every diagnostic of every file; 1 when any file has an error. */
export function checkCommand(io: CliIo, files: readonly string[]): number {
  let failed = false;
  for (const file of files) {
    const text = readSourceOrReport(io, file);
    if (text === null) {
      failed = true;
      continue;
    }
    const result = check(text, file);
    printDiagnostics(io, result.diagnostics, file, text);
    const errors = result.diagnostics.filter((d) => d.severity === "error").length;
    const warnings = result.diagnostics.length - errors;
    if (errors > 0) {
      failed = true;
      io.stderr(
        `${printable(file)}: ${plural(errors, "error")}${warnings > 0 ? `, ${plural(warnings, "warning")}` : ""}\n`,
      );
    } else {
      const models = result.typed?.models.map((m) => m.name) ?? [];
      const what =
        models.length === 0
          ? "no models"
          : `${models.length === 1 ? "model" : "models"} ${models.join(", ")}`;
      io.stdout(
        `${printable(file)}: ok (${what})${warnings > 0 ? `, ${plural(warnings, "warning")}` : ""}\n`,
      );
    }
  }
  return failed ? 1 : 0;
}

/** `nnc summary FILE [--model NAME]`: the Keras-style table of each model (or the one named). */
export function summaryCommand(io: CliIo, file: string, modelName: string | undefined): number {
  const models = checkedModels(io, file);
  if (!models) return 1;
  const chosen = selectModels(file, models, modelName);
  io.stdout(chosen.map((m) => formatSummary(summarize(m), file)).join("\n"));
  return 0;
}

/** The typed models of `file`, or null after printing its errors. */
export function checkedModels(io: CliIo, file: string): readonly TypedModel[] | null {
  const text = readSource(io, file);
  const result = check(text, file);
  printDiagnostics(io, result.diagnostics, file, text);
  if (!result.typed) {
    const errors = result.diagnostics.filter((d) => d.severity === "error").length;
    io.stderr(`${printable(file)}: ${plural(errors, "error")}\n`);
    return null;
  }
  return result.typed.models;
}

/** The model named by `--model`, or every model when none is named. */
export function selectModels(
  file: string,
  models: readonly TypedModel[],
  name: string | undefined,
): readonly TypedModel[] {
  if (name === undefined) {
    if (models.length === 0) throw new CliError(`${file} declares no model`);
    return models;
  }
  const model = models.find((m) => m.name === name);
  if (!model) {
    const names = models.map((m) => m.name);
    throw new CliError(
      `${file} has no model named ${name}${didYouMean(name, names)} (models: ${names.join(", ") || "none"})`,
    );
  }
  return [model];
}

export function printDiagnostics(
  io: CliIo,
  diagnostics: readonly Diagnostic[],
  file: string,
  text: string,
): void {
  if (diagnostics.length === 0) return;
  io.stderr(renderDiagnostics(diagnostics, new Map([[file, text]]), { color: useColor(io) }));
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}
