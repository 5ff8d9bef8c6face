import type { Dim, Shape, TensorType } from "../ir/types.js";

/** `[batch, 784]`; i32 tensors print as `i32[batch]`. */
export function formatShape(shape: Shape): string {
  return `[${shape.join(", ")}]`;
}

export function formatType(type: TensorType): string {
  return type.dtype === "f32" ? formatShape(type.shape) : `${type.dtype}${formatShape(type.shape)}`;
}

export function dimsEqual(a: Dim, b: Dim): boolean {
  return a === b;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => dimsEqual(d, b[i] as Dim));
}

/**
 * NumPy broadcasting: shapes aligned from the right; a dimension of 1 stretches to the other.
 * Symbolic dimensions only match themselves (or 1). Returns null when the shapes do not broadcast.
 */
export function broadcastShapes(a: Shape, b: Shape): Shape | null {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (dimsEqual(da, db) || db === 1) out.push(da);
    else if (da === 1) out.push(db);
    else return null;
  }
  return out;
}

/** `axis` (negative counts from the end) as an index into a shape of `rank`, or null if out of range. */
export function normalizeAxis(axis: number, rank: number): number | null {
  const index = axis < 0 ? rank + axis : axis;
  return Number.isInteger(index) && index >= 0 && index < rank ? index : null;
}

/** The first symbolic dimension of a shape, if any. */
export function firstSymbolic(shape: Shape): string | undefined {
  return shape.find((d): d is string => typeof d === "string");
}

/**
 * An element count as a number times a multiset of symbols, e.g. `batch * 784` is
 * `{ known: 784, symbols: ["batch"] }`. Used to compare reshapes with symbolic sizes.
 */
export interface ElementCount {
  readonly known: number;
  readonly symbols: readonly string[];
}

export function elementCount(shape: Shape): ElementCount {
  let known = 1;
  const symbols: string[] = [];
  for (const d of shape) {
    if (typeof d === "number") known *= d;
    else symbols.push(d);
  }
  return { known, symbols: symbols.sort() };
}

export function countsEqual(a: ElementCount, b: ElementCount): boolean {
  return (
    a.known === b.known &&
    a.symbols.length === b.symbols.length &&
    a.symbols.every((s, i) => s === b.symbols[i])
  );
}

/** A dimension computed from others; symbolic inputs give a readable symbolic expression. */
export function dimExpr(text: string, value: number | null): Dim {
  return value ?? text;
}

/** Product of dimensions as a Dim: a number when all are known, else `a*b` of the factors. */
export function productDim(dims: Shape): Dim {
  if (dims.every((d) => typeof d === "number"))
    return dims.reduce<number>((p, d) => p * (d as number), 1);
  // Parenthesise sums (`n+2`) so that the product reads as meant: (n+2)*3.
  return dims
    .filter((d) => d !== 1)
    .map((d) => (typeof d === "string" && /[+-]/.test(d) ? `(${d})` : String(d)))
    .join("*");
}

/**
 * A dimension as `factor * batch^power` when it is a number, the batch dimension, or a
 * product of those (`784*batch` from flattening): the sizes code can compute at run time.
 * Null for anything else (another symbol, a sum).
 */
export function batchMonomial(
  d: Dim,
  batch: string,
): { readonly factor: number; readonly power: number } | null {
  if (typeof d === "number") return { factor: d, power: 0 };
  let factor = 1;
  let power = 0;
  for (const part of d.split("*")) {
    if (part === batch) power += 1;
    else if (/^\d+$/.test(part)) factor *= Number(part);
    else return null;
  }
  return { factor, power };
}
