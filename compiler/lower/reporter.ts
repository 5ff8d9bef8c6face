import { type Diagnostic, type RelatedInfo, diagnostic } from "../diagnostics/diagnostic.js";
import type { DiagnosticCode, MessageArgs } from "../diagnostics/messages.js";
import type { Span } from "../diagnostics/span.js";

/**
 * Collects the diagnostics of one lowering run. While a block or fn body is being expanded,
 * `within` records where it was used, so an error inside the body also names its use site.
 */
export class Reporter {
  readonly diagnostics: Diagnostic[] = [];
  /** Stages copied by `repeat` so far in this run: bounded by `maxExpandedStages`. */
  stagesExpanded = 0;
  private readonly useSites: RelatedInfo[] = [];
  /** `useSites` reversed, made when first asked for after a change: `within` stays O(1). */
  private notes: readonly RelatedInfo[] | null = [];

  report<C extends DiagnosticCode>(code: C, span: Span, args: MessageArgs<C>): void {
    this.diagnostics.push(diagnostic(code, span, args, this.useSiteNotes()));
  }

  /** The use sites being expanded, innermost first: the note right under an error is its nearest cause. */
  useSiteNotes(): readonly RelatedInfo[] {
    this.notes ??= [...this.useSites].reverse();
    return this.notes;
  }

  within<T>(useSite: RelatedInfo, body: () => T): T {
    this.useSites.push(useSite);
    this.notes = null;
    try {
      return body();
    } finally {
      this.useSites.pop();
      this.notes = null;
    }
  }

  private readonly keys = new Set<string>();

  /** True the first time `key` is given: for problems that many paths lead to. */
  once(key: string): boolean {
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    return true;
  }

  get errorCount(): number {
    return this.diagnostics.filter((d) => d.severity === "error").length;
  }
}
