/**
 * Minimising failing inputs: delta debugging (ddmin) of a text by lines, then by characters,
 * for mutated inputs; fast-check's own shrinking for generated ones (the same seed replays the
 * same program, then shrinks its structure).
 *
 * Guarantees: the result still fails with the same class (`stillFails` says so), and is never
 * longer than the input; at most `budget` candidates are tried per pass.
 */
import fc from "fast-check";
import { programArbitrary } from "./generate.js";

export type StillFails = (text: string) => Promise<boolean>;

/** ddmin over `units` joined by `separator`: removes chunks while the failure stays. */
async function ddmin(
  units: readonly string[],
  join: (units: readonly string[]) => string,
  stillFails: StillFails,
  budget: number,
): Promise<string[]> {
  let current = [...units];
  let chunks = 2;
  let tries = 0;
  while (current.length >= 2 && tries < budget) {
    const size = Math.ceil(current.length / chunks);
    let reduced = false;
    for (let start = 0; start < current.length && tries < budget; start += size) {
      const candidate = [...current.slice(0, start), ...current.slice(start + size)];
      tries += 1;
      if (await stillFails(join(candidate))) {
        current = candidate;
        chunks = Math.max(chunks - 1, 2);
        reduced = true;
        break;
      }
    }
    if (!reduced) {
      if (chunks >= current.length) break;
      chunks = Math.min(chunks * 2, current.length);
    }
  }
  return current;
}

/** The smallest text found that still fails: lines first, then characters. */
export async function minimizeText(
  text: string,
  stillFails: StillFails,
  budget = 400,
): Promise<string> {
  const lines = await ddmin(text.split("\n"), (u) => u.join("\n"), stillFails, budget);
  const chars = await ddmin([...lines.join("\n")], (u) => u.join(""), stillFails, budget);
  return chars.join("");
}

/** The generated program of `seed` (run 1 of fast-check with that seed). */
export function generatedProgram(seed: number): string {
  let captured = "";
  fc.check(
    fc.property(programArbitrary, (text) => {
      captured = text;
    }),
    { seed, numRuns: 1 },
  );
  return captured;
}

/** The generated program of `seed`, shrunk by fast-check while it still fails. */
export async function shrinkGenerated(seed: number, stillFails: StillFails): Promise<string> {
  const result = await fc.check(
    fc.asyncProperty(programArbitrary, async (text) => !(await stillFails(text))),
    { seed, numRuns: 1, interruptAfterTimeLimit: 10 * 60_000 },
  );
  return result.counterexample?.[0] ?? generatedProgram(seed);
}
