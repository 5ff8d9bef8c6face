/**
 * Comparisons for the WebGPU kernel tests: f32 results against the CPU backend's, within the
 * issue's tolerance |a - b| <= 1e-5 + 1e-3 |b|, NaN only where NaN.
 */

/** The first element of `got` out of tolerance of `want`, as text; null when all are close. */
export function closeTo(
  name: string,
  got: ArrayLike<number>,
  want: ArrayLike<number>,
): string | null {
  if (got.length !== want.length) return `${name}: length ${got.length} != ${want.length}`;
  for (let i = 0; i < want.length; i++) {
    const [a, b] = [got[i]!, want[i]!];
    if (a === b || (Number.isNaN(a) && Number.isNaN(b))) continue;
    if (!(Math.abs(a - b) <= 1e-5 + 1e-3 * Math.abs(b))) {
      return `${name}[${i}]: got ${a}, want ${b}`;
    }
  }
  return null;
}
