import type { Random } from "../random.js";
import { DataError } from "./errors.js";
import { type Tensor, rowSize } from "./tensor.js";

/**
 * Batch order for training, with PyTorch DataLoader semantics: each epoch visits every row
 * once, in a fresh Fisher-Yates permutation when `shuffle` is on (drawn from the `rng` the
 * caller gives, the `shuffle` stream of the model's seed) or in file order; batches are
 * consecutive runs of that order, the last one smaller unless `dropLast` drops it.
 * Rows are copied into preallocated host arrays by `gatherRows`, so a batch allocates nothing.
 */

export interface BatchOptions {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  /** `new Random(seed, RandomStream.shuffle)`; used only when `shuffle` is on. */
  readonly rng: Random;
}

/** One epoch: the row order and its batches as `[start, size]` over that order. */
export interface EpochOrder {
  readonly order: Uint32Array;
  readonly batches: readonly (readonly [start: number, size: number])[];
}

/** Serves the batches of successive epochs over `rows` rows, reusing one order array. */
export class BatchIterator {
  /** The current epoch's order; rewritten in place by `nextEpoch`. */
  readonly order: Uint32Array;
  /** Batches per epoch. */
  readonly batchCount: number;
  readonly batchSize: number;
  private readonly shuffle: boolean;
  private readonly rng: Random;

  /** Throws E502 when `dropLast` leaves no batch (fewer rows than `batchSize`). */
  constructor(
    readonly rows: number,
    options: BatchOptions,
  ) {
    if (!(Number.isInteger(options.batchSize) && options.batchSize > 0)) {
      throw new RangeError(`batch size must be a positive integer, got ${options.batchSize}`);
    }
    this.batchSize = options.batchSize;
    this.batchCount = options.dropLast
      ? Math.floor(rows / options.batchSize)
      : Math.ceil(rows / options.batchSize);
    if (this.batchCount === 0 && rows > 0) {
      throw new DataError(
        "E502",
        `drop_last leaves no batch: the training data has ${rows} rows, fewer than batch_size ${options.batchSize}`,
      );
    }
    this.shuffle = options.shuffle;
    this.rng = options.rng;
    this.order = new Uint32Array(rows);
  }

  /**
   * Starts the next epoch and returns its order: the identity, shuffled when `shuffle` is on.
   * Each epoch starts from the identity, so its order depends only on the generator's state.
   */
  nextEpoch(): Uint32Array {
    for (let i = 0; i < this.rows; i++) this.order[i] = i;
    if (this.shuffle) this.rng.shuffle(this.order);
    return this.order;
  }

  /** Position in `order` of batch `i`'s first row. */
  batchStart(i: number): number {
    return i * this.batchSize;
  }

  /** Rows in batch `i`: `batchSize`, or fewer for a kept last batch. */
  batchLength(i: number): number {
    return Math.min(this.batchSize, this.rows - i * this.batchSize);
  }
}

/** One epoch's order and batches (allocates; `BatchIterator` reuses its arrays). */
export function epochOrder(rows: number, options: BatchOptions): EpochOrder {
  const it = new BatchIterator(rows, options);
  const order = it.nextEpoch();
  const batches: (readonly [number, number])[] = [];
  for (let i = 0; i < it.batchCount; i++) batches.push([it.batchStart(i), it.batchLength(i)]);
  return { order, batches };
}

/**
 * Copies rows `order[start]`, ..., `order[start + count - 1]` of `source` into the front of
 * `into` (row-major, `count * rowSize(source)` values). Plain loops, no views: a batch
 * allocates nothing. Throws RangeError when `into` is too small (a caller bug).
 */
export function gatherRows(
  source: Tensor,
  order: Uint32Array,
  start: number,
  count: number,
  into: Float32Array,
): void {
  const width = rowSize(source);
  if (into.length < count * width) {
    throw new RangeError(
      `gatherRows: ${count} rows of ${width} need ${count * width} values, got ${into.length}`,
    );
  }
  const data = source.data;
  if (width === 1) {
    for (let i = 0; i < count; i++) into[i] = data[order[start + i]!]!;
    return;
  }
  for (let i = 0; i < count; i++) {
    const from = order[start + i]! * width;
    const to = i * width;
    for (let k = 0; k < width; k++) into[to + k] = data[from + k]!;
  }
}
