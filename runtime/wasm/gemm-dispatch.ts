/**
 * The GEMM dispatch of WasmBackend: Backend.gemm and Backend.gemmThen over the GEMM provider
 * (BLAS), the wasm small-product path (gemm-small.ts), the blocked wasm GEMM (gemm.ts), the
 * pooled epilogue (epilogue.ts) and the JS GEMM for arrays not on the memory, in that order.
 *
 * Assumes: `arena` is the memory of `pool` when there is one; kernels given to gemmThen run
 * through `kernels` (the backend's runner, on the same memory).
 * Guarantees: every path gives the bits of `gemm` then `run`; packed-panel scratch lives in the
 * arena, is shared with the convolutions (`scratchFor`), grown on demand and kept, so a step
 * allocates nothing.
 *
 * Browser-safe: no `node:` imports.
 */
import { checkGemm } from "../cpu/host-arrays.js";
import type { FloatArray, GemmProvider, Kernel, Precision } from "../backend.js";
import { ACCUMULATE, TRANS_A, TRANS_B } from "../backend.js";
import { gemmOne } from "../cpu/gemm.js";
import { WasmGemm, depthBlock, gemmScratchBytes } from "./gemm.js";
import { WasmSmallGemm, smallGemmScratchBytes } from "./gemm-small.js";
import { WasmEpilogue } from "./epilogue.js";
import { type WasmKernelRunner, callBody } from "./kernel-runner.js";
import type { WasmArena } from "./memory.js";
import type { WorkerPool } from "./pool.js";

/** GEMM and GEMM-then-kernel on one arena; see the module comment. */
export class WasmGemmDispatch {
  /** GEMM in wasm on the arena's memory. */
  readonly wasmGemm: WasmGemm;
  /** Its one-call path for products of little work (same bits). */
  private readonly smallGemm: WasmSmallGemm;
  /** gemmThen in one dispatch, with a pool. */
  private readonly epilogue: WasmEpilogue | undefined;
  /** Bytes of one element. */
  private readonly elementBytes: number;
  /** Packed-panel scratch of the wasm GEMM, in the arena, grown on demand. */
  private gemmScratch: Uint8Array;

  /**
   * @param pool the pool to split GEMMs over (more than one thread), or none.
   * @param provider the GEMM tried first (system BLAS), or none.
   */
  constructor(
    private readonly arena: WasmArena,
    private readonly precision: Precision,
    relaxed: boolean,
    pool: WorkerPool | undefined,
    private readonly provider: GemmProvider | undefined,
    private readonly kernels: WasmKernelRunner,
  ) {
    this.wasmGemm = new WasmGemm(arena.memory, { precision, relaxed });
    if (pool !== undefined) this.wasmGemm.useThreads(pool);
    this.smallGemm = new WasmSmallGemm(arena.memory, this.wasmGemm.config);
    this.epilogue = pool === undefined ? undefined : new WasmEpilogue(arena, this.wasmGemm, pool);
    this.elementBytes = precision === "f64" ? 8 : 4;
    this.gemmScratch = arena.u8(0);
  }

  /** Backend.gemm. */
  gemm(
    a: FloatArray,
    b: FloatArray,
    c: FloatArray,
    m: number,
    n: number,
    k: number,
    flags: number,
    batch: number,
    strideA: number,
    strideB: number,
    strideC: number,
  ): void {
    if (batch <= 0) return;
    checkGemm(a, b, c, m, n, k, batch, strideA, strideB, strideC);
    const provider = this.provider;
    if (provider?.gemm(a, b, c, m, n, k, flags, batch, strideA, strideB, strideC)) return;
    const arena = this.arena;
    if (arena.owns(a) && arena.owns(b) && arena.owns(c)) {
      this.wasmGemmOf(a, b, c, m, n, k, flags, batch, strideA, strideB, strideC);
      return;
    }
    const transA = (flags & TRANS_A) !== 0;
    const transB = (flags & TRANS_B) !== 0;
    const accumulate = (flags & ACCUMULATE) !== 0;
    for (let j = 0; j < batch; j++) {
      gemmOne(a, j * strideA, b, j * strideB, c, j * strideC, m, n, k, transA, transB, accumulate);
    }
  }

  /** The wasm GEMM of `gemm` (small path or blocked), all arrays on the memory. */
  private wasmGemmOf(
    a: FloatArray,
    b: FloatArray,
    c: FloatArray,
    m: number,
    n: number,
    k: number,
    flags: number,
    batch: number,
    strideA: number,
    strideB: number,
    strideC: number,
  ): void {
    const pa = a.byteOffset;
    const pb = b.byteOffset;
    const pc = c.byteOffset;
    if (this.smallGemm.takes(m, n, k)) {
      const pack = this.scratch(smallGemmScratchBytes(n, k, this.elementBytes));
      const kc = depthBlock(k, this.precision);
      this.smallGemm.gemm(pa, pb, pc, m, n, k, flags, batch, strideA, strideB, strideC, kc, pack);
      return;
    }
    const scratch = this.scratchFor(m, n, k);
    this.wasmGemm.gemm(pa, pb, pc, m, n, k, flags, batch, strideA, strideB, strideC, scratch);
  }

  /**
   * Backend.gemmThen. With a pool, on the blocked path, one dispatch: each thread runs the
   * kernel on the elements of C its columns of the product wrote, right after computing them
   * (epilogue.ts). On 1 thread and on the small-GEMM path, the kernel runs on the calling
   * thread over all of C right after the product (still in cache). BLAS products, kernels
   * without a wasm body and arrays not on the memory: `gemm` then `run`. Every path gives the
   * bits of `gemm` then `run` (each element of the kernel depends only on its own).
   */
  gemmThen(
    a: FloatArray,
    b: FloatArray,
    c: FloatArray,
    m: number,
    n: number,
    k: number,
    flags: number,
    kernel: Kernel,
    batchSize: number,
    ka?: FloatArray,
    kb?: FloatArray,
    kc?: FloatArray,
    kd?: FloatArray,
    ke?: FloatArray,
    kf?: FloatArray,
    kg?: FloatArray,
    kh?: FloatArray,
    ki?: FloatArray,
    kj?: FloatArray,
    kk?: FloatArray,
    kl?: FloatArray,
  ): void {
    const kernels = this.kernels;
    const entry = kernels.entryOf(kernel);
    const arena = this.arena;
    const fusable = m > 0 && n > 0 && k > 0 && arena.owns(a) && arena.owns(b) && arena.owns(c);
    const size = m * n;
    if (entry === undefined || !fusable) {
      this.gemm(a, b, c, m, n, k, flags, 1, m * k, k * n, size);
      kernels.run(kernel, size, batchSize, ka, kb, kc, kd, ke, kf, kg, kh, ki, kj, kk, kl);
      return;
    }
    checkGemm(a, b, c, m, n, k, 1, m * k, k * n, size);
    if (this.provider?.gemm(a, b, c, m, n, k, flags, 1, m * k, k * n, size)) {
      kernels.run(kernel, size, batchSize, ka, kb, kc, kd, ke, kf, kg, kh, ki, kj, kk, kl);
      return;
    }
    const epilogue = this.epilogue;
    if (epilogue !== undefined && entry.pooled !== undefined && !this.smallGemm.takes(m, n, k)) {
      const args = kernels.pooledArgsOf(batchSize, ka, kb, kc, kd, ke, kf, kg, kh, ki, kj, kk, kl);
      const scratch = this.scratchFor(m, n, k);
      const pooled = entry.pooled;
      epilogue.run(a.byteOffset, b.byteOffset, c.byteOffset, m, n, k, flags, scratch, pooled, args);
      return;
    }
    this.wasmGemmOf(a, b, c, m, n, k, flags, 1, m * k, k * n, size);
    callBody(entry.body, size, batchSize, ka, kb, kc, kd, ke, kf, kg, kh, ki, kj, kk, kl);
  }

  /**
   * The byte offset of GEMM scratch for these sizes (one region per thread), grown (in the
   * arena) only when too small.
   */
  scratchFor(m: number, n: number, k: number): number {
    return this.scratch(gemmScratchBytes(m, n, k, this.precision) * this.wasmGemm.threads);
  }

  /** The GEMM scratch's offset, with room for `bytes`, grown only when too small. */
  private scratch(bytes: number): number {
    if (this.gemmScratch.length < bytes) {
      this.arena.release(this.gemmScratch);
      this.gemmScratch = this.arena.u8(bytes);
    }
    return this.gemmScratch.byteOffset;
  }
}
