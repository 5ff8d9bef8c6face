/**
 * Byte-level mutation of seed files (examples/*.nn, test/cases/**\/*.nn): a few edits each
 * (delete, insert, duplicate or move a range of bytes, splice in part of another seed, insert a
 * token of the language, a control character or non-ASCII text), from a small deterministic
 * generator seeded by (seed, index).
 *
 * Guarantees: `mutant(seeds, seed, index)` is a pure function of its arguments.
 */

/** mulberry32: a tiny, well-mixed 32-bit generator; uniforms in [0, 1) (the tests use it too). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const tokens = [
  "->",
  "(",
  ")",
  "{",
  "}",
  "[",
  "]",
  ",",
  ":",
  "=",
  "\n",
  " ",
  "model",
  "fn",
  "block",
  "repeat",
  "as",
  "input",
  "target",
  "forward",
  "loss",
  "optimizer",
  "batch",
  "dense(",
  "relu",
  "softmax",
  "0",
  "-1",
  "1e309",
  "99999999999",
  "0.5",
  "1e-400",
  "NaN",
  '"',
  "//",
  "/*",
  "*/",
  "^",
  "!",
  "__proto__",
  "constructor",
  "Math",
  "i32",
  "f32",
  "output",
  "weights",
  "x",
  "y",
  "repeat 9999 {",
  "((((((((((",
  "))))))))))",
  "\u0000",
  "\u001b[31m",
  "\u0007",
  "\r",
  "\t",
  "\u202e",
  "\u2028",
  "é",
  "→",
  "😀",
  "\uFEFF",
  "\uD800",
];

/** The mutant number `index` of the run with `seed`. */
export function mutant(seeds: readonly string[], seed: number, index: number): string {
  const random = mulberry32((seed * 0x9e3779b1) ^ (index * 0x85ebca6b) ^ 0x5bd1e995);
  const pick = (n: number): number => Math.floor(random() * n);
  let text = seeds[pick(seeds.length)]!;
  const edits = 1 + pick(4);
  for (let k = 0; k < edits; k++) {
    const at = pick(text.length + 1);
    const length = 1 + pick(Math.min(40, Math.max(1, text.length - at)));
    switch (pick(7)) {
      case 0:
        text = text.slice(0, at) + text.slice(at + length);
        break;
      case 1:
        text = text.slice(0, at) + String.fromCharCode(pick(0x80)) + text.slice(at);
        break;
      case 2:
        text =
          text.slice(0, at) +
          text.slice(at, at + length).repeat(1 + pick(3)) +
          text.slice(at + length);
        break;
      case 3: {
        const other = seeds[pick(seeds.length)]!;
        const from = pick(other.length + 1);
        text =
          text.slice(0, at) + other.slice(from, from + 1 + pick(200)) + text.slice(at + length);
        break;
      }
      case 4:
      case 5:
        text = text.slice(0, at) + tokens[pick(tokens.length)]! + text.slice(at);
        break;
      default: {
        const to = pick(text.length + 1);
        const piece = text.slice(at, at + length);
        const rest = text.slice(0, at) + text.slice(at + length);
        text = rest.slice(0, to) + piece + rest.slice(to);
      }
    }
  }
  return text;
}
