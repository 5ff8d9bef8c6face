import { invariant } from "../assert.js";
import type { Shape } from "../ir/types.js";
import { type IndexExpr, k } from "../kernel/index.js";
import { type Extent, extentOf } from "../passes/plan.js";
import { dimsEqual } from "../shapes/dims.js";

/**
 * Sizes as JavaScript expressions, and indices as kernel-IR integer expressions. Every dimension is a number or the batch
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

/** The product of dimensions as an integer expression of the batch size `n`: `n * 784`. */
export function countIndex(dims: Shape, batch: string): IndexExpr {
  const { factor, power } = extentOf(dims, batch);
  let count: IndexExpr = k.int(1);
  for (let p = 0; p < power; p++) count = k.imul(count, k.batch);
  return k.imul(count, k.int(factor));
}

/**
 * The index into an operand of shape `input` (broadcast NumPy-style into `domain`) of the
 * domain's flat row-major index `i`. Axes where the operand is broadcast contribute nothing;
 * each run of consecutive axes it does span contributes (i / inner) % run * stride (the
 * constructors drop a division or a stride of 1, and a remainder by 1 with its term).
 */
export function broadcastIndex(input: Shape, domain: Shape, batch: string): IndexExpr {
  const rank = domain.length;
  invariant(input.length <= rank, "an operand cannot have more axes than its kernel's domain");
  const padded: Shape = [...Array<number>(rank - input.length).fill(1), ...input];
  const count = (dims: Shape) => countIndex(dims, batch);
  // An axis is spanned where the operand's size equals the domain's (size 1 included), and
  // broadcast where the operand has 1 against a larger size.
  const used = domain.map((d, axis) => dimsEqual(padded[axis]!, d));
  if (!used.some(Boolean)) return k.int(0);
  if (used.every(Boolean)) return k.element;
  let index: IndexExpr = k.int(0);
  let axis = rank - 1;
  while (axis >= 0) {
    if (!used[axis]) {
      axis--;
      continue;
    }
    const last = axis;
    while (axis >= 0 && used[axis]) axis--;
    const first = axis + 1;
    let term = k.idiv(k.element, count(domain.slice(last + 1)));
    if (first > 0) term = k.imod(term, count(domain.slice(first, last + 1)));
    index = k.iadd(index, k.imul(term, count(padded.slice(last + 1))));
  }
  return index;
}
