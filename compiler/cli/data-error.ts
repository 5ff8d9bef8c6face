import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { printable } from "../diagnostics/printable.js";
import { renderDiagnostic } from "../diagnostics/render.js";
import type { Span } from "../diagnostics/span.js";
import { type CliIo, useColor } from "./io.js";
import type { Runtime } from "./load-module.js";

/**
 * Prints a data error (a CSV or IDX source that does not fit the model) as `nnc train` and
 * `nnc evaluate` do: with a code frame at the `data` section when the source came from the
 * `.nn` file (`span`), else as one `nnc: error[CODE]` line.
 */
export function reportDataError(
  io: CliIo,
  error: InstanceType<Runtime["DataError"]>,
  span: Span | null,
  text: string,
): void {
  if (span) {
    const d: Diagnostic = {
      code: error.code,
      severity: "error",
      message: error.message,
      span,
      related: [],
    };
    io.stderr(`${renderDiagnostic(d, text, { color: useColor(io) })}\n`);
  } else {
    io.stderr(`nnc: error[${error.code}]: ${printable(error.message)}\n`);
  }
}
