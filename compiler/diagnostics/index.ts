export type { Position, Span } from "./span.js";
export { joinSpans, fileStartSpan } from "./span.js";
export type { Diagnostic, RelatedInfo, Severity } from "./diagnostic.js";
export {
  diagnostic,
  diagnosticAt,
  hasErrors,
  compareDiagnostics,
  normalizeDiagnostics,
  severityOf,
} from "./diagnostic.js";
export type { DiagnosticCode, DiagnosticData, MessageArgs } from "./messages.js";
export { diagnosticMessages, formatMessage } from "./messages.js";
export { closestName, didYouMean, editDistance } from "./suggest.js";
export { renderDiagnostic, renderDiagnostics } from "./render.js";
export { printable } from "./printable.js";
