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
 * panels, not a scalar path. Summation order per element of C: depth blocks in order, and
 * within one, p in order (one accumulator per element), so results depend on neither the
 * column range nor the thread count.
 *
 * The caller owns the memory and gives each call a scratch region of `gemmScratchBytes(...)`
 * bytes for the packed panels (one per concurrent caller). Compiled modules are cached per
 * (precision, relaxed, shared memory). Relaxed SIMD must be probed by the caller
 * (`relaxedSimdSupported()`); asking for it where the engine lacks it throws.
 */
import { ACCUMULATE, TRANS_A, TRANS_B } from "../backend.js";
import {
  buildGemmModule,
  defaultKernelConfig,
  type GemmKernelConfig,
  type GemmPrecision,
} from "./gemm-kernels.js";

export type { GemmPrecision } from "./gemm-kernels.js";

export interface WasmGemmOptions {
  readonly precision: GemmPrecision;
  /** Use `relaxed_madd`; default: mul then add. */
  readonly relaxed?: boolean;
}

/** Block limits in elements: depth, rows of A, columns of B (multiples of MR, NR, unroll). */
interface Blocking {
  readonly kc: number;
  readonly mc: number;
  readonly nc: number;
}

const BLOCKING: Readonly<Record<GemmPrecision, Blocking>> = {
  f32: { kc: 256, mc: 128, nc: 1024 },
  f64: { kc: 128, mc: 128, nc: 1024 },
};

/** Alignment of each scratch part: a cache line. */
const ALIGN = 64;

const roundUp = (x: number, unit: number): number => Math.ceil(x / unit) * unit;

/** The block size (a multiple of `unit`, at most `limit`) that cuts `extent` most evenly. */
function evenBlock(extent: number, limit: number, unit: number): number {
  const blocks = Math.ceil(extent / limit);
  return roundUp(Math.ceil(extent / blocks), unit);
}

interface ScratchLayout {
  readonly packA: number;
  readonly packB: number;
  readonly tile: number;
  readonly bytes: number;
}

function scratchLayout(config: GemmKernelConfig, m: number, n: number, k: number): ScratchLayout {
  const { kc, mc, nc } = BLOCKING[config.precision];
  const E = config.precision === "f32" ? 4 : 8;
  const depth = roundUp(Math.min(Math.max(k, 1), kc), config.unroll);
  const rows = roundUp(Math.min(Math.max(m, 1), mc), config.mr);
  const columns = roundUp(Math.min(Math.max(n, 1), nc), config.nr);
  const packA = 0;
  const packB = roundUp(packA + rows * depth * E, ALIGN);
  const tile = roundUp(packB + columns * depth * E, ALIGN);
  return { packA, packB, tile, bytes: roundUp(tile + config.mr * config.nr * E, ALIGN) };
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

interface GemmExports {
  pack_a(
    src: number,
    sp: number,
    sc: number,
    kc: number,
    kcp: number,
    count: number,
    dst: number,
  ): void;
  pack_b(
    src: number,
    sp: number,
    sc: number,
    kc: number,
    kcp: number,
    count: number,
    dst: number,
  ): void;
  macro(
    pa: number,
    pb: number,
    c: number,
    mc: number,
    nc: number,
    kcp: number,
    ldc: number,
    accumulate: number,
    tile: number,
  ): void;
}

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

export class WasmGemm {
  readonly config: GemmKernelConfig;
  private readonly exports: GemmExports;
  private readonly elementBytes: number;

  /**
   * Compiles synchronously unless `module` (from `WasmGemm.compile`) is given; browsers allow
   * synchronous compilation of large modules only off the main thread, so use `create` there.
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
    const instance = new WebAssembly.Instance(compiled, { env: { memory } });
    this.exports = instance.exports as unknown as GemmExports;
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
   * elements (0 reuses one matrix). `scratch`: gemmScratchBytes(m, n, k) bytes, 16-aligned.
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
    const E = this.elementBytes;
    for (let j = 0; j < batch; j++) {
      this.gemmColumns(
        a + j * strideA * E,
        b + j * strideB * E,
        c + j * strideC * E,
        m,
        n,
        k,
        flags,
        0,
        n,
        scratch,
      );
    }
  }

  /**
   * One triple, columns n0..n1 of C only (so that threads can split N; each needs its own
   * scratch). Same arguments as `gemm` otherwise.
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
    const E = this.elementBytes;
    const accumulate = (flags & ACCUMULATE) !== 0;
    if (k <= 0) {
      if (!accumulate) this.zero(c, m, n, n0, n1);
      return;
    }
    const { config } = this;
    const layout = scratchLayout(config, m, n, k);
    const packA = scratch + layout.packA;
    const packB = scratch + layout.packB;
    const tile = scratch + layout.tile;
    // X(p, i) = op(A)[i, p] at a + p*aDepth + i*aLane; X(p, j) = op(B)[p, j] likewise.
    const transA = (flags & TRANS_A) !== 0;
    const transB = (flags & TRANS_B) !== 0;
    const aDepth = (transA ? m : 1) * E;
    const aLane = (transA ? 1 : k) * E;
    const bDepth = (transB ? 1 : n) * E;
    const bLane = (transB ? k : 1) * E;
    const ldc = n * E;
    const blocking = BLOCKING[config.precision];
    const ncStep = evenBlock(n1 - n0, blocking.nc, config.nr);
    const kcStep = evenBlock(k, blocking.kc, config.unroll);
    const mcStep = evenBlock(m, blocking.mc, config.mr);
    const { pack_a, pack_b, macro } = this.exports;
    for (let jc = n0; jc < n1; jc += ncStep) {
      const nc = Math.min(ncStep, n1 - jc);
      for (let pc = 0; pc < k; pc += kcStep) {
        const kc = Math.min(kcStep, k - pc);
        const kcp = roundUp(kc, config.unroll);
        pack_b(b + pc * bDepth + jc * bLane, bDepth, bLane, kc, kcp, nc, packB);
        const add = accumulate || pc > 0 ? 1 : 0;
        for (let ic = 0; ic < m; ic += mcStep) {
          const mc = Math.min(mcStep, m - ic);
          pack_a(a + pc * aDepth + ic * aLane, aDepth, aLane, kc, kcp, mc, packA);
          macro(packA, packB, c + ic * ldc + jc * E, mc, nc, kcp, ldc, add, tile);
        }
      }
    }
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
