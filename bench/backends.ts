/**
 * The CPU backends the benchmark measures, found in what the runtime exports: every function
 * named `create…Backend` is called with `{ precision: "f32", threads }` (it may return a promise)
 * and the backend it returns is measured. A new backend appears in every table by being exported
 * that way; its label comes from `LABELS` (by class name), else its `variant` or class name.
 * A backend that can run on several threads says so with a numeric `threads` property above 1
 * when asked for several; the others are measured at one thread only.
 */
import * as runtime from "../runtime/index.js";
import type { Backend } from "../runtime/index.js";

/** Display names of known backend classes. */
const LABELS: Readonly<Record<string, string>> = { CpuBackend: "js", WasmBackend: "wasm" };

export interface BackendChoice {
  /** The runtime export that creates it (`createCpuBackend`). */
  readonly factory: string;
  /** Its name in tables (`js`, `wasm`). */
  readonly label: string;
  /** The thread counts it is measured at (1, and all cores when it runs on several). */
  readonly threads: readonly number[];
}

type Factory = (options: { precision: "f32"; threads: number }) => Backend | Promise<Backend>;

/** What a backend may offer beyond the Backend contract. */
interface BackendExtras {
  readonly threads?: unknown;
  readonly variant?: unknown;
  dispose?(): void;
}

function factories(): Map<string, Factory> {
  const found = new Map<string, Factory>();
  for (const [name, value] of Object.entries(runtime as Readonly<Record<string, unknown>>)) {
    if (/^create\w*Backend$/.test(name) && typeof value === "function") {
      found.set(name, value as Factory);
    }
  }
  return found;
}

/** A backend from the runtime's `factory`, for `threads` threads. */
export async function createBackend(factory: string, threads: number): Promise<Backend> {
  const create = factories().get(factory);
  if (!create) throw new Error(`the runtime exports no backend factory ${factory}`);
  return await create({ precision: "f32", threads });
}

/** Frees what a backend holds (workers, memory) when it can. */
export function disposeBackend(backend: Backend): void {
  (backend as Backend & BackendExtras).dispose?.();
}

/** Every backend the runtime exports, each once, with the thread counts to measure it at. */
export async function detectBackends(allThreads: number): Promise<BackendChoice[]> {
  const choices: BackendChoice[] = [];
  for (const factory of factories().keys()) {
    let backend: Backend;
    try {
      backend = await createBackend(factory, allThreads);
    } catch {
      continue; // not usable here (e.g. needs an engine feature): not measured
    }
    const extras = backend as Backend & BackendExtras;
    const className = backend.constructor.name;
    const label =
      LABELS[className] ??
      (typeof extras.variant === "string" ? extras.variant : className.replace(/Backend$/, ""));
    const threaded = typeof extras.threads === "number" && extras.threads > 1;
    disposeBackend(backend);
    if (choices.some((c) => c.label === label)) continue;
    choices.push({
      factory,
      label: label.toLowerCase(),
      threads: threaded && allThreads > 1 ? [1, allThreads] : [1],
    });
  }
  return choices;
}
