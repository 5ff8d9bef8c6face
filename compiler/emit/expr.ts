import { invariant } from "../assert.js";
import type { Shape } from "../ir/types.js";
import { type Extent, extentOf } from "../passes/plan.js";
import { dimsEqual } from "../shapes/dims.js";

/**
 * Sizes and indices as JavaScript expressions. Every dimension is a number or the batch
 * dimension, which generated code calls `n`.
 */

/** The product of dimensions, folded: `n * 784`, `10`, `1`. */
export function productExpr(dims: Shape, batch: string): string {
  return extentExpr(extentOf(dims, batch));
}

/** `factor * n^power` as generated code writes it: `n * 784`, `n * n`, `10`. */
export function extentExpr({ factor, power }: Extent): string {
  const symbols = Array<string>(power).fill("n");
  if (symbols.length === 0) return String(factor);
  return factor === 1 ? symbols.join(" * ") : `${symbols.join(" * ")} * ${factor}`;
}

/** A number as a JavaScript literal that reads back exactly. */
export function numberLiteral(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "Infinity";
  if (value === -Infinity) return "-Infinity";
  if (Object.is(value, -0)) return "-0";
  return String(value);
}

/**
 * The index into an operand of shape `input` (broadcast NumPy-style into `domain`) of the
 * domain's flat row-major index `i`. Axes where the operand is broadcast contribute nothing;
 * each run of consecutive axes it does span contributes (i / inner) % run * stride.
 */
export function broadcastIndex(input: Shape, domain: Shape, batch: string): string {
  const rank = domain.length;
  invariant(input.length <= rank, "an operand cannot have more axes than its kernel's domain");
  const padded: Shape = [...Array<number>(rank - input.length).fill(1), ...input];
  // An axis is spanned where the operand's size equals the domain's (size 1 included), and
  // broadcast where the operand has 1 against a larger size.
  const used = domain.map((d, k) => dimsEqual(padded[k]!, d));
  if (!used.some(Boolean)) return "0";
  if (used.every(Boolean)) return "i";
  const terms: string[] = [];
  let k = rank - 1;
  while (k >= 0) {
    if (!used[k]) {
      k--;
      continue;
    }
    const last = k;
    while (k >= 0 && used[k]) k--;
    const first = k + 1;
    const inner = productExpr(domain.slice(last + 1), batch);
    const run = productExpr(domain.slice(first, last + 1), batch);
    const stride = productExpr(padded.slice(last + 1), batch);
    let term = inner === "1" ? "i" : `((i / ${wrap(inner)}) | 0)`;
    if (first > 0) term = `${term} % ${wrap(run)}`;
    if (stride !== "1") term = `(${term}) * ${wrap(stride)}`;
    terms.push(term);
  }
  return terms.join(" + ");
}

function wrap(expr: string): string {
  return /^[\w.]+$/.test(expr) ? expr : `(${expr})`;
}
