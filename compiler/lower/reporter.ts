import { type Diagnostic, type RelatedInfo, diagnostic } from "../diagnostics/diagnostic.js";
import type { DiagnosticCode, MessageArgs } from "../diagnostics/messages.js";
import type { Span } from "../diagnostics/span.js";

/**
 * Collects the diagnostics of one lowering run. While a block or fn body is being expanded,
 * `within` records where it was used, so an error inside the body also names its use site.
 */
export class Reporter {
  readonly diagnostics: Diagnostic[] = [];
  private readonly useSites: RelatedInfo[] = [];

  report<C extends DiagnosticCode>(code: C, span: Span, args: MessageArgs<C>): void {
    // Innermost use site first: the note right under the error is the nearest cause.
    this.diagnostics.push(diagnostic(code, span, args, [...this.useSites].reverse()));
  }

  within<T>(useSite: RelatedInfo, body: () => T): T {
    this.useSites.push(useSite);
    try {
      return body();
    } finally {
      this.useSites.pop();
    }
  }

  get errorCount(): number {
    return this.diagnostics.filter((d) => d.severity === "error").length;
  }
}
