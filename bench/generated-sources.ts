/**
 * Generated `.nn` sources for measuring compile speed (bench/compile-speed.ts) and for the
 * bounded-work tests: files far larger than any real program, valid, deterministic.
 *
 * `manyFns(n)` is n `fn` declarations with bodies like the examples' (a few terms, calls,
 * named arguments, pipelines) and one model that uses one of them; about 50 bytes per fn.
 * `longPipeline(stages)` is one model whose forward is a pipeline of `stages` stages (dense
 * layers and activations alternating), which `build` compiles end to end.
 */

const fnBodies: readonly ((i: number) => string)[] = [
  (i) => `fn swish_${i}(x) = x * sigmoid(x)`,
  (i) => `fn mix_${i}(a, b, w = 0.5) = w * a + (1 - w) * b`,
  (i) => `fn row_norm_${i}(v) = v / sqrt(sum(v * v, axis: 1, keepdims: true))`,
  (i) => `fn gelu_${i}(x) = 0.5 * x * (1 + tanh(0.7978845608 * (x + 0.044715 * x^3)))`,
  (i) => `fn head_${i}(x) = x -> relu -> tanh`,
  (i) => `fn scaled_${i}(x, s = ${(i % 7) + 1}.5) = s * x - ${i % 3}`,
];

/** A one-input regression model whose forward section is `forward` (lines 5 onwards). */
export const modelUsing = (forward: string): string =>
  [
    "model M {",
    "  input x: [batch, 4]",
    "  target y: [batch, 1]",
    "  forward {",
    forward,
    "  }",
    "  loss mse",
    "  optimizer adam(lr: 0.01)",
    "}",
    "",
  ].join("\n");

/** `count` fn declarations, then a model that calls the first two. */
export function manyFns(count: number): string {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) lines.push(fnBodies[i % fnBodies.length]!(i));
  const uses = count >= 2 ? "x -> swish_0 -> dense(1)" : "x -> dense(1)";
  return `${lines.join("\n")}\n${modelUsing(`    ${uses}`)}`;
}

/** The number of fns `manyFns` needs for a file of at least `bytes` bytes. */
export function fnsForBytes(bytes: number): number {
  let count = 1000;
  while (manyFns(count).length < bytes) count = Math.ceil(count * 1.25);
  let low = 1;
  while (low < count) {
    const mid = Math.floor((low + count) / 2);
    if (manyFns(mid).length >= bytes) count = mid;
    else low = mid + 1;
  }
  return count;
}

/** A model whose forward is `stages` stages: `x -> dense(8) -> tanh -> dense(8) -> ...`. */
export function longPipeline(stages: number): string {
  const parts = ["x"];
  for (let i = 0; i < stages - 1; i++) parts.push(i % 2 === 0 ? "dense(8)" : "tanh");
  parts.push("dense(1)");
  const lines: string[] = [];
  for (let i = 0; i < parts.length; i += 8) lines.push(parts.slice(i, i + 8).join(" -> "));
  return modelUsing(`    ${lines.join("\n      -> ")}`);
}
