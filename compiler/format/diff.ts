/**
 * A unified diff (`diff -u` style, three lines of context) of two texts, for `nnc fmt --check`.
 * Lines are compared exactly. The common head and tail are skipped first; a middle too large
 * for the quadratic longest-common-subsequence table is shown as one replacement, which is
 * still a correct diff, only a longer one.
 */

const context = 3;
const maxTable = 4_000_000;

type Edit = { readonly op: " " | "-" | "+"; readonly line: string };

export function unifiedDiff(
  before: string,
  after: string,
  oldName: string,
  newName: string,
): string {
  if (before === after) return "";
  const a = splitText(before);
  const b = splitText(after);
  const edits = diffLines(a, b);
  const hunks: string[] = [];
  let i = 0;
  while (i < edits.length) {
    if (edits[i]!.op === " ") {
      i++;
      continue;
    }
    const start = Math.max(0, i - context);
    let end = i;
    // Extend the hunk while the next change is within twice the context.
    for (;;) {
      while (end < edits.length && edits[end]!.op !== " ") end++;
      let next = end;
      while (next < edits.length && edits[next]!.op === " ") next++;
      if (next < edits.length && next - end <= 2 * context) end = next;
      else break;
    }
    const stop = Math.min(edits.length, end + context);
    const slice = edits.slice(start, stop);
    const oldStart = 1 + edits.slice(0, start).filter((e) => e.op !== "+").length;
    const newStart = 1 + edits.slice(0, start).filter((e) => e.op !== "-").length;
    const oldCount = slice.filter((e) => e.op !== "+").length;
    const newCount = slice.filter((e) => e.op !== "-").length;
    hunks.push(
      `@@ -${range(oldStart, oldCount)} +${range(newStart, newCount)} @@\n` +
        slice.map((e) => `${e.op}${e.line}\n`).join(""),
    );
    i = stop;
  }
  return `--- ${oldName}\n+++ ${newName}\n${hunks.join("")}`;
}

function range(start: number, count: number): string {
  // As diff writes it: an empty range names the line before it.
  return count === 1 ? `${start}` : `${count === 0 ? start - 1 : start},${count}`;
}

function splitText(text: string): string[] {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

function diffLines(a: readonly string[], b: readonly string[]): Edit[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (
    tail < a.length - head &&
    tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  )
    tail++;
  const midA = a.slice(head, a.length - tail);
  const midB = b.slice(head, b.length - tail);
  const same = (line: string): Edit => ({ op: " ", line });
  return [
    ...a.slice(0, head).map(same),
    ...middle(midA, midB),
    ...a.slice(a.length - tail).map(same),
  ];
}

function middle(a: readonly string[], b: readonly string[]): Edit[] {
  const n = a.length;
  const m = b.length;
  if ((n + 1) * (m + 1) > maxTable) {
    return [
      ...a.map((line): Edit => ({ op: "-", line })),
      ...b.map((line): Edit => ({ op: "+", line })),
    ];
  }
  // lcs[i * (m + 1) + j]: the longest common subsequence of a[i..] and b[j..].
  const lcs = new Uint32Array((n + 1) * (m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * (m + 1) + j] =
        a[i] === b[j]
          ? lcs[(i + 1) * (m + 1) + j + 1]! + 1
          : Math.max(lcs[(i + 1) * (m + 1) + j]!, lcs[i * (m + 1) + j + 1]!);
    }
  }
  const edits: Edit[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      edits.push({ op: " ", line: a[i]! });
      i++;
      j++;
    } else if (i < n && (j === m || lcs[(i + 1) * (m + 1) + j]! >= lcs[i * (m + 1) + j + 1]!)) {
      edits.push({ op: "-", line: a[i]! });
      i++;
    } else {
      edits.push({ op: "+", line: b[j]! });
      j++;
    }
  }
  return edits;
}
