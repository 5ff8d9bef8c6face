import { didYouMean } from "../../runtime/text/suggest.js";

export { closestName, didYouMean, editDistance } from "../../runtime/text/suggest.js";

/** "`a`", "`a` or `b`", "one of `a`, `b`, `c`": how messages list the allowed words. */
export function oneOf(words: readonly string[]): string {
  const quoted = words.map((w) => `\`${w}\``);
  if (quoted.length <= 1) return quoted[0] ?? "nothing";
  if (quoted.length === 2) return `${quoted[0]} or ${quoted[1]}`;
  return `one of ${quoted.join(", ")}`;
}

/**
 * "; did you mean `x`?" for a likely misspelling, else, when there are few candidates, the
 * list of them ("; the options are `a`, `b` and `c`"), else "".
 */
export function didYouMeanOrList(
  name: string,
  candidates: readonly string[],
  noun = "options",
): string {
  const close = didYouMean(name, candidates);
  if (close !== "" || candidates.length === 0 || candidates.length > 8) return close;
  const quoted = candidates.map((c) => `\`${c}\``);
  const list =
    quoted.length === 1 ? quoted[0]! : `${quoted.slice(0, -1).join(", ")} and ${quoted.at(-1)!}`;
  return `; the ${noun} are ${list}`;
}
