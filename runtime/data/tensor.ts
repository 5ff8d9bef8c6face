/**
 * Host-side tensors: what the data loaders produce and the training loop copies into backend
 * buffers batch by batch. Row-major; the first dimension is always the row (sample) axis.
 * Class ids are stored as exact integers in the Float32Array (exact up to 2^24).
 */
export interface Tensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/** Number of rows (samples): the first dimension. */
export function rowCount(t: Tensor): number {
  return t.shape[0] ?? 0;
}

/** Number of values in one row: the product of every dimension but the first (1 for `[n]`). */
export function rowSize(t: Tensor): number {
  let size = 1;
  for (let i = 1; i < t.shape.length; i++) size *= t.shape[i]!;
  return size;
}

/** Product of a shape's dimensions (1 for a scalar `[]`). */
export function sizeOf(shape: readonly number[]): number {
  let size = 1;
  for (const d of shape) size *= d;
  return size;
}

/** `[16, 4]`, the way shapes are written in messages. */
export function formatShape(shape: readonly (number | string)[]): string {
  return `[${shape.join(", ")}]`;
}

/**
 * The same values viewed with another shape (no copy). Throws RangeError when the element
 * counts differ: callers check user-facing shape problems before and word them themselves.
 */
export function reshape(t: Tensor, shape: readonly number[]): Tensor {
  if (sizeOf(shape) !== t.data.length) {
    throw new RangeError(
      `cannot view ${t.data.length} values as ${formatShape(shape)} (${sizeOf(shape)} values)`,
    );
  }
  return { data: t.data, shape: [...shape] };
}

/** The rows `indices` of `t`, copied into a new tensor in that order. */
export function takeRows(t: Tensor, indices: ArrayLike<number>): Tensor {
  const width = rowSize(t);
  const out = new Float32Array(indices.length * width);
  for (let i = 0; i < indices.length; i++) {
    const from = indices[i]! * width;
    out.set(t.data.subarray(from, from + width), i * width);
  }
  return { data: out, shape: [indices.length, ...t.shape.slice(1)] };
}

/** Rows `[start, end)` of `t` as a view sharing its storage. */
export function sliceRows(t: Tensor, start: number, end: number): Tensor {
  const width = rowSize(t);
  return {
    data: t.data.subarray(start * width, end * width),
    shape: [end - start, ...t.shape.slice(1)],
  };
}
