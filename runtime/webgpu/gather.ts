/**
 * Row lookup by ids and its transpose on WebGPU, as runtime/cpu/gather.ts defines them: an id
 * outside [0, rows) (or NaN) reads a zero row and adds nothing.
 *
 * The scatter-add needs no atomics (WGSL has none on f32) and no sort: one invocation per
 * element (row, j) of the table walks the ids n = 0, 1, ..., count - 1 and adds g[n, j] where
 * ids[n] names its row. Duplicates in a batch therefore sum in the CPU's order, one f32
 * rounding per add, and give the CPU's bits; the cost is rows * width * count comparisons,
 * small next to the model's matrix products for the vocabularies and batches this serves.
 */
import type { GpuBuffer, GpuContext } from "./context.js";
import { dispatchElementwise } from "./elementwise.js";

const FIELDS = ["table", "ids", "rowsAt", "count", "rows", "width"];

/** out[n, :] = table[ids[n], :]; one invocation per element of out. */
export function encodeGatherRows(
  ctx: GpuContext,
  table: GpuBuffer,
  ids: GpuBuffer,
  out: GpuBuffer,
  count: number,
  rows: number,
  width: number,
): void {
  const fields = [table.offset, ids.offset, out.offset, count, rows, width];
  dispatchElementwise(ctx, "gatherRows", count * width, FIELDS, fields, GATHER);
}

/** table = zeros; table[ids[n], :] += g[n, :] in order of n; one invocation per table element. */
export function encodeScatterAddRows(
  ctx: GpuContext,
  ids: GpuBuffer,
  g: GpuBuffer,
  table: GpuBuffer,
  count: number,
  rows: number,
  width: number,
): void {
  const fields = [table.offset, ids.offset, g.offset, count, rows, width];
  dispatchElementwise(ctx, "scatterAddRows", rows * width, FIELDS, fields, SCATTER_ADD);
}

// `rowsAt` is out for the gather and g for the scatter: the [count, width] operand.
const GATHER = `
  let n = i / p.width;
  let j = i % p.width;
  let id = mem[p.ids + n];
  var v = 0.0;
  if (id >= 0.0 && id < f32(p.rows)) { v = mem[p.table + u32(id) * p.width + j]; }
  mem[p.rowsAt + i] = v;`;

const SCATTER_ADD = `
  let row = f32(i / p.width);
  let j = i % p.width;
  var sum = 0.0;
  for (var n = 0u; n < p.count; n++) {
    let id = mem[p.ids + n];
    if (id >= 0.0 && floor(id) == row) { sum += mem[p.rowsAt + n * p.width + j]; }
  }
  mem[p.table + i] = sum;`;
