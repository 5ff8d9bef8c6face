/**
 * What a generated model is created with: the options of `Model.create` (backend, seed,
 * threads, ...), the setup `create` hands the constructor, and the runtime API version that
 * generated modules record. Browser-safe.
 */
import type { Backend, GemmProvider, Kernel, KernelWasm } from "./backend.js";
import type { BackendChoice } from "./backends.js";
import type { WorkerPool } from "./wasm/pool.js";

/**
 * The version of the interface between generated modules and this runtime (the base class,
 * Backend, the kernel record). A module passes the number it was generated for to the base
 * class, which refuses any other: rebuild the module.
 */
export const RUNTIME_API_VERSION = 2;

/** A model used in a way it does not support (training a model without a loss). */
export class ModelError extends Error {
  override readonly name = "ModelError";
}

/** The options of `await Model.create(options)`. */
export interface CreateOptions {
  /**
   * Where to run: "cpu" (the default: WebAssembly, every buffer in one memory, on worker
   * threads), "js" (the plain JavaScript reference), "webgpu" (when runtime/webgpu is
   * loaded), or a Backend made by the caller (which the caller disposes).
   */
  readonly backend?: BackendChoice;
  /** Seed for the initial weights (the model's `train { seed }` by default). */
  readonly seed?: number;
  /**
   * Threads of the cpu backend (a positive integer; 1 starts no worker): by default all cores
   * in Node (with `nnc/runtime/node` imported), in a page all cores when it is cross-origin
   * isolated and 1 otherwise.
   */
  readonly threads?: number;
  /**
   * System BLAS for the cpu backend: "auto", "off" (the default) or a library file; Node only
   * (`nnc/runtime/node`), ignored elsewhere.
   */
  readonly blas?: "auto" | "off" | (string & {});
  /** The webgpu backend's `GPU`: `navigator.gpu` by default, in Node the `webgpu` package's. */
  readonly gpu?: unknown;
  /**
   * A worker pool the cpu backend runs on instead of starting its own; the caller disposes it
   * after the model.
   */
  readonly pool?: WorkerPool;
  /** A GEMM the cpu backend tries first (instead of `blas`). */
  readonly gemm?: GemmProvider;
}

/**
 * What `create` gives a generated model's constructor: the backend it made, and the options.
 * Programs make models with `await Model.create(options)`, never with `new`.
 */
export interface ModelSetup {
  readonly backend: Backend;
  /** Whether the model disposes the backend with itself (it made it). */
  readonly ownsBackend: boolean;
  readonly options: CreateOptions;
}

/** A generated module's kernels, and their WebAssembly (see Backend.prepareKernels). */
export interface ModelKernels {
  readonly kernels: Readonly<Record<string, Kernel>>;
  readonly wasm: KernelWasm;
}
