/**
 * The compiler's public API (`nnc/compiler`): the pipeline, its data types, and the printers
 * that editors and tools use. The command line is built on exactly this.
 */
export { type CheckResult, check } from "./pipeline.js";
export { parse } from "./syntax/index.js";
export { lower } from "./lower/index.js";
export { inferShapes } from "./shapes/index.js";
export { printIr, printModel } from "./ir/print.js";
export { type ModelSummary, type SummaryLine, formatSummary, summarize } from "./summary/index.js";
export type * from "./ir/types.js";
export type * from "./ir/settings.js";
export type {
  Diagnostic,
  RelatedInfo,
  Severity,
  Span,
  Position,
  DiagnosticCode,
} from "./diagnostics/index.js";
export { diagnosticMessages, renderDiagnostic, renderDiagnostics } from "./diagnostics/index.js";
