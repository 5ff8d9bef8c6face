/**
 * What the runtime takes from the platform it runs on, and the backends registered by name
 * beside the built-in CPU ones. Browser-safe: the browser's defaults are built in (Web Workers
 * from blob URLs, one thread when the page is not cross-origin isolated, `navigator.gpu`);
 * Node's come from `nnc/runtime/node`, which registers them when imported
 * (`registerPlatform`), so that this core never imports a `node:` module.
 *
 * Assumes: registrations happen at import time, before any backend is created.
 * Guarantees: `currentPlatform()` always answers (the browser defaults until something is
 * registered; where neither Workers nor shared memory exist, one thread and no pool). The
 * registries live on `globalThis` (under a `Symbol.for` key), so every copy of the runtime in
 * one program shares them: a bundled module's runtime sees what `nnc/runtime/node` registered,
 * as does generated code loaded from a `data:` URL beside the CLI's runtime.
 */
import type { Backend, GemmProvider, Precision } from "./backend.js";
import { browserThreadCount, createBrowserWorkerPool } from "./wasm/browser-pool.js";
import { createSharedMemory } from "./wasm/memory.js";
import type { WorkerPool } from "./wasm/pool.js";

/** How the runtime reaches threads, BLAS and the GPU where it runs. */
export interface Platform {
  /** "browser" (the built-in default) or what registered it ("node"). */
  readonly name: string;
  /** Threads the cpu backend uses when none are asked for (all cores where workers can share memory). */
  defaultThreads(): number;
  /** A started pool of `threads` threads over a new shared memory, or undefined where memory cannot be shared. */
  createPool(threads: number): Promise<WorkerPool | undefined>;
  /** The GEMM the cpu backend tries first for `blas` ("auto", "off" or a library); none by default. */
  gemm?(blas: string): GemmProvider | undefined;
  /** The WebGPU entry point (`GPU`) when the caller gives none; `navigator.gpu` by default. */
  gpu?(): Promise<unknown>;
}

interface BrowserGlobals {
  readonly Worker?: unknown;
  readonly navigator?: { readonly gpu?: unknown };
}

const browserGlobals = globalThis as unknown as BrowserGlobals;

/** The built-in platform: a page or a worker (or any engine with neither, on one thread). */
export const browserPlatform: Platform = {
  name: "browser",
  defaultThreads: () => (browserGlobals.Worker === undefined ? 1 : browserThreadCount()),
  async createPool(threads) {
    const memory = browserGlobals.Worker === undefined ? null : createSharedMemory();
    return memory === null ? undefined : createBrowserWorkerPool({ memory, threads });
  },
  gpu: () => Promise.resolve(browserGlobals.navigator?.gpu),
};

/** What the registries hold, shared by every copy of the runtime (see the module comment). */
interface Registry {
  platform: Platform;
  readonly factories: Map<string, BackendFactory>;
}

const registryKey = Symbol.for("nnc.runtime.registry");

function registry(): Registry {
  const holder = globalThis as unknown as { [registryKey]?: Registry };
  return (holder[registryKey] ??= { platform: browserPlatform, factories: new Map() });
}

/** Replaces the platform's defaults with `overrides` (what `nnc/runtime/node` does on import). */
export function registerPlatform(overrides: Partial<Platform> & { readonly name: string }): void {
  const shared = registry();
  shared.platform = { ...shared.platform, ...overrides };
}

/** The platform in use. */
export function currentPlatform(): Platform {
  return registry().platform;
}

/** What a registered backend factory is given (see createBackend's options). */
export interface BackendFactoryOptions {
  readonly precision?: Precision;
  /** The WebGPU entry point (`GPU`) to use; the platform's when absent. */
  readonly gpu?: unknown;
}

/** Makes a backend asynchronously (a device is requested, shaders compiled, ...). */
export type BackendFactory = (options: BackendFactoryOptions) => Promise<Backend>;

/**
 * Makes `createBackend(name)` call `factory` ("webgpu": registered by runtime/webgpu);
 * undefined removes the registration.
 */
export function registerBackend(name: string, factory: BackendFactory | undefined): void {
  if (factory === undefined) registry().factories.delete(name);
  else registry().factories.set(name, factory);
}

/** The factory registered under `name`, if any. */
export function registeredBackend(name: string): BackendFactory | undefined {
  return registry().factories.get(name);
}
