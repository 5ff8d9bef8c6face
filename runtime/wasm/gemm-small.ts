/**
 * The small-GEMM path: one wasm call for a product of little work (T3's 256x10x10, the weight
 * gradients' 10x10x256), where the blocked path's panels, tiles and JS planning cost more than
 * the arithmetic. Same contract and same bits as gemm.ts's blocked path: C (+)= op(A) op(B),
 * offsets in bytes, C row-major m x n.
 *
 * `small(a, aRow, aDepth, b, bDepth, bLane, c, m, n, k, kcStep, accumulate, pack, inPlace)`, all
 * i32: op(A)[i, p] at a + i*aRow + p*aDepth, op(B)[p, j] at b + p*bDepth + j*bLane (bytes).
 * op(B) is read in place when its rows are contiguous (`inPlace`: the lanes of a last partial
 * vector read past the row, into memory the caller checked exists, and are never stored), else
 * packed once into `pack` (k rows of n values rounded up to whole vectors, zero-padded:
 * `smallGemmScratchBytes`). Then C is swept in column chunks of up to 4 vectors, by a function
 * specialised for the chunk's vector count, its last vector's lanes and op(A)'s form: blocks
 * of 4 rows (fewer for 3 or 4 vectors), then 2, then 1; per depth step one splat load of op(A) per row,
 * the chunk's vectors of B and one multiply-add per accumulator. Whole vectors are stored as
 * vectors, the last partial one lane by lane.
 *
 * Bits: per element of C, the blocked path's order exactly: depth blocks of `kcStep` (gemm.ts's
 * even cut of k), each summed in p order into an accumulator starting at zero with the same
 * multiply-add (`relaxed_madd(a, b, acc)`, or acc + a*b), then stored (first block, without
 * ACCUMULATE) or added to C (C + acc). Results depend on neither the transpose form nor the
 * thread count (it runs on the calling thread). The wasm is generated in gemm-small-kernels.ts.
 */
import { ACCUMULATE, TRANS_A, TRANS_B } from "../backend.js";
import type { GemmKernelConfig } from "./gemm-kernels.js";
import { buildSmallGemmModule } from "./gemm-small-kernels.js";

/** Multiply-adds up to which a product takes the small path (T3's largest is 25,600). */
export const SMALL_GEMM_WORK = 1 << 16;

/** Bytes of `pack` a product with these n, k needs. */
export function smallGemmScratchBytes(n: number, k: number, elementBytes: number): number {
  const lanes = 16 / elementBytes;
  return k * Math.ceil(n / lanes) * lanes * elementBytes;
}

interface SmallGemmExports {
  small(...args: number[]): void;
}

const modules = new Map<string, WebAssembly.Module>();

function isShared(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
}

/** The small path on one memory, for one kernel configuration (precision, multiply-add). */
export class WasmSmallGemm {
  private readonly small: SmallGemmExports["small"];
  private readonly elementBytes: number;

  constructor(
    readonly memory: WebAssembly.Memory,
    readonly config: GemmKernelConfig,
  ) {
    const shared = isShared(memory);
    const key = `${config.precision} ${config.relaxed ? "relaxed" : "mul+add"} ${shared ? "shared" : ""}`;
    let compiled = modules.get(key);
    if (compiled === undefined) {
      const limits = shared ? { initial: 0, maximum: 65536, shared } : { initial: 0 };
      compiled = new WebAssembly.Module(buildSmallGemmModule(config, limits));
      modules.set(key, compiled);
    }
    const instance = new WebAssembly.Instance(compiled, { env: { memory } });
    this.small = (instance.exports as unknown as SmallGemmExports).small;
    this.elementBytes = config.precision === "f32" ? 4 : 8;
  }

  /** Whether a product of these sizes takes the small path (k > 0: see gemm.ts for k = 0). */
  takes(m: number, n: number, k: number): boolean {
    return m > 0 && n > 0 && k > 0 && m * n * k <= SMALL_GEMM_WORK;
  }

  /**
   * C (+)= op(A) op(B) for `batch` triples, as WasmGemm.gemm (offsets in bytes, strides in
   * elements), each in one call; `kcStep` is the blocked path's depth block, `pack` a scratch
   * region of smallGemmScratchBytes(n, k) bytes.
   */
  gemm(
    a: number,
    b: number,
    c: number,
    m: number,
    n: number,
    k: number,
    flags: number,
    batch: number,
    strideA: number,
    strideB: number,
    strideC: number,
    kcStep: number,
    pack: number,
  ): void {
    const E = this.elementBytes;
    const transA = (flags & TRANS_A) !== 0;
    const transB = (flags & TRANS_B) !== 0;
    const aRow = (transA ? 1 : k) * E;
    const aDepth = (transA ? m : 1) * E;
    const bDepth = (transB ? 1 : n) * E;
    const bLane = (transB ? k : 1) * E;
    const accumulate = (flags & ACCUMULATE) !== 0 ? 1 : 0;
    // op(B)'s rows read in place when contiguous, if the last one's whole vectors (lanes past n
    // read but never stored) stay inside the memory.
    const lanes = 16 / E;
    const rowEnd = Math.ceil(n / lanes) * lanes * E + (k - 1) * bDepth;
    const bytes = this.memory.buffer.byteLength;
    for (let j = 0; j < batch; j++) {
      const bj = b + j * strideB * E;
      const inPlace = bLane === E && bj + rowEnd <= bytes ? 1 : 0;
      this.small(
        a + j * strideA * E,
        aRow,
        aDepth,
        bj,
        bDepth,
        bLane,
        c + j * strideC * E,
        m,
        n,
        k,
        kcStep,
        accumulate,
        pack,
        inPlace,
      );
    }
  }
}
