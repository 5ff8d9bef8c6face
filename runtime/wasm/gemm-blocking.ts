/**
 * The blocking plan of the wasm GEMM (gemm.ts): block limits per precision, the even cuts of
 * each extent, the micro-tile height and transposed-product choices for a shape, and the
 * layout of the packed-panel scratch.
 *
 * Assumes: the micro-kernels of gemm-kernels.ts (MR x NR tiles, or SKINNY_MR x NR).
 * Guarantees: pure functions of the shape and kernel configuration; `gemmScratchBytes` bounds
 * the scratch of any column range of a product, in either tile height and multiply-add flavour.
 */
import {
  SKINNY_MR,
  defaultKernelConfig,
  type GemmKernelConfig,
  type GemmPrecision,
} from "./gemm-kernels.js";

/** Block limits in elements: depth, rows of A, columns of B (multiples of MR and NR). */
export interface Blocking {
  readonly kc: number;
  readonly mc: number;
  readonly nc: number;
}

export const BLOCKING: Readonly<Record<GemmPrecision, Blocking>> = {
  f32: { kc: 256, mc: 128, nc: 1024 },
  f64: { kc: 128, mc: 128, nc: 1024 },
};

/** Alignment of each scratch part: a cache line. */
const ALIGN = 64;

const roundUp = (x: number, unit: number): number => Math.ceil(x / unit) * unit;

/** The block size (a multiple of `unit`, at most `limit`) that cuts `extent` most evenly. */
export function evenBlock(extent: number, limit: number, unit: number): number {
  const blocks = Math.ceil(extent / limit);
  return roundUp(Math.ceil(extent / blocks), unit);
}

/** Products of at most this many rows may use SKINNY_MR-row tiles (packed element-wise). */
const SKINNY_ROWS = 64;

/** The rows of the micro-tiles for a product of `rows` rows: the one that pads least. */
export function rowTile(config: GemmKernelConfig, rows: number): number {
  const skinny = rows <= SKINNY_ROWS && roundUp(rows, SKINNY_MR) < roundUp(rows, config.mr);
  return skinny ? SKINNY_MR : config.mr;
}

/**
 * Whether to compute the product transposed, C^T = op(B)^T op(A)^T, written into C through
 * transposed tile stores: when that pads the tiles markedly less (n = 10 fills 10/16 of two
 * 8-column panels, but all of two 5-row panels). Bits are the same either way.
 */
export function transposedProduct(config: GemmKernelConfig, m: number, n: number): boolean {
  const fill = (x: number, unit: number): number => x / roundUp(x, unit);
  const direct = fill(m, rowTile(config, m)) * fill(n, config.nr);
  return fill(n, rowTile(config, n)) * fill(m, config.nr) > 1.15 * direct;
}

/**
 * The depth block of a product of depth k (the even cut of k in blocks of at most KC): each
 * element of C sums one block at a time, so any path that wants the blocked path's bits
 * (gemm-small.ts) cuts k the same way.
 */
export function depthBlock(k: number, precision: GemmPrecision): number {
  return evenBlock(k, BLOCKING[precision].kc, 1);
}

export interface ScratchLayout {
  readonly packA: number;
  readonly packB: number;
  readonly tile: number;
  readonly bytes: number;
}

export function scratchLayout(
  config: GemmKernelConfig,
  m: number,
  n: number,
  k: number,
): ScratchLayout {
  const { kc, mc, nc } = BLOCKING[config.precision];
  const E = config.precision === "f32" ? 4 : 8;
  const [rowsOfC, columnsOfC] = transposedProduct(config, m, n) ? [n, m] : [m, n];
  const depth = Math.min(Math.max(k, 1), kc);
  // Any row range of the product, in either tile height.
  const rowLimit = Math.min(Math.max(rowsOfC, 1), mc);
  const rows = Math.max(roundUp(rowLimit, config.mr), roundUp(rowLimit, SKINNY_MR));
  const tileRows = Math.max(config.mr, SKINNY_MR);
  const columns = roundUp(Math.min(Math.max(columnsOfC, 1), nc), config.nr);
  const packA = 0;
  const packB = roundUp(packA + rows * depth * E, ALIGN);
  const tile = roundUp(packB + columns * depth * E, ALIGN);
  return { packA, packB, tile, bytes: roundUp(tile + tileRows * config.nr * E, ALIGN) };
}

/**
 * Bytes of scratch a call with these sizes needs (enough for any column range of it, and for
 * either multiply-add flavour); at most about 1.2 MiB (f32) or 1.3 MiB (f64).
 */
export function gemmScratchBytes(
  m: number,
  n: number,
  k: number,
  precision: GemmPrecision,
): number {
  return scratchLayout(defaultKernelConfig(precision, false), m, n, k).bytes;
}
