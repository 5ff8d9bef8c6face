import { Block, Colon, Comma, LBrace, Model } from "../syntax/tokens.js";
import {
  type Item,
  type Line,
  type LineInfo,
  isCloser,
  isComment,
  isNameLike,
  isOpener,
  sectionKeywords,
} from "./lines.js";
import { render } from "./spacing.js";

/**
 * Places the lines of a file: indentation, alignment, blank lines and trailing comments, as
 * docs/language.md ("Layout") states the rules. Input: the lines and their analysis; output:
 * each line's text, and the lines that break the width limit and could be broken.
 */

/** Lines longer than this are broken before `->` when they hold a one-line pipeline. */
export const maxWidth = 100;

export interface PlacedLine {
  readonly indent: number;
  /** The code as rendered (with alignment padding), without indentation or line comment. */
  readonly text: string;
  /** Column of each item within `text`. */
  readonly cols: readonly number[];
}

export interface LayoutResult {
  readonly text: string;
  readonly placed: readonly PlacedLine[];
}

interface Frame {
  readonly lineIndent: number;
  /** Where a statement (for `{`) or any line (for `(`, `[`) inside the bracket starts. */
  readonly content: number;
  statementIndent: number;
  /** Column of the first `->` of the current statement, where `->` lines align. */
  arrowColumn: number | undefined;
}

export function layoutLines(lines: readonly Line[], infos: readonly LineInfo[]): LayoutResult {
  const pads = alignmentPads(lines, infos);
  const rendered = lines.map((line, i) => render(line.items, pads[i]));
  const indents = indentLines(lines, infos, rendered);
  const placed = lines.map((_, i) => ({ indent: indents[i]!, ...rendered[i]! }));
  return { text: assemble(lines, infos, placed), placed };
}

/** The innermost open bracket of a line, if it is a model's `{`. */
function inModelBody(info: LineInfo): boolean {
  return info.open.at(-1)?.modelBody === true;
}

/**
 * Extra spaces before items, per line. In runs of consecutive one-line statements, the values
 * line up: of sections of one kind (`input`/`target`; `loss`, `optimizer`, `metrics`,
 * `train`, `data`: as after `optimizer`) and of an object's entries (`key: ...`, one a line).
 * The stages of a pipeline over several lines line up when each line holds as many.
 */
function alignmentPads(lines: readonly Line[], infos: readonly LineInfo[]): Map<number, number>[] {
  const pads = lines.map(() => new Map<number, number>());
  alignRuns(
    lines,
    infos,
    (line, info) => {
      const keyword = line.items[0]!;
      if (!info.singleLine || !inModelBody(info) || line.items.length < 2) return undefined;
      const kind = sectionKeywords.get(keyword.type);
      if (kind === undefined) return undefined;
      // Settings line up as in the docs whether or not `optimizer` is among them.
      return { kind, width: kind === "settings" ? "optimizer".length : keyword.text.length };
    },
    (i, width) => pads[i]!.set(1, width - lines[i]!.items[0]!.text.length),
  );
  alignRuns(
    lines,
    infos,
    (line, info) => {
      const top = info.open.at(-1);
      const [key, colon] = line.items;
      if (!info.singleLine || top?.type !== LBrace || top.modelBody) return undefined;
      if (key === undefined || colon?.type !== Colon || !isNameLike(key.type)) return undefined;
      if (line.items.length < 3 || hasTopComma(line.items)) return undefined;
      return { kind: `entry${info.open.length}`, width: key.text.length };
    },
    (i, width) => pads[i]!.set(2, width - lines[i]!.items[0]!.text.length),
  );
  alignPipelines(lines, infos, pads);
  return pads;
}

/** A `,` outside the brackets the items open: the line holds more than one entry. */
function hasTopComma(items: readonly Item[]): boolean {
  let depth = 0;
  for (const item of items) {
    if (isOpener(item.type)) depth++;
    else if (isCloser(item.type)) depth--;
    else if (item.type === Comma && depth === 0) return true;
  }
  return false;
}

/**
 * Consecutive lines (no blank or other line between) of one kind: `pad` is called for each
 * line of a run of two or more with the widest `width` of the run.
 */
function alignRuns(
  lines: readonly Line[],
  infos: readonly LineInfo[],
  classify: (line: Line, info: LineInfo) => { kind: string; width: number } | undefined,
  pad: (index: number, width: number) => void,
): void {
  let run: number[] = [];
  let runKind: string | undefined;
  let widest = 0;
  const flush = (): void => {
    if (run.length > 1) for (const i of run) pad(i, widest);
    run = [];
    runKind = undefined;
    widest = 0;
  };
  lines.forEach((line, i) => {
    const info = infos[i]!;
    const found = info.commentOnly ? undefined : classify(line, info);
    if (found === undefined || found.kind !== runKind || line.blankBefore > 0) flush();
    if (found === undefined) return;
    run.push(i);
    runKind = found.kind;
    widest = Math.max(widest, found.width);
  });
  flush();
}

/**
 * A pipeline written on several lines, each after the first starting with `->` and each
 * holding as many stages: the stages form columns, padded so that the arrows line up.
 */
function alignPipelines(
  lines: readonly Line[],
  infos: readonly LineInfo[],
  pads: Map<number, number>[],
): void {
  for (let s = 0; s < lines.length; s++) {
    const head = infos[s]!;
    if (head.commentOnly || head.role !== "statement" || !head.balanced) continue;
    const group = head.topArrows.length > 0 ? [s] : [];
    let j = s + 1;
    for (; j < lines.length; j++) {
      const info = infos[j]!;
      if (info.commentOnly) continue;
      if (info.role !== "arrow" || !info.balanced) break;
      group.push(j);
    }
    if (group.length < 2) continue;
    const stages = group.map((i) => infos[i]!.topArrows.length);
    if (stages.some((n) => n !== stages[0])) continue;
    const cells = group.map((i) => {
      const { cols } = render(lines[i]!.items);
      const arrows = infos[i]!.topArrows;
      return arrows.slice(1).map((a, k) => cols[a]! - cols[arrows[k]!]!);
    });
    const widths: number[] = [];
    for (const distances of cells) {
      distances.forEach((d, k) => (widths[k] = Math.max(widths[k] ?? 0, d)));
    }
    group.forEach((i, g) => {
      const arrows = infos[i]!.topArrows;
      cells[g]!.forEach((d, k) => {
        const extra = widths[k]! - d;
        if (extra > 0) pads[i]!.set(arrows[k + 1]!, extra);
      });
    });
  }
}

function indentLines(
  lines: readonly Line[],
  infos: readonly LineInfo[],
  rendered: readonly { readonly cols: readonly number[] }[],
): number[] {
  const topLevel: Frame = { lineIndent: 0, content: 0, statementIndent: 0, arrowColumn: undefined };
  const frames: Frame[] = [topLevel];
  const indents: number[] = lines.map(() => 0);
  /** For each code line, where a new line inside its innermost bracket would start. */
  const contentAt: number[] = lines.map(() => 0);
  lines.forEach((line, i) => {
    const info = infos[i]!;
    if (info.commentOnly) return;
    const frame = frames.at(-1)!;
    contentAt[i] = frame.content;
    let indent: number;
    switch (info.role) {
      case "closer":
        indent = frame.lineIndent;
        break;
      case "bracket":
        indent = frame.content;
        break;
      case "arrow":
        indent = frame.arrowColumn ?? frame.statementIndent + 2;
        break;
      case "operator":
        indent = frame.statementIndent + 2;
        break;
      case "statement":
        indent = frame.content;
        frame.statementIndent = indent;
        frame.arrowColumn = undefined;
        break;
    }
    indents[i] = indent;
    const cols = rendered[i]!.cols;
    const firstArrow = info.topArrows[0];
    if (info.role !== "bracket" && frame.arrowColumn === undefined && firstArrow !== undefined)
      frame.arrowColumn = indent + cols[firstArrow]!;
    const lastCode = findLastCode(line.items);
    line.items.forEach((item, k) => {
      if (isOpener(item.type)) {
        const col = indent + cols[k]!;
        const hanging = k === lastCode;
        const content = hanging ? indent + 2 : item.type === LBrace ? col + 2 : col + 1;
        frames.push({
          lineIndent: indent,
          content,
          statementIndent: content,
          arrowColumn: undefined,
        });
      } else if (isCloser(item.type) && frames.length > 1) {
        frames.pop();
      }
    });
  });
  // A comment line takes the place of the code line after it (inside what that line closes).
  let next: number | undefined;
  for (let i = lines.length - 1; i >= 0; i--) {
    const info = infos[i]!;
    if (!info.commentOnly) {
      next = i;
      continue;
    }
    indents[i] =
      next === undefined ? 0 : infos[next]!.role === "closer" ? contentAt[next]! : indents[next]!;
  }
  return indents;
}

function findLastCode(items: readonly Item[]): number {
  for (let k = items.length - 1; k >= 0; k--) if (!isComment(items[k]!.type)) return k;
  return -1;
}

/** Blank lines between lines (see `blankLines`), line comments aligned, one `\n` at the end. */
function assemble(
  lines: readonly Line[],
  infos: readonly LineInfo[],
  placed: readonly PlacedLine[],
): string {
  const blanks = blankLines(lines, infos);
  const codeWidth = placed.map((p, i) =>
    infos[i]!.commentOnly ? undefined : p.indent + p.text.length,
  );
  const commentColumn: (number | undefined)[] = lines.map(() => undefined);
  for (let i = 0; i < lines.length;) {
    let end = i;
    const trailing = (k: number): boolean =>
      codeWidth[k] !== undefined && lines[k]!.comment !== undefined;
    if (!trailing(i)) {
      i++;
      continue;
    }
    while (end + 1 < lines.length && trailing(end + 1) && blanks[end + 1] === 0) end++;
    let widest = 0;
    for (let k = i; k <= end; k++) widest = Math.max(widest, codeWidth[k]!);
    for (let k = i; k <= end; k++) commentColumn[k] = widest + 2;
    i = end + 1;
  }
  const out: string[] = [];
  lines.forEach((line, i) => {
    for (let b = 0; b < blanks[i]!; b++) out.push("");
    const { indent, text } = placed[i]!;
    let row = " ".repeat(indent) + text;
    if (line.comment !== undefined) {
      const at = commentColumn[i];
      row =
        at === undefined
          ? row + (text === "" ? "" : " ") + line.comment
          : row.padEnd(at) + line.comment;
    }
    out.push(row);
  });
  return out.length === 0 ? "" : `${out.join("\n")}\n`;
}

/**
 * At most one blank line anywhere; none after a line ending with an open bracket or before a
 * closing one; exactly one before and after a `model` or `block` declaration (with the comment
 * lines right above it).
 */
function blankLines(lines: readonly Line[], infos: readonly LineInfo[]): number[] {
  /** Whether the declaration starting at code line `i` is a `model` or `block` over lines. */
  const spacious = (i: number | undefined): boolean => {
    if (i === undefined) return false;
    const type = lines[i]!.items[0]?.type;
    return (type === Model || type === Block) && !infos[i]!.singleLine;
  };
  const nextCode = (i: number): number | undefined => {
    for (let k = i; k < lines.length; k++) if (!infos[k]!.commentOnly) return k;
    return undefined;
  };
  let previousDecl: number | undefined;
  return lines.map((line, i) => {
    const info = infos[i]!;
    const startsDecl = !info.commentOnly && info.open.length === 0 && info.role === "statement";
    if (i === 0) {
      if (startsDecl) previousDecl = i;
      return 0;
    }
    let blank = Math.min(line.blankBefore, 1);
    const before = lines[i - 1]!;
    const last = findLastCode(before.items);
    if (last >= 0 && isOpener(before.items[last]!.type)) blank = 0;
    if (!info.commentOnly && info.role === "closer") blank = 0;
    const topLevel = info.open.length === 0 && (info.commentOnly || info.role === "statement");
    const afterComment = infos[i - 1]!.commentOnly && infos[i - 1]!.open.length === 0;
    if (topLevel && !afterComment && (spacious(previousDecl) || spacious(nextCode(i)))) blank = 1;
    if (startsDecl) previousDecl = i;
    return blank;
  });
}
