/**
 * Buffer operations of the CPU backends, whose buffers are host typed arrays (plain ones for
 * the js backend, views on one WebAssembly memory for the wasm backend): one definition for
 * both, with their argument checks.
 */
import type { FloatArray } from "../backend.js";
import { need } from "./checks.js";

export function writeHost(dst: FloatArray, data: ArrayLike<number>, offset = 0): void {
  dst.set(data, offset);
}

/** Backend.writeRows on host arrays: rows gathered straight into `dst`, no staging copy. */
export function writeRowsHost(
  dst: FloatArray,
  data: FloatArray,
  width: number,
  order: Uint32Array | null,
  start: number,
  count: number,
): void {
  need(dst, count * width, "writeRows", "dst");
  for (let r = 0; r < count; r++) {
    const from = (order ? order[start + r]! : start + r) * width;
    const to = r * width;
    for (let k = 0; k < width; k++) dst[to + k] = data[from + k]!;
  }
}

/** The first `size` elements (all by default), aliasing `src`. */
export function readHost(src: FloatArray, size?: number): FloatArray {
  if (size === undefined || size === src.length) return src;
  need(src, size, "read", "src");
  return src.subarray(0, size);
}

export function copyHost(
  src: FloatArray,
  dst: FloatArray,
  size: number,
  srcOffset = 0,
  dstOffset = 0,
): void {
  need(src, srcOffset + size, "copy", "src");
  need(dst, dstOffset + size, "copy", "dst");
  if (src === dst) {
    dst.copyWithin(dstOffset, srcOffset, srcOffset + size);
    return;
  }
  // Distinct buffers never overlap (separate arrays, or disjoint regions of one memory).
  for (let i = 0; i < size; i++) dst[dstOffset + i] = src[srcOffset + i]!;
}

export function fillHost(dst: FloatArray, value: number, size: number): void {
  need(dst, size, "fill", "dst");
  dst.fill(value, 0, size);
}

/** Backend.gemm's bounds: every matrix of every triple lies inside its buffer. */
export function checkGemm(
  a: FloatArray,
  b: FloatArray,
  c: FloatArray,
  m: number,
  n: number,
  k: number,
  batch: number,
  strideA: number,
  strideB: number,
  strideC: number,
): void {
  const last = batch - 1;
  need(a, last * strideA + m * k, "gemm", "a");
  need(b, last * strideB + k * n, "gemm", "b");
  need(c, last * strideC + m * n, "gemm", "c");
}
