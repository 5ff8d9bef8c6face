/**
 * Row lookup by ids and its transpose on host arrays, for the CPU and wasm backends (see
 * Backend.gatherRows and Backend.scatterAddRows). Ids are whole numbers held as floats; one
 * outside [0, rows) (or NaN) reads a zero row and adds nothing, so every access stays inside
 * the table. The scatter adds the rows in id order n = 0, 1, ..., each sum rounded to the
 * buffer's precision, as the WebGPU shader does, so duplicate ids sum to the same bits on
 * every backend.
 */
import type { FloatArray } from "../backend.js";
import { need } from "./checks.js";

/** The row an id names, or -1 when it names none. */
function rowOf(id: number, rows: number): number {
  return id >= 0 && id < rows ? Math.trunc(id) : -1;
}

function checkRows(
  op: string,
  ids: FloatArray,
  rowsBuffer: FloatArray,
  table: FloatArray,
  count: number,
  rows: number,
  width: number,
  rowsName: string,
): void {
  need(ids, count, op, "ids");
  need(rowsBuffer, count * width, op, rowsName);
  need(table, rows * width, op, "table");
}

/** out[n, :] = table[ids[n], :]. */
export function gatherRows(
  table: FloatArray,
  ids: FloatArray,
  out: FloatArray,
  count: number,
  rows: number,
  width: number,
): void {
  checkRows("gatherRows", ids, out, table, count, rows, width, "out");
  for (let n = 0; n < count; n++) {
    const row = rowOf(ids[n]!, rows);
    const to = n * width;
    if (row < 0) out.fill(0, to, to + width);
    else out.set(table.subarray(row * width, row * width + width), to);
  }
}

/** table = zeros; table[ids[n], :] += g[n, :] for n in order. */
export function scatterAddRows(
  ids: FloatArray,
  g: FloatArray,
  table: FloatArray,
  count: number,
  rows: number,
  width: number,
): void {
  checkRows("scatterAddRows", ids, g, table, count, rows, width, "g");
  table.fill(0, 0, rows * width);
  for (let n = 0; n < count; n++) {
    const row = rowOf(ids[n]!, rows);
    if (row < 0) continue;
    const to = row * width;
    const from = n * width;
    for (let j = 0; j < width; j++) table[to + j]! += g[from + j]!;
  }
}
