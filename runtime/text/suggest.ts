/**
 * Likely-misspelling suggestions, shared by the compiler's diagnostics and the runtime's data
 * and checkpoint errors. It lives in the runtime because the runtime imports nothing from the
 * compiler (the compiler may import the runtime).
 */

/** Edit distance (Levenshtein, with adjacent transpositions counted as one edit). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = Array.from({ length: rows * cols }, () => 0);
  const at = (i: number, j: number): number => d[i * cols + j] ?? 0;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, at(i - 2, j - 2) + 1);
      }
      d[i * cols + j] = best;
    }
  }
  return at(a.length, b.length);
}

/**
 * The candidate closest to `name`, if it is close enough to be a likely misspelling:
 * at most a third of the name's length in edits (at least 1), or a case-only difference.
 */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(1, Math.floor(name.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    if (candidate === name) continue;
    // A shortened or extended name (`out` for `output`) counts as one edit.
    const prefix =
      Math.min(name.length, candidate.length) >= 3 &&
      (candidate.startsWith(name) || name.startsWith(candidate));
    const distance =
      candidate.toLowerCase() === name.toLowerCase()
        ? 0.5
        : prefix
          ? 1
          : editDistance(name, candidate);
    if (
      distance < bestDistance ||
      (distance === bestDistance && best !== undefined && candidate < best)
    ) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/** `"; did you mean `relu`?"` or `""`: the tail that messages with a `suggestion` argument take. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const match = closestName(name, candidates);
  return match === undefined ? "" : `; did you mean \`${match}\`?`;
}
