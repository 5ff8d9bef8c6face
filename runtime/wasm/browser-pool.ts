/**
 * Browsers: the worker pool on Web Workers started from a Blob URL of the pool's inlined
 * source (nothing loads from a URL of its own, so it works from a bundle). Threads need
 * SharedArrayBuffer, i.e. a cross-origin-isolated page; elsewhere use one thread. On the page's
 * main thread the caller may not block, so it spins while workers run; from a worker it sleeps
 * in Atomics.wait like in Node. Browser-only globals are reached through globalThis (the project
 * compiles without the DOM lib).
 */
import { type PoolMemory, type WorkerHost, WorkerPool } from "./pool.js";

interface BrowserWorker {
  postMessage(message: unknown): void;
  terminate(): void;
  addEventListener(type: "message" | "error", listener: (event: unknown) => void): void;
}

interface BrowserGlobals {
  readonly Worker?: new (url: string) => BrowserWorker;
  readonly Blob?: new (parts: string[], options: { type: string }) => unknown;
  readonly URL: { createObjectURL(blob: unknown): string };
  readonly navigator?: { readonly hardwareConcurrency?: number };
  readonly crossOriginIsolated?: boolean;
}

const browser = globalThis as unknown as BrowserGlobals;

export const browserWorkerHost: WorkerHost = {
  prelude: `const listen = (handler) => self.addEventListener("message", (event) => handler(event.data));
const post = (message) => self.postMessage(message);
const exit = () => self.close();`,
  spawn(source, events) {
    if (browser.Worker === undefined || browser.Blob === undefined) {
      throw new Error("this environment has no Web Workers");
    }
    const url = browser.URL.createObjectURL(
      new browser.Blob([source], { type: "text/javascript" }),
    );
    const worker = new browser.Worker(url);
    worker.addEventListener("message", (event) =>
      events.message((event as { data: unknown }).data),
    );
    worker.addEventListener("error", (event) =>
      events.error((event as { message?: unknown }).message ?? event),
    );
    return {
      postMessage: (message) => worker.postMessage(message),
      terminate: () => {
        worker.terminate();
        events.exit();
      },
    };
  },
};

/** Threads available: all cores where memory can be shared, else 1. */
export function browserThreadCount(): number {
  const shareable =
    typeof SharedArrayBuffer === "function" && browser.crossOriginIsolated !== false;
  return shareable ? Math.max(1, browser.navigator?.hardwareConcurrency ?? 1) : 1;
}

export interface BrowserWorkerPoolOptions {
  readonly memory: PoolMemory;
  /** Threads including the caller; browserThreadCount() by default. */
  readonly threads?: number;
  readonly spinMicroseconds?: number;
  readonly timeoutMs?: number;
}

/** A pool whose workers have all started. */
export async function createBrowserWorkerPool(
  options: BrowserWorkerPoolOptions,
): Promise<WorkerPool> {
  const pool = new WorkerPool({
    ...options,
    threads: options.threads ?? browserThreadCount(),
    host: browserWorkerHost,
  });
  try {
    await pool.ready;
  } catch (error) {
    await pool.dispose();
    throw error;
  }
  return pool;
}
