/**
 * The wasm backend's convolutions: runtime/cpu/conv.ts's per-image GEMMs over the im2col
 * columns, with the per-image loop in WebAssembly (conv2d-driver.ts) so that the batch's images
 * split over a worker pool's threads, each with columns of its own.
 *
 * Assumes: every array is a view on `arena`'s memory in its precision and holds the geometry's
 * elements (the backend checks; arrays elsewhere take runtime/cpu/conv.ts), and the geometry
 * is not degenerate (see `handles`). One call at a time (the pool is not reentrant).
 *
 * Guarantees, for any thread count:
 * - forward and input gradient: each image's GEMM and lowering as on one thread; images are
 *   independent, so the bits are those of the calling thread alone.
 * - weight gradient: the images are cut into chunks of CHUNK_IMAGES (a constant, never the
 *   thread count); chunk c's partial sum is its images' GEMMs accumulated in image order, and
 *   dw = ((p0 + p1) + p2) + ... in chunk order. Chunks, not threads, fix the summation order,
 *   so every thread count gives the bits of one thread (docs/internals.md, "Threads").
 * Scratch (the parameter block, each part's columns, the partial sums) lives in the arena,
 * grown on demand and kept. Browser-safe.
 */
import type { ConvGeometry, FloatArray } from "../backend.js";
import { ACCUMULATE, TRANS_A, TRANS_B } from "../backend.js";
import { colSize, isPointwise } from "../cpu/conv.js";
import {
  BLOCK,
  BLOCK_WORDS,
  CONV_MODE,
  GEMM_ARGS,
  buildConvDriverModule,
} from "./conv2d-driver.js";
import type { WasmGemm } from "./gemm.js";
import type { WasmArena } from "./memory.js";
import type { PoolPrecision } from "./pool2d-kernels.js";
import type { WorkerPool } from "./pool.js";
import type { MemoryLimits } from "./writer.js";

/** Images per chunk of the weight gradient's sum: a constant, so results ignore threads. */
export const CHUNK_IMAGES = 4;

/**
 * Multiply-adds below which a part is not worth a thread (as the GEMM's PARALLEL_WORK: about
 * 10 us, a few times what waking a worker costs).
 */
const PARALLEL_WORK = 1 << 18;

/** The GEMM scratch (one region per thread) for a product of these sizes, as a byte offset. */
export type GemmScratch = (m: number, n: number, k: number) => number;

interface DriverExports {
  conv_run(begin: number, end: number, part: number, block: number): void;
  sum_chunks(dw: number, partials: number, count: number, size: number): void;
}

/** A GEMM triple of an image: operands' byte offsets and flags. */
type Operands = readonly [a: number, b: number, c: number, flags: number];

const modules = new Map<string, WebAssembly.Module>();

function isShared(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
}

const roundUp = (x: number, unit: number): number => Math.ceil(x / unit) * unit;

export class WasmConv2d {
  private readonly exports: DriverExports;
  private readonly pooled: { readonly pool: WorkerPool; readonly id: number } | undefined;
  private readonly elementBytes: number;
  private readonly block: Int32Array;
  private columns: Uint8Array;
  private partials: Uint8Array;

  constructor(
    private readonly arena: WasmArena,
    precision: PoolPrecision,
    private readonly gemm: WasmGemm,
    private readonly gemmScratch: GemmScratch,
    pool?: WorkerPool,
    /** Multiply-adds below which a part is not worth a thread (tests force splits with 1). */
    private readonly parallelWork = PARALLEL_WORK,
  ) {
    const memory = arena.memory;
    const shared = isShared(memory);
    const key = `${precision} ${shared ? "shared" : ""}`;
    let compiled = modules.get(key);
    if (compiled === undefined) {
      const limits: MemoryLimits = shared ? { initial: 0, maximum: 65536, shared } : { initial: 0 };
      compiled = new WebAssembly.Module(buildConvDriverModule(precision, limits));
      modules.set(key, compiled);
    }
    if (pool !== undefined && pool.threads > 1) {
      // the GEMM's own registration when it has one (it has, with the same pool), not a second
      const gemmId = gemm.poolModuleId ?? pool.register(gemm.module);
      const id = pool.register(compiled, { gemm: gemmId });
      this.pooled = { pool, id };
      this.exports = pool.instance(id).exports as unknown as DriverExports;
    } else {
      const imports = { env: { memory }, gemm: { blocked: gemm.blockedOnCaller } };
      this.exports = new WebAssembly.Instance(compiled, imports)
        .exports as unknown as DriverExports;
    }
    this.elementBytes = precision === "f32" ? 4 : 8;
    const block = arena.u8(BLOCK_WORDS * 4);
    this.block = new Int32Array(block.buffer, block.byteOffset, BLOCK_WORDS);
    this.columns = arena.u8(0);
    this.partials = arena.u8(0);
  }

  /** Whether the driver takes this geometry: every GEMM of it has m, n, k > 0. */
  static handles(g: ConvGeometry): boolean {
    const k = g.channels * g.kernelH * g.kernelW;
    return g.batch > 0 && g.filters > 0 && k > 0 && g.outH * g.outW > 0;
  }

  /** y = x (*) w. */
  forward(x: FloatArray, w: FloatArray, y: FloatArray, g: ConvGeometry): void {
    const { k, q, lower, col } = this.prepare(g, CONV_MODE.forward, x.byteOffset);
    const E = this.elementBytes;
    const image = g.channels * g.height * g.width * E;
    this.run(g, g.filters, q, k, 1, (b, part) => [
      w.byteOffset,
      lower ? col + part * this.block[BLOCK.colStride]! : x.byteOffset + b * image,
      y.byteOffset + b * g.filters * q * E,
      0,
    ]);
  }

  /** dx = the gradient of conv2d with respect to x, given dy. */
  gradInput(dy: FloatArray, w: FloatArray, dx: FloatArray, g: ConvGeometry): void {
    const { k, q, lower, col } = this.prepare(g, CONV_MODE.gradInput, dx.byteOffset);
    const E = this.elementBytes;
    const image = g.channels * g.height * g.width * E;
    this.run(g, k, q, g.filters, 1, (b, part) => [
      w.byteOffset,
      dy.byteOffset + b * g.filters * q * E,
      lower ? col + part * this.block[BLOCK.colStride]! : dx.byteOffset + b * image,
      TRANS_A,
    ]);
  }

  /** dw = the gradient of conv2d with respect to w (overwritten), in chunks (module comment). */
  gradWeight(x: FloatArray, dy: FloatArray, dw: FloatArray, g: ConvGeometry): void {
    const { k, q, lower, col } = this.prepare(g, CONV_MODE.gradWeight, x.byteOffset);
    const E = this.elementBytes;
    const image = g.channels * g.height * g.width * E;
    const chunks = Math.ceil(g.batch / CHUNK_IMAGES);
    const size = g.filters * k;
    // One chunk is summed straight into dw; more go to partials, then are added in order.
    const partials = chunks === 1 ? dw.byteOffset : this.partialScratch(chunks * size * E);
    this.run(g, g.filters, k, q, CHUNK_IMAGES, (b, part, unit, accumulate) => [
      dy.byteOffset + b * g.filters * q * E,
      lower ? col + part * this.block[BLOCK.colStride]! : x.byteOffset + b * image,
      partials + unit * size * E,
      TRANS_B | (accumulate ? ACCUMULATE : 0),
    ]);
    if (chunks > 1) this.exports.sum_chunks(dw.byteOffset, partials, chunks, size);
  }

  /** Fills the block's mode, geometry and column scratch (one region per thread). */
  private prepare(
    g: ConvGeometry,
    mode: number,
    image: number,
  ): { k: number; q: number; lower: boolean; col: number } {
    const k = g.channels * g.kernelH * g.kernelW;
    const q = g.outH * g.outW;
    const lower = !isPointwise(g);
    const colStride = lower ? roundUp(colSize(g) * this.elementBytes, 64) : 0;
    const col = this.columnScratch(colStride * (this.pooled?.pool.threads ?? 1));
    const block = this.block;
    block[BLOCK.mode] = mode;
    block[BLOCK.lower] = lower ? 1 : 0;
    block[BLOCK.batch] = g.batch;
    block[BLOCK.image] = image;
    block[BLOCK.imageStride] = g.channels * g.height * g.width * this.elementBytes;
    block[BLOCK.col] = col;
    block[BLOCK.colStride] = colStride;
    const geometry = [g.channels, g.height, g.width, g.kernelH, g.kernelW, g.stride];
    geometry.push(g.padTop, g.padLeft, g.outH, g.outW);
    block.set(geometry, BLOCK.geometry);
    return { k, q, lower, col };
  }

  /**
   * Writes the GEMM's argument vectors (template and the differences per image, part, unit and
   * accumulate flag) and runs units of `chunk` images over the threads.
   */
  private run(
    g: ConvGeometry,
    m: number,
    n: number,
    k: number,
    chunk: number,
    operands: (b: number, part: number, unit: number, accumulate: boolean) => Operands,
  ): void {
    const block = this.block;
    const scratch = this.gemmScratch(m, n, k);
    const argsOf = ([a, b, c, flags]: Operands) =>
      this.gemm.blockedArgs(a, b, c, m, n, k, flags, scratch);
    const template = argsOf(operands(0, 0, 0, false));
    block[BLOCK.columns] = template.columns;
    block.set(template.args, BLOCK.gemm);
    const shifted = [
      operands(1, 0, 0, false),
      operands(0, 1, 0, false),
      operands(0, 0, 1, false),
      operands(0, 0, 0, true),
    ];
    shifted.forEach((triple, v) => {
      const args = argsOf(triple).args;
      const at = BLOCK.gemm + (v + 1) * GEMM_ARGS;
      for (let i = 0; i < GEMM_ARGS; i++) block[at + i] = args[i]! - block[BLOCK.gemm + i]!;
    });
    block[BLOCK.chunk] = chunk;
    const units = Math.ceil(g.batch / chunk);
    const pooled = this.pooled;
    if (pooled === undefined) {
      this.exports.conv_run(0, units, 0, block.byteOffset);
      return;
    }
    const grain = Math.max(1, Math.ceil(this.parallelWork / (chunk * m * n * k)));
    pooled.pool.parallelFor(pooled.id, "conv_run", [block.byteOffset], units, grain, 1, true);
  }

  private columnScratch(bytes: number): number {
    if (this.columns.length < bytes) {
      this.arena.release(this.columns);
      this.columns = this.arena.u8(bytes);
    }
    return this.columns.byteOffset;
  }

  private partialScratch(bytes: number): number {
    if (this.partials.length < bytes) {
      this.arena.release(this.partials);
      this.partials = this.arena.u8(bytes);
    }
    return this.partials.byteOffset;
  }
}
