import type { Diagnostic } from "../diagnostics/diagnostic.js";
import { parse } from "../syntax/index.js";
import { tokenizeWithTrivia } from "../syntax/lexer.js";
import { LBrace } from "../syntax/tokens.js";
import { type PlacedLine, layoutLines, maxWidth } from "./layout.js";
import { type Line, type LineInfo, analyzeLines, splitLines } from "./lines.js";

export { unifiedDiff } from "./diff.js";

/**
 * `nnc fmt`'s stage: the canonical layout of a `.nn` file (the rules are in docs/language.md,
 * "Layout").
 *
 * Assumes nothing of `text`. Guarantees: a file with syntax errors is not formatted (its
 * diagnostics are returned); otherwise the result holds the same tokens and comments in the
 * same order, depends only on the tokens and on where lines break (not on spaces or
 * indentation), and formatting it again gives it back unchanged. Never throws on user input.
 */
export type FormatResult =
  | { readonly kind: "formatted"; readonly text: string }
  | { readonly kind: "errors"; readonly diagnostics: readonly Diagnostic[] };

export function formatSource(text: string, file: string): FormatResult {
  const errors = parse(text, file).diagnostics.filter((d) => d.severity === "error");
  if (errors.length > 0) return { kind: "errors", diagnostics: errors };
  const lines = splitLines(tokenizeWithTrivia(text.replace(/^\uFEFF/, "")));
  const infos = analyzeLines(lines);
  const first = layoutLines(lines, infos);
  const broken = breakLongPipelines(lines, infos, first.placed);
  if (broken === lines) return { kind: "formatted", text: first.text };
  return { kind: "formatted", text: layoutLines(broken, analyzeLines(broken)).text };
}

/**
 * A pipeline statement written on one line and wider than `maxWidth` is broken before `->`,
 * each line taking as many stages as fit. A statement already on several lines keeps its
 * breaks, so formatting again breaks nothing more. Returns `lines` itself when nothing breaks.
 */
function breakLongPipelines(
  lines: readonly Line[],
  infos: readonly LineInfo[],
  placed: readonly PlacedLine[],
): readonly Line[] {
  let changed = false;
  const out: Line[] = [];
  lines.forEach((line, i) => {
    const info = infos[i]!;
    const { indent, text, cols } = placed[i]!;
    const arrows = info.topArrows;
    const top = info.open.at(-1);
    const inStatements = top === undefined || top.type === LBrace;
    if (
      !info.singleLine ||
      !inStatements ||
      arrows.length < 2 ||
      indent + text.length <= maxWidth
    ) {
      out.push(line);
      return;
    }
    const arrowColumn = indent + cols[arrows[0]!]!;
    const cuts: number[] = [];
    let from = 0;
    let start = indent;
    const widthTo = (end: number | undefined): number =>
      start + (end === undefined ? text.length : cols[end]! - 1) - cols[from]!;
    for (let j = 1; j < arrows.length; j++) {
      if (widthTo(arrows[j + 1]) > maxWidth) {
        cuts.push(arrows[j]!);
        from = arrows[j]!;
        start = arrowColumn;
      }
    }
    if (cuts.length === 0) {
      out.push(line);
      return;
    }
    changed = true;
    const bounds = [0, ...cuts, line.items.length];
    for (let p = 0; p + 1 < bounds.length; p++) {
      const last = p + 2 === bounds.length;
      out.push({
        items: line.items.slice(bounds[p], bounds[p + 1]),
        comment: last ? line.comment : undefined,
        blankBefore: p === 0 ? line.blankBefore : 0,
      });
    }
  });
  return changed ? out : lines;
}
