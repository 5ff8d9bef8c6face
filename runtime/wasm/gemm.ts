/**
 * GEMM in WebAssembly SIMD over one `WebAssembly.Memory`, in the manner of BLIS and XNNPACK:
 * C (+)= op(A) op(B) with every matrix at a byte offset in the memory (row-major, op(A) m x k,
 * op(B) k x n, C m x n with row stride n, as Backend.gemm).
 *
 * Blocking (loops outside in): column blocks of at most NC, depth blocks of at most KC (B packed
 * into NR-column panels, the KC x NR micro-panel staying in L1), row blocks of at most MC (A
 * packed into MR-row panels, the MC x KC block staying in L2), then the macro-kernel over all
 * MR x NR tiles. Block sizes are split evenly (784 is cut 4 x 196, not 3 x 256 + 16). Packing
 * absorbs both transposes, so the four forms share one micro-kernel; edges are zero-padded
 * panels, not a scalar path. Shape adaptations: 5-row tiles for products of few rows that 4
 * pads more (10 rows), the product computed transposed when that pads tiles markedly less, and
 * B read in place for products of few rows (the plan: gemm-blocking.ts). Summation order per
 * element of C: depth blocks in order, and within one, p in order (one accumulator per element),
 * so results depend on neither the transpose form, the tile height, the column range nor the
 * thread count. See docs/internals.md, "GEMM in WebAssembly".
 *
 * The caller owns the memory and gives each call a scratch region of `gemmScratchBytes(...)`
 * bytes for the packed panels (one per concurrent caller). Compiled modules are cached per
 * (precision, relaxed, shared memory). Relaxed SIMD must be probed by the caller
 * (`relaxedSimdSupported()`); asking for it where the engine lacks it throws.
 */
import { ACCUMULATE, TRANS_A, TRANS_B } from "../backend.js";
import {
  blockedExport,
  buildGemmModule,
  defaultKernelConfig,
  type GemmKernelConfig,
  type GemmPrecision,
} from "./gemm-kernels.js";
import {
  BLOCKING,
  depthBlock,
  evenBlock,
  rowTile,
  scratchLayout,
  transposedProduct,
} from "./gemm-blocking.js";
import { BLOCKED_PARAMS } from "./gemm-loops.js";
import type { WorkerPool } from "./pool.js";

export type { GemmPrecision } from "./gemm-kernels.js";
export { depthBlock, gemmScratchBytes } from "./gemm-blocking.js";

export interface WasmGemmOptions {
  readonly precision: GemmPrecision;
  /** Use `relaxed_madd`; default: mul then add. */
  readonly relaxed?: boolean;
}

/** An operand as the packing routines see it: X(p, lane) at base + p*depth + lane*lane bytes. */
interface Operand {
  readonly base: number;
  readonly depth: number;
  readonly lane: number;
}

/** `blocked` and `blocked_mr5`: the loop nest of gemm-loops.ts for one micro-tile height. */
type LoopNest = (j0: number, j1: number, part: number, ...args: number[]) => void;

/**
 * Up to this many rows of the product, B is read in place when its rows are contiguous (whole
 * panels; the last partial one is packed): packing costs about as much as the few micro-panel
 * sweeps it would speed up.
 */
const IN_PLACE_ROWS = 16;

const modules = new Map<string, WebAssembly.Module>();

function isShared(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer;
}

function moduleBytes(config: GemmKernelConfig, shared: boolean): Uint8Array {
  // Declared limits only bound the memory it may be given: any size, shared or not as declared.
  return buildGemmModule(config, shared ? { initial: 0, maximum: 65536, shared } : { initial: 0 });
}

function cacheKey(config: GemmKernelConfig, shared: boolean): string {
  return `${config.precision} ${config.relaxed ? "relaxed" : "mul+add"} ${shared ? "shared" : ""}`;
}

/** Indices in the arguments of `blocked` after (j0, j1, part); see gemm-loops.ts. */
const X_BASE = 0;
const I0 = 6;
const K = 8;
const MC_STEP = 18;
const NC_LIMIT = 19;
const BLOCKED_ARGS = BLOCKED_PARAMS.length - 3;

/**
 * Multiply-adds below which a part is not worth a thread: about 10 us at 50 GFLOP/s, a few
 * times what waking a worker costs.
 */
const PARALLEL_WORK = 1 << 18;

export class WasmGemm {
  readonly config: GemmKernelConfig;
  /** The compiled module, for a pool to instantiate on its workers. */
  readonly module: WebAssembly.Module;
  private readonly loopNests: Readonly<Record<string, LoopNest>>;
  /** The export of the loop nest `setRows` chose (by the micro-tile height). */
  private loopNest: string;
  private readonly elementBytes: number;
  /** The arguments of `blocked` after (j0, j1, part), rewritten by each call. */
  private readonly args: number[] = new Array<number>(BLOCKED_ARGS).fill(0);
  private pool: { readonly pool: WorkerPool; readonly id: number } | undefined;
  /** What `blockedArgs` returns, rewritten by each call. */
  private readonly blockedCall = { args: this.args, columns: 0, loopNest: "", transposed: false };

  /**
   * Compiles synchronously (once per configuration) unless `module` is given. The modules are
   * about 7.6 KiB (both tile heights), which Chrome compiles synchronously on the main thread
   * since version 115 (up to 8 MB; 4 KiB before, as the model's kernel module also needs);
   * `create` compiles asynchronously.
   */
  constructor(
    readonly memory: WebAssembly.Memory,
    options: WasmGemmOptions,
    module?: WebAssembly.Module,
  ) {
    this.config = defaultKernelConfig(options.precision, options.relaxed ?? false);
    this.elementBytes = options.precision === "f32" ? 4 : 8;
    const shared = isShared(memory);
    const key = cacheKey(this.config, shared);
    let compiled = module ?? modules.get(key);
    if (compiled === undefined) {
      compiled = new WebAssembly.Module(moduleBytes(this.config, shared));
      modules.set(key, compiled);
    }
    this.module = compiled;
    const instance = new WebAssembly.Instance(compiled, { env: { memory } });
    this.loopNests = instance.exports as unknown as Record<string, LoopNest>;
    this.loopNest = blockedExport(this.config, this.config.mr);
  }

  /** Compiles (asynchronously, once per configuration) and instantiates. */
  static async create(memory: WebAssembly.Memory, options: WasmGemmOptions): Promise<WasmGemm> {
    const config = defaultKernelConfig(options.precision, options.relaxed ?? false);
    const shared = isShared(memory);
    const key = cacheKey(config, shared);
    let compiled = modules.get(key);
    if (compiled === undefined) {
      compiled = await WebAssembly.compile(moduleBytes(config, shared));
      modules.set(key, compiled);
    }
    return new WasmGemm(memory, options, compiled);
  }

  /**
   * C (+)= op(A) op(B) for `batch` triples, as Backend.gemm; offsets in bytes, strides in
   * elements (0 reuses one matrix). `scratch`: gemmScratchBytes(m, n, k) bytes, 16-aligned, for
   * each thread of the pool given to `useThreads` (part p's at scratch + p * that size).
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
    scratch: number,
  ): void {
    if (m <= 0 || n <= 0) return;
    const E = this.elementBytes;
    for (let j = 0; j < batch; j++) {
      const aj = a + j * strideA * E;
      const bj = b + j * strideB * E;
      const cj = c + j * strideC * E;
      if (k <= 0) {
        if ((flags & ACCUMULATE) === 0) this.zero(cj, m, n, 0, n);
        continue;
      }
      const transposed = this.plan(aj, bj, cj, m, n, k, flags, scratch);
      this.setRows(0, transposed ? n : m);
      const columns = transposed ? m : n;
      const pool = this.pool;
      if (pool === undefined) {
        this.loopNests[this.loopNest]!(0, columns, 0, ...this.args);
        continue;
      }
      const grain = this.columnGrain(transposed ? n : m, k);
      const { nr } = this.config;
      pool.pool.parallelFor(pool.id, this.loopNest, this.args, columns, grain, nr, true);
    }
  }

  /**
   * Runs the GEMMs on `pool`'s threads from now on (its memory must be this one's): each splits
   * the columns of its product (of C, or its rows when the product is computed transposed) in
   * multiples of NR, each part with its own scratch (see `gemm`). Bits are those of 1 thread.
   */
  useThreads(pool: WorkerPool): void {
    this.pool = pool.threads > 1 ? { pool, id: pool.register(this.module) } : undefined;
  }

  /**
   * The columns of a product of `rows` rows and depth k below which a part is not worth a
   * thread (PARALLEL_WORK multiply-adds; at least NR): the grain `gemm` splits with.
   */
  columnGrain(rows: number, k: number): number {
    return Math.max(this.config.nr, Math.ceil(PARALLEL_WORK / (rows * k)));
  }

  /**
   * Its 4-row `blocked` loop nest on the calling thread, for a module that imports it
   * (conv2d-driver.ts), so that such a module shares this instance instead of another.
   */
  get blockedOnCaller(): WebAssembly.ExportValue {
    return this.loopNests["blocked"]!;
  }

  /** The id of its module in the pool given to `useThreads` (none with 1 thread). */
  get poolModuleId(): number | undefined {
    return this.pool?.id;
  }

  /** Threads a GEMM may use: each needs its own scratch. */
  get threads(): number {
    return this.pool?.pool.threads ?? 1;
  }

  /**
   * One triple, columns n0..n1 of C only, on the calling thread (threads can split N this way;
   * each needs its own scratch). Same arguments as `gemm` otherwise.
   */
  gemmColumns(
    a: number,
    b: number,
    c: number,
    m: number,
    n: number,
    k: number,
    flags: number,
    n0: number,
    n1: number,
    scratch: number,
  ): void {
    if (m <= 0 || n1 <= n0) return;
    if (k <= 0) {
      if ((flags & ACCUMULATE) === 0) this.zero(c, m, n, n0, n1);
      return;
    }
    if (this.plan(a, b, c, m, n, k, flags, scratch)) {
      this.setRows(n0, n1);
      this.loopNests[this.loopNest]!(0, m, 0, ...this.args);
    } else {
      this.setRows(0, m);
      this.loopNests[this.loopNest]!(n0, n1, 0, ...this.args);
    }
  }

  /**
   * The arguments of `blocked` after (j0, j1, part) for one triple over all rows of its product,
   * and `columns`, the j1 that covers all its columns: for wasm code that calls `blocked` itself
   * (the convolutions' per-image drivers, conv2d-driver.ts; the GEMM epilogue, epilogue.ts).
   * Same arguments as `gemm` (k > 0). Also: the export to call (`loopNest`, by the tile
   * height) and whether the product is computed transposed (its columns are then C's rows).
   * The result is reused (no allocation per call): it is valid until the next call of any
   * method.
   */
  blockedArgs(
    a: number,
    b: number,
    c: number,
    m: number,
    n: number,
    k: number,
    flags: number,
    scratch: number,
  ): {
    readonly args: readonly number[];
    readonly columns: number;
    readonly loopNest: string;
    readonly transposed: boolean;
  } {
    const transposed = this.plan(a, b, c, m, n, k, flags, scratch);
    this.setRows(0, transposed ? n : m);
    const call = this.blockedCall;
    call.columns = transposed ? m : n;
    call.loopNest = this.loopNest;
    call.transposed = transposed;
    return call;
  }

  /**
   * Fills `args` (all but the row range) for one triple and says whether the product is
   * computed transposed (C^T = op(B)^T op(A)^T: its rows are then C's columns).
   */
  private plan(
    a: number,
    b: number,
    c: number,
    m: number,
    n: number,
    k: number,
    flags: number,
    scratch: number,
  ): boolean {
    const { config, args } = this;
    const E = this.elementBytes;
    const layout = scratchLayout(config, m, n, k);
    // op(A)[i, p] = A(p, i) as an operand with lanes i; op(B)[p, j] with lanes j.
    const transA = (flags & TRANS_A) !== 0;
    const transB = (flags & TRANS_B) !== 0;
    const opA: Operand = { base: a, depth: (transA ? m : 1) * E, lane: (transA ? 1 : k) * E };
    const opB: Operand = { base: b, depth: (transB ? 1 : n) * E, lane: (transB ? k : 1) * E };
    const transposed = transposedProduct(config, m, n);
    const [x, y] = transposed ? [opB, opA] : [opA, opB];
    const blocking = BLOCKING[config.precision];
    args[X_BASE] = x.base;
    args[X_BASE + 1] = x.depth;
    args[X_BASE + 2] = x.lane;
    args[X_BASE + 3] = y.base;
    args[X_BASE + 4] = y.depth;
    args[X_BASE + 5] = y.lane;
    args[K] = k;
    args[K + 1] = c;
    args[K + 2] = transposed ? E : n * E;
    args[K + 3] = transposed ? n * E : E;
    args[K + 4] = (flags & ACCUMULATE) !== 0 ? 1 : 0;
    args[K + 5] = scratch;
    args[K + 6] = layout.bytes;
    args[K + 7] = layout.packB;
    args[K + 8] = layout.tile;
    args[K + 9] = depthBlock(k, config.precision);
    args[NC_LIMIT] = blocking.nc;
    return transposed;
  }

  /** Sets the product's row range, and what depends on it, in `args`. */
  private setRows(i0: number, i1: number): void {
    const { config, args } = this;
    args[I0] = i0;
    args[I0 + 1] = i1;
    const mr = rowTile(config, i1 - i0);
    this.loopNest = blockedExport(config, mr);
    args[MC_STEP] = evenBlock(i1 - i0, BLOCKING[config.precision].mc, mr);
    const yContiguous = args[X_BASE + 5] === this.elementBytes;
    args[NC_LIMIT + 1] = yContiguous && i1 - i0 <= IN_PLACE_ROWS ? 1 : 0;
  }

  private zero(c: number, m: number, n: number, n0: number, n1: number): void {
    const E = this.elementBytes;
    const view =
      E === 4
        ? new Float32Array(this.memory.buffer, c, m * n)
        : new Float64Array(this.memory.buffer, c, m * n);
    for (let i = 0; i < m; i++) view.fill(0, i * n + n0, i * n + n1);
  }
}
