/**
 * Optional system BLAS for the CPU backend, Node only: `cblas_sgemm` and `cblas_dgemm` of a
 * shared library (Debian's libopenblas0, BLIS, MKL, Apple's Accelerate) called through
 * `koffi`, whose prebuilt binaries come with the npm package (no native build).
 *
 * Assumes: buffers are Float32Array/Float64Array views (on a WebAssembly.Memory or not) whose
 * storage does not move during a call; the library's CBLAS follows the reference interface
 * (row-major 101, no-transpose 111, transpose 112).
 * Guarantees: `loadBlas("auto")` never throws: an absent library, a load error, a missing
 * symbol or a wrong answer on the 2x2 self-test of `sgemm` and `dgemm` (every transpose form,
 * both betas) moves on to the next candidate, and none left gives null. `loadBlas(PATH)`
 * throws a BlasLoadError, one line naming PATH and the reason, when PATH cannot serve. The
 * library's threads are pinned with `setThreads` (1 means it starts none) where the library
 * offers a way; the setting is process-wide, so the last backend to pin it wins.
 *
 * Node-only: nothing in the browser-safe runtime imports this file.
 */
import { createRequire } from "node:module";
import type * as KoffiModule from "koffi";
import type { FloatArray, GemmProvider } from "../backend.js";
import { ACCUMULATE, TRANS_A, TRANS_B } from "../backend.js";

type Koffi = typeof KoffiModule;
type LibraryHandle = ReturnType<Koffi["load"]>;

/** `--blas`: find one (`auto`), use none (`off`), or this library file. */
export type BlasChoice = "auto" | "off" | (string & {});

/** Which implementation a loaded library is, told from the symbols it exports. */
export type BlasName = "openblas" | "blis" | "mkl" | "accelerate" | "blas";

/**
 * What `auto` tries, in order: names resolve through the dynamic loader's search path. The
 * macOS framework path and the Windows name fail harmlessly elsewhere.
 */
export const blasCandidates: readonly string[] = [
  "libopenblas.so.0",
  "libopenblas.so",
  "libblis.so.4",
  "libblis.so",
  "libblas.so.3",
  "/System/Library/Frameworks/Accelerate.framework/Accelerate",
  "libopenblas.dll",
];

/**
 * Below this many multiply-adds per matrix (m n k), a GEMM stays in the backend: a call
 * through koffi costs about 0.4 us and OpenBLAS's packing more, which the wasm kernel wins.
 */
export const blasMinWork = 64 * 64 * 64;

/** A BLAS library that cannot serve an explicit `--blas PATH`: a user error, one line. */
export class BlasLoadError extends Error {
  override readonly name = "BlasLoadError";
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`cannot load BLAS library ${path}: ${reason}`);
  }
}

/** Row-major C (+)= op(A) op(B), C m x n, with `trans` flags as in Backend.gemm. */
export type BlasGemm<T extends FloatArray> = (
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: T,
  b: T,
  accumulate: boolean,
  c: T,
) => void;

/** A loaded, self-tested CBLAS library. */
export interface Blas {
  readonly name: BlasName;
  /** The file or name it was loaded from. */
  readonly path: string;
  readonly sgemm: BlasGemm<Float32Array>;
  readonly dgemm: BlasGemm<Float64Array>;
  /** Whether setThreads reaches the library (Accelerate offers no call for it). */
  readonly canSetThreads: boolean;
  /** Pins the library's threads to `threads` (a positive integer). */
  setThreads(threads: number): void;
}

export interface LoadBlasOptions {
  /** Pin the library's threads to this count once loaded (left as it is by default). */
  readonly threads?: number;
  /** What `auto` tries (blasCandidates by default). */
  readonly candidates?: readonly string[];
}

const ROW_MAJOR = 101;
const NO_TRANS = 111;
const TRANS = 112;

/** Loaded libraries by path (or name): dlopen and the self-test run once per process. */
const loaded = new Map<string, Blas | string>();

/**
 * The BLAS `choice` names: null for `off`, or for `auto` when no candidate serves; a
 * BlasLoadError when an explicit path cannot serve.
 */
export function loadBlas(choice: BlasChoice, options: LoadBlasOptions = {}): Blas | null {
  let blas: Blas | null = null;
  if (choice === "off") return null;
  if (choice === "auto") {
    for (const candidate of options.candidates ?? blasCandidates) {
      const result = loadCached(candidate);
      if (typeof result !== "string") {
        blas = result;
        break;
      }
    }
  } else {
    const result = loadCached(choice);
    if (typeof result === "string") throw new BlasLoadError(choice, result);
    blas = result;
  }
  if (blas && options.threads !== undefined) blas.setThreads(options.threads);
  return blas;
}

/**
 * Backend.gemm over `blas` for GEMMs of at least `minWork` multiply-adds per matrix; smaller
 * ones, and operands that overlap C, are left to the backend (returns false).
 */
export function blasGemmProvider(blas: Blas, minWork = blasMinWork): GemmProvider {
  return {
    name: blas.name,
    setThreads: (threads) => blas.setThreads(threads),
    gemm(a, b, c, m, n, k, flags, batch, strideA, strideB, strideC) {
      if (m * n * k < minWork || overlaps(c, a) || overlaps(c, b)) return false;
      if (a.constructor !== c.constructor || b.constructor !== c.constructor) return false;
      const gemm = (c instanceof Float64Array ? blas.dgemm : blas.sgemm) as BlasGemm<FloatArray>;
      const transA = (flags & TRANS_A) !== 0;
      const transB = (flags & TRANS_B) !== 0;
      const accumulate = (flags & ACCUMULATE) !== 0;
      gemm(transA, transB, m, n, k, a, b, accumulate, c);
      for (let j = 1; j < batch; j++) {
        gemm(
          transA,
          transB,
          m,
          n,
          k,
          a.subarray(j * strideA),
          b.subarray(j * strideB),
          accumulate,
          c.subarray(j * strideC),
        );
      }
      return true;
    },
  };
}

/** Whether the storage of two views intersects (BLAS needs C apart from A and B). */
function overlaps(x: FloatArray, y: FloatArray): boolean {
  return (
    x.buffer === y.buffer &&
    x.byteOffset < y.byteOffset + y.byteLength &&
    y.byteOffset < x.byteOffset + x.byteLength
  );
}

function loadCached(path: string): Blas | string {
  let result = loaded.get(path);
  if (result === undefined) {
    try {
      result = open(path);
    } catch (error) {
      result = reasonOf(error);
    }
    loaded.set(path, result);
  }
  return result;
}

/**
 * OpenBLAS's idle threads spin for 2^28 cycles (about 0.1 s) after each call before they sleep.
 * Between two BLAS calls the backend runs its own kernels on all cores (the worker pool), and a
 * spinning BLAS thread takes a core from them: T2 on 2 threads went 12.6-15.8 -> 10.2-11.4 ms a
 * step with the spin at its minimum (`OPENBLAS_THREAD_TIMEOUT=4`, 2^4 cycles; the cost is a
 * wake-up of a few microseconds per call, against calls of at least 64^3 multiply-adds). The
 * library reads the variable when it loads, so it is set before, unless the user set it.
 */
function quietIdleThreads(): void {
  process.env["OPENBLAS_THREAD_TIMEOUT"] ??= "4";
}

/** The library at `path`, self-tested, or the reason it cannot serve (thrown or returned). */
function open(path: string): Blas | string {
  const koffi = loadKoffi();
  if (typeof koffi === "string") return koffi;
  quietIdleThreads();
  const lib = koffi.load(path);
  const signature = (type: string, name: string): string =>
    `void ${name}(int, int, int, int, int, int, ${type}, const ${type} *, int, const ${type} *, int, ${type}, ${type} *, int)`;
  const sgemm = lib.func(signature("float", "cblas_sgemm"));
  const dgemm = lib.func(signature("double", "cblas_dgemm"));
  const blas: Blas = {
    name: identify(lib, path),
    path,
    sgemm: (transA, transB, m, n, k, a, b, accumulate, c) =>
      call(sgemm, transA, transB, m, n, k, a, b, accumulate, c),
    dgemm: (transA, transB, m, n, k, a, b, accumulate, c) =>
      call(dgemm, transA, transB, m, n, k, a, b, accumulate, c),
    ...threadSetter(lib),
  };
  return selfTestBlas(blas) ?? blas;
}

/** koffi, required synchronously (model creation is synchronous), or why it is missing. */
function loadKoffi(): Koffi | string {
  try {
    return createRequire(import.meta.url)("koffi") as Koffi;
  } catch (error) {
    return `the koffi package cannot be loaded (${reasonOf(error)})`;
  }
}

/** One cblas_?gemm call; shapes the BLAS would reject (a zero dimension) never reach it. */
function call<T extends FloatArray>(
  gemm: (...args: unknown[]) => unknown,
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: T,
  b: T,
  accumulate: boolean,
  c: T,
): void {
  if (m === 0 || n === 0) return;
  if (k === 0) {
    // op(A) op(B) is an empty sum: zero, or nothing to add.
    if (!accumulate) c.fill(0, 0, m * n);
    return;
  }
  // Row-major leading dimensions are the stored row lengths.
  const lda = transA ? m : k;
  const ldb = transB ? k : n;
  gemm(
    ROW_MAJOR,
    transA ? TRANS : NO_TRANS,
    transB ? TRANS : NO_TRANS,
    m,
    n,
    k,
    1,
    a,
    lda,
    b,
    ldb,
    accumulate ? 1 : 0,
    c,
    n,
  );
}

function hasSymbol(lib: LibraryHandle, name: string, signature: string): boolean {
  try {
    lib.func(signature.replace("NAME", name));
    return true;
  } catch {
    return false;
  }
}

function identify(lib: LibraryHandle, path: string): BlasName {
  if (hasSymbol(lib, "openblas_get_config", "const char *NAME()")) return "openblas";
  if (hasSymbol(lib, "bli_info_get_version_str", "const char *NAME()")) return "blis";
  if (hasSymbol(lib, "MKL_Get_Max_Threads", "int NAME()")) return "mkl";
  if (path.includes("Accelerate.framework")) return "accelerate";
  return "blas";
}

/** setThreads over the first thread-count entry the library exports. */
function threadSetter(lib: LibraryHandle): Pick<Blas, "canSetThreads" | "setThreads"> {
  const entries: readonly [name: string, type: string][] = [
    ["openblas_set_num_threads", "int"],
    ["goto_set_num_threads", "int"],
    // BLIS counts threads in dim_t, a 64-bit integer in its default build.
    ["bli_thread_set_num_threads", "int64_t"],
    ["MKL_Set_Num_Threads", "int"],
  ];
  for (const [name, type] of entries) {
    let set: ((threads: number | bigint) => unknown) | undefined;
    try {
      set = lib.func(`void ${name}(${type})`) as (threads: number | bigint) => unknown;
    } catch {
      continue;
    }
    return {
      canSetThreads: true,
      setThreads(threads) {
        if (!(Number.isInteger(threads) && threads >= 1)) {
          throw new RangeError(`threads must be a positive integer, not ${String(threads)}`);
        }
        set(type === "int64_t" ? BigInt(threads) : threads);
      },
    };
  }
  return { canSetThreads: false, setThreads: () => undefined };
}

/**
 * Null when both entries give exact answers on small integer matrices (exactly representable,
 * so any correct summation order agrees): every transpose form, overwrite and accumulate.
 * Otherwise the reason the library is not used.
 */
export function selfTestBlas(blas: Pick<Blas, "sgemm" | "dgemm">): string | null {
  // A = [[1, 2], [3, 4]], B = [[5, 6], [7, 8]]; the four products and AB + AB.
  const a = [1, 2, 3, 4];
  const b = [5, 6, 7, 8];
  const cases: readonly [transA: boolean, transB: boolean, accumulate: boolean, want: number[]][] =
    [
      [false, false, false, [19, 22, 43, 50]],
      [true, false, false, [26, 30, 38, 44]],
      [false, true, false, [17, 23, 39, 53]],
      [true, true, false, [23, 31, 34, 46]],
      [false, false, true, [38, 44, 86, 100]],
    ];
  for (const [precision, gemm, Array] of [
    ["sgemm", blas.sgemm, Float32Array],
    ["dgemm", blas.dgemm, Float64Array],
  ] as const) {
    for (const [transA, transB, accumulate, want] of cases) {
      const c = new Array(accumulate ? [19, 22, 43, 50] : [0, 0, 0, 0]);
      (gemm as BlasGemm<FloatArray>)(
        transA,
        transB,
        2,
        2,
        2,
        new Array(a),
        new Array(b),
        accumulate,
        c,
      );
      if (c.some((v, i) => v !== want[i])) {
        return `its ${precision} gives a wrong answer on a 2x2 self-test`;
      }
    }
  }
  return null;
}

/** A load error's message, without koffi's prefix when it only repeats the situation. */
function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^Failed to load shared library: /, "").trim() || "unknown error";
}

/**
 * The GEMM provider `choice` names (`--blas`, the create option `blas`), for CreateOptions'
 * `gemm`: undefined for `off` or when `auto` finds nothing; a BlasLoadError for an explicit
 * path that cannot serve. `minWork` is blasGemmProvider's threshold (0 sends every GEMM).
 */
export function blasGemm(
  choice: BlasChoice,
  options: LoadBlasOptions & { readonly minWork?: number } = {},
): GemmProvider | undefined {
  const blas = loadBlas(choice, options);
  return blas === null ? undefined : blasGemmProvider(blas, options.minWork);
}
