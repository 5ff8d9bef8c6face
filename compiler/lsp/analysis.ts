import type { Span } from "../diagnostics/span.js";
import type { SummaryRow, TypedModel } from "../ir/types.js";
import { type CheckResult, check } from "../pipeline.js";
import { inferShapes } from "../shapes/index.js";
import { type ModelSummary, type SummaryLine, summarize } from "../summary/index.js";
import { LineIndex, sameSpan, spanContains, spanLength } from "./positions.js";
import { type Definition, type Reference, type SymbolIndex, indexSymbols } from "./symbols.js";

/**
 * What the language server knows about one document: the compiler's `check` of its text (the
 * same call `nnc check` makes, so diagnostics cannot differ), the names index, and the typed
 * models with their summaries, for hovers.
 *
 * Assumes: nothing of the text. Guarantees: `analyze` never throws; an exception from the
 * compiler (a broken invariant, never a user error) is returned in `failure` with whatever could
 * still be computed. Models are typed even when another model of the file has errors (each is
 * shape-checked on its own). Pure: reads no files (`check` reads none; data files are read by
 * `nnc train` only).
 */

export interface TypedModelInfo {
  readonly model: TypedModel;
  readonly summary: ModelSummary;
}

export interface Analysis {
  readonly file: string;
  readonly text: string;
  readonly lines: LineIndex;
  /** Null when the compiler threw. */
  readonly result: CheckResult | null;
  readonly symbols: SymbolIndex;
  readonly models: readonly TypedModelInfo[];
  /** What the compiler threw, if it did. */
  readonly failure: unknown;
}

const emptyIndex: SymbolIndex = { definitions: [], references: [] };

export function analyze(text: string, file: string): Analysis {
  const lines = new LineIndex(text);
  let result: CheckResult;
  try {
    result = check(text, file);
  } catch (failure) {
    return { file, text, lines, result: null, symbols: emptyIndex, models: [], failure };
  }
  let symbols = emptyIndex;
  let models: readonly TypedModelInfo[] = [];
  try {
    symbols = indexSymbols(result.ast);
    models = typedModels(result).map((model) => ({ model, summary: summarize(model) }));
  } catch (failure) {
    return { file, text, lines, result, symbols, models, failure };
  }
  return { file, text, lines, result, symbols, models, failure: null };
}

function typedModels(result: CheckResult): readonly TypedModel[] {
  if (result.typed) return result.typed.models;
  if (!result.ir) return [];
  const file = result.ir.file;
  return result.ir.models.flatMap((m) => inferShapes({ file, models: [m] }).typed?.models ?? []);
}

/** One analysis per document, recomputed only when its version or text changes. */
export class AnalysisCache {
  private readonly entries = new Map<string, { version: number; analysis: Analysis }>();

  get(uri: string, version: number, text: string, file: string): Analysis {
    const cached = this.entries.get(uri);
    if (cached && cached.version === version && cached.analysis.text === text)
      return cached.analysis;
    const analysis = analyze(text, file);
    this.entries.set(uri, { version, analysis });
    return analysis;
  }

  delete(uri: string): void {
    this.entries.delete(uri);
  }
}

/** The innermost of `items` whose span holds `offset`. */
function innermost<T extends { readonly span: Span }>(
  items: readonly T[],
  offset: number,
): T | null {
  let best: T | null = null;
  for (const item of items) {
    if (!spanContains(item.span, offset)) continue;
    if (best === null || spanLength(item.span) < spanLength(best.span)) best = item;
  }
  return best;
}

export function referenceAt(analysis: Analysis, offset: number): Reference | null {
  return innermost(analysis.symbols.references, offset);
}

export function definitionAt(analysis: Analysis, offset: number): Definition | null {
  return innermost(analysis.symbols.definitions, offset);
}

/** A row of a model's summary: the row, its line of the summary table, and its model. */
export interface RowInfo {
  readonly model: TypedModelInfo;
  readonly row: SummaryRow;
  readonly line: SummaryLine;
}

/**
 * The summary rows computed by the stage or expression at `span`: one per use, so a stage in a
 * block used twice has two (each layer with its own parameters).
 */
export function rowsAt(analysis: Analysis, span: Span): readonly RowInfo[] {
  const found: RowInfo[] = [];
  for (const info of analysis.models) {
    const inputs = info.model.inputs.length;
    for (const [i, row] of info.model.rows.entries()) {
      const line = info.summary.lines[inputs + i];
      if (line && sameSpan(row.span, span)) found.push({ model: info, row, line });
    }
  }
  return found;
}

/** The model named `name`, if it type-checked. */
export function typedModel(analysis: Analysis, name: string): TypedModelInfo | null {
  return analysis.models.find((m) => m.model.name === name) ?? null;
}

/**
 * The values a block use at `span` produces, one per model using it there: the value of its
 * last equation, as blocks have no summary row of their own. Approximate where the block's
 * last equations compute something other than its result.
 */
export function blockOutputsAt(
  analysis: Analysis,
  span: Span,
): readonly { model: TypedModelInfo; value: string }[] {
  const found: { model: TypedModelInfo; value: string }[] = [];
  for (const info of analysis.models) {
    // Batch norm's running statistics are computed after its output; they are not the result.
    const buffers = new Set(info.model.updates.map((u) => u.value));
    const eqns = info.model.eqns.filter(
      (e) => !buffers.has(e.out) && e.callSites.some((site) => sameSpan(site.span, span)),
    );
    const last = eqns.at(-1);
    if (last) found.push({ model: info, value: last.out });
  }
  return found;
}
