/**
 * The CPU backend variants every backend-exercising suite runs on (issue 8: backends stay
 * interchangeable). Each names how a model asks for it (`backend` and `threads` in the create
 * options) and the command-line flags that select it. Suites parametrise with
 * `describe.each(cpuVariants)`; a new variant (wasm on N threads, BLAS) is one more row here.
 */
import type { GemmProvider, HostBackend, Precision } from "../../runtime/backend.js";
import { type BackendOptions, createCpuBackendNow } from "../../runtime/backends.js";
import { blasGemmProvider, loadBlas } from "../../runtime/node/blas.js";
import { testPool } from "./pools.js";

export interface CpuVariant {
  /** How test titles name it. */
  readonly name: string;
  /** The backend name of the create options and of `--backend`. */
  readonly backend: "cpu" | "js";
  readonly threads: number;
  /** The `nnc train`/`nnc predict` flags that select it. */
  readonly args: readonly string[];
  /** A GEMM the backend tries first (system BLAS). */
  readonly gemm?: GemmProvider;
  /** Environment of a spawned `nnc` (NNC_BLAS_MIN_WORK=0: every GEMM to BLAS). */
  readonly env?: Readonly<Record<string, string>>;
}

/** The system BLAS, when the machine has one (CI installs libopenblas0). */
const blas = loadBlas("auto");

export const cpuVariants: readonly CpuVariant[] = [
  { name: "js", backend: "js", threads: 1, args: ["--backend", "js"] },
  {
    name: "wasm",
    backend: "cpu",
    threads: 1,
    args: ["--backend", "cpu", "--threads", "1", "--blas", "off"],
  },
  // GEMMs split over columns and large kernels over elements, on a pool: the bits of 1 thread.
  {
    name: "wasm-2threads",
    backend: "cpu",
    threads: 2,
    args: ["--backend", "cpu", "--threads", "2", "--blas", "off"],
  },
  // Every GEMM, however small, through the library: the variant tests BLAS, not the threshold.
  ...(blas === null
    ? []
    : [
        {
          name: `blas ${blas.name}`,
          backend: "cpu" as const,
          threads: 1,
          args: ["--backend", "cpu", "--threads", "1", "--blas", blas.path],
          gemm: blasGemmProvider(blas, 0),
          env: { NNC_BLAS_MIN_WORK: "0" },
        },
      ]),
];

/**
 * The WebGPU backend as a variant of the suites that compare backends with a reference
 * (conformance): f32, within |a - b| <= 1e-5 + 1e-3 |b|, on Node's GPU (Mesa's llvmpipe in CI).
 */
export const webgpuVariant = {
  name: "webgpu",
  backend: "webgpu",
  threads: 1,
  args: ["--backend", "webgpu"],
} as const;

export type BackendVariant = CpuVariant | typeof webgpuVariant;

/** The CPU variants and WebGPU. */
export const backendVariants: readonly BackendVariant[] = [...cpuVariants, webgpuVariant];

/** createCpuBackendNow of the runtime in use (tests of built code pass dist's). */
type CreateBackend = (choice: "cpu" | "js", options: BackendOptions) => HostBackend;

/** A backend of `variant` in `precision`, on the variant's shared test pool. */
export function variantBackend(
  variant: CpuVariant,
  precision: Precision,
  create: CreateBackend = createCpuBackendNow,
): HostBackend {
  return create(variant.backend, {
    precision,
    threads: variant.threads,
    ...(variant.gemm ? { gemm: variant.gemm } : {}),
    ...(variant.backend === "cpu" && variant.threads > 1
      ? { pool: testPool(variant.threads) }
      : {}),
  });
}

/**
 * `nnc` arguments with the variant's flags right after the command, so that a flag the test
 * gives itself (a bad `--backend`) comes later and wins.
 */
export function withVariant(variant: CpuVariant, args: readonly string[]): string[] {
  return [args[0]!, ...variant.args, ...args.slice(1)];
}
