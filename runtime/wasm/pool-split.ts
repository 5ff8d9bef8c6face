/**
 * How the pool splits [0, total) over threads: a pure function of (total, grain, threads, align),
 * so that a thread count always gives the same ranges (and a kernel whose outputs each depend
 * only on their own index gives the same bits for every thread count). Browser-safe.
 *
 * parts = clamp(floor(total / grain), 1, threads). With units = ceil(total / align), part p of P
 * starts at min(total, align * floor(p * units / P)): parts differ by at most one unit, the
 * earlier ones being the smaller, and every boundary but `total` is a multiple of `align`.
 */

/** Parts [0, total) is split into: one per `grain` of work, at most `threads`, at least 1. */
export function partCount(total: number, grain: number, threads: number): number {
  const byWork = Math.floor(total / Math.max(1, grain));
  return Math.max(1, Math.min(threads, byWork));
}

/** Where part `part` of `parts` starts (part === parts gives total). */
export function partStart(part: number, parts: number, total: number, align: number): number {
  const units = Math.ceil(total / align);
  return Math.min(total, align * Math.floor((part * units) / parts));
}

/**
 * The boundaries of the split: parts + 1 numbers from 0 to total, part p being
 * [result[p], result[p + 1]). The caller thread runs part 0, worker w part w + 1.
 */
export function splitRange(total: number, grain: number, threads: number, align = 1): number[] {
  if (total <= 0) return [0, 0];
  const parts = partCount(total, grain, threads);
  const bounds: number[] = [];
  for (let p = 0; p <= parts; p++) bounds.push(partStart(p, parts, total, align));
  return bounds;
}
