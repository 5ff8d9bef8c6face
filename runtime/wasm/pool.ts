/**
 * A persistent pool of threads over one shared WebAssembly memory: the calling thread and
 * `threads - 1` workers run the same wasm functions on disjoint ranges of [0, total).
 *
 * ```ts
 * const pool = await createNodeWorkerPool({ memory, threads: 2 }); // or createBrowserWorkerPool
 * const kernels = pool.register(module);             // instantiated on every thread
 * pool.parallelFor(kernels, "add", [n, a, b, out], n, 16384, 4); // calls add(begin, end, n, a, b, out)
 * pool.dispose();
 * ```
 *
 * Assumes: `memory` is shared whenever `threads > 1`; a registered module imports at most that
 * memory and `Math` functions (see ImportEntry); its range functions take (begin, end, ...i32)
 * and write only what their range owns. One call at a time (the pool is not reentrant).
 *
 * Guarantees:
 * - Deterministic split: the ranges depend only on (total, grain, align, threads) (see
 *   `splitRange`), never on timing, so a given thread count gives the same bits run to run.
 * - Work whose split would have one part (total < 2 * grain, or one thread) runs inline on the
 *   calling thread: no worker is woken.
 * - A trap or exception in any thread is thrown on the caller as a WorkerPoolError after every
 *   thread has finished the command; the pool stays usable. A worker that neither finishes nor
 *   fails within `timeoutMs` (it died or hung) breaks the pool: the call throws, as does every
 *   later one, until `dispose`.
 * - Workers are commanded through shared memory (see pool-protocol.ts): no message, no
 *   allocation per call. They spin briefly on their slot, then sleep in Atomics.wait; the caller
 *   spins briefly on PENDING, then sleeps in Atomics.wait where it may block (Node, workers) and
 *   keeps spinning where it may not (a browser's main thread).
 *
 * Browser-safe: the platform (how to start a worker) comes from `WorkerHost`.
 */
import {
  ARGC,
  ARGS,
  BEGIN,
  END,
  ERROR,
  ERROR_LENGTH,
  EXPORT,
  GENERATION,
  type ImportEntry,
  MAX_ARGS,
  MODULE,
  OP,
  OP_RUN,
  OP_STOP,
  OP_YIELD,
  PENDING,
  PROBE,
  SLOT_INTS,
  SLOTS,
  SPIN_CHECK,
  TEXT_UNITS,
  WITH_PART,
  type WorkerPrelude,
  controlBytes,
  extraMath,
  textWordOffset,
  workerSource,
} from "./pool-protocol.js";
import { partCount, partStart } from "./pool-split.js";

export { MAX_ARGS, type ImportEntry } from "./pool-protocol.js";
export { splitRange } from "./pool-split.js";

/** The memory the pool's modules import: a WebAssembly.Memory. */
export interface PoolMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}

/** One started worker, as the platform gives it. */
export interface PoolWorker {
  postMessage(message: unknown): void;
  terminate(): Promise<unknown> | void;
}

/** What the pool hears from a worker outside commands. */
export interface PoolWorkerEvents {
  message(data: unknown): void;
  /** An exception outside a command (a command's own failure comes through the command area). */
  error(error: unknown): void;
  exit(): void;
}

/** How to start a worker on this platform. */
export interface WorkerHost {
  /** Defines listen(handler), post(message) and exit() in the worker (see workerSource). */
  readonly prelude: WorkerPrelude;
  spawn(source: string, events: PoolWorkerEvents): PoolWorker;
}

export interface WorkerPoolOptions {
  readonly memory: PoolMemory;
  /** Threads including the caller; 1 means no workers. */
  readonly threads: number;
  /** Required when threads > 1. */
  readonly host?: WorkerHost;
  /**
   * How long a thread polls with Atomics.load before it sleeps in Atomics.wait: a worker waiting
   * for its next command, the caller waiting for workers. Long enough to cover the gap between
   * back-to-back calls and a worker's wake-up; short, because a spinning thread holds a core
   * that, on a loaded machine, the thread it waits for may need. 0: sleep at once.
   */
  readonly spinMicroseconds?: number;
  /** How long the caller waits for workers before declaring the pool broken. */
  readonly timeoutMs?: number;
}

/** A failure in a pooled call: a trap or exception in some thread, or a dead pool. */
export class WorkerPoolError extends Error {
  override readonly name = "WorkerPoolError";
}

interface RegisteredModule {
  readonly instance: WebAssembly.Instance;
  readonly exportIndex: ReadonlyMap<string, number>;
  readonly functions: readonly ((...args: number[]) => unknown)[];
}

interface ModuleReflection {
  imports(module: WebAssembly.Module): { module: string; name: string; kind: string }[];
  exports(module: WebAssembly.Module): { name: string; kind: string }[];
}

const DEFAULT_SPIN_MICROSECONDS = 20;
/** Import modules whose functions are `Math`'s of the same name. */
const MATH_MODULES: ReadonlySet<string> = new Set(["math", "Math"]);
const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * How every thread satisfies `module`'s imports; throws for one the pool cannot provide.
 * `links`: import module names whose functions are the exports of registered modules (by id).
 */
export function importPlan(
  module: WebAssembly.Module,
  links: Readonly<Record<string, number>> = {},
): ImportEntry[] {
  const reflect = WebAssembly.Module as unknown as ModuleReflection;
  return reflect.imports(module).map(({ module: space, name, kind }): ImportEntry => {
    if (kind === "memory") return { kind: "memory", module: space, name };
    const moduleId = Object.hasOwn(links, space) ? links[space] : undefined;
    if (kind === "function" && moduleId !== undefined) {
      return { kind: "export", module: space, name, moduleId };
    }
    const math = Math as unknown as Record<string, unknown>;
    const known = typeof math[name] === "function" || Object.hasOwn(extraMath, name);
    if (kind === "function" && MATH_MODULES.has(space) && known) {
      return { kind: "math", module: space, name };
    }
    throw new WorkerPoolError(
      `the pool cannot provide import ${space}.${name} (${kind}): only the memory, math.<Math function> and math.erf`,
    );
  });
}

function importsOf(
  plan: readonly ImportEntry[],
  memory: PoolMemory,
  exportsOf: (moduleId: number) => WebAssembly.Exports,
): WebAssembly.Imports {
  const imports: Record<string, Record<string, WebAssembly.ImportValue>> = {};
  const math = Math as unknown as Record<string, WebAssembly.ImportValue>;
  for (const entry of plan) {
    const space = (imports[entry.module] ??= {});
    space[entry.name] =
      entry.kind === "memory"
        ? (memory as unknown as WebAssembly.Memory)
        : entry.kind === "export"
          ? exportsOf(entry.moduleId)[entry.name]!
          : (extraMath[entry.name] ?? math[entry.name]!);
  }
  return imports;
}

function isShared(memory: PoolMemory): boolean {
  return typeof SharedArrayBuffer === "function" && memory.buffer instanceof SharedArrayBuffer;
}

export class WorkerPool {
  readonly threads: number;
  /** The memory its modules import (a WebAssembly.Memory), for a backend to allocate in. */
  readonly memory: PoolMemory;
  /** Resolves when every worker has started; rejects if one fails to. */
  readonly ready: Promise<void>;
  /** Calls run inline and calls split over threads, for profiling. */
  readonly counters = { inline: 0, parallel: 0 };
  private readonly control: Int32Array;
  private readonly text: Uint16Array;
  private readonly workers: PoolWorker[] = [];
  private readonly modules: RegisteredModule[] = [];
  /** argLists[argc]: the reused argument list (begin, end, ...args) of an inline call. */
  private readonly argLists: number[][] = [];
  private readonly spinMs: number;
  private readonly timeoutMs: number;
  private readonly canBlock: boolean;
  private exited: Promise<void>[] = [];
  private failure: string | undefined;
  private disposed = false;

  constructor(options: WorkerPoolOptions) {
    const { memory, threads } = options;
    if (!Number.isInteger(threads) || threads < 1) {
      throw new RangeError(`threads must be a positive integer, got ${threads}`);
    }
    const workers = threads - 1;
    if (workers > 0 && !isShared(memory)) {
      throw new WorkerPoolError("threads > 1 need a shared memory (SharedArrayBuffer)");
    }
    if (workers > 0 && options.host === undefined) {
      throw new WorkerPoolError("threads > 1 need a WorkerHost to start workers");
    }
    this.threads = threads;
    this.memory = memory;
    this.spinMs = (options.spinMicroseconds ?? DEFAULT_SPIN_MICROSECONDS) / 1000;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const buffer =
      workers > 0 ? new SharedArrayBuffer(controlBytes(workers)) : new ArrayBuffer(controlBytes(0));
    this.control = new Int32Array(buffer);
    const textByteOffset = textWordOffset(workers) * 4;
    this.text = new Uint16Array(buffer, textByteOffset, TEXT_UNITS);
    this.canBlock = workers > 0 && mayBlock(this.control);
    this.ready =
      workers > 0 ? this.start(options.host!, workers, textByteOffset) : Promise.resolve();
    this.ready.catch(() => undefined);
  }

  /**
   * Instantiates `module` on every thread over the pool's memory (see importPlan) and returns
   * its id for parallelFor. Workers instantiate it before their next command. `links` maps an
   * import module name to the id of a registered module whose exports (on each thread, that
   * thread's instance) provide its functions.
   */
  register(module: WebAssembly.Module, links: Readonly<Record<string, number>> = {}): number {
    this.check();
    for (const id of Object.values(links)) this.registered(id);
    const plan = importPlan(module, links);
    const exportsOf = (id: number): WebAssembly.Exports => this.registered(id).instance.exports;
    const instance = new WebAssembly.Instance(module, importsOf(plan, this.memory, exportsOf));
    const reflect = WebAssembly.Module as unknown as ModuleReflection;
    const names = reflect
      .exports(module)
      .filter((e) => e.kind === "function")
      .map((e) => e.name);
    const id = this.modules.length;
    this.modules.push({
      instance,
      exportIndex: new Map(names.map((name, index) => [name, index])),
      functions: names.map((name) => instance.exports[name] as (...args: number[]) => unknown),
    });
    for (const worker of this.workers) {
      worker.postMessage({ type: "register", id, module, plan, names });
    }
    this.dispatch(this.workers.length, OP_YIELD);
    this.awaitWorkers();
    return id;
  }

  /** The calling thread's instance of a registered module (for exports called directly). */
  instance(moduleId: number): WebAssembly.Instance {
    return this.registered(moduleId).instance;
  }

  /**
   * Calls `exportName(begin, end, ...args)` of a registered module on the parts of [0, total)
   * given by splitRange(total, grain, threads, align): the caller runs the first part, worker w
   * part w + 1. Returns when every part is done; throws WorkerPoolError if any failed.
   * `args` are i32 (at most MAX_ARGS); `grain` is the least work worth a thread; every boundary
   * but `total` is a multiple of `align`. With `withPart`, the function is called as
   * `exportName(begin, end, part, ...args)`, `part` being its part's index (0 on the caller,
   * at most threads - 1): for functions that need a region of their own (scratch) per thread.
   */
  parallelFor(
    moduleId: number,
    exportName: string,
    args: ArrayLike<number>,
    total: number,
    grain: number,
    align = 1,
    withPart = false,
  ): void {
    this.check();
    const module = this.registered(moduleId);
    const index = module.exportIndex.get(exportName);
    if (index === undefined)
      throw new WorkerPoolError(`module ${moduleId} exports no ${exportName}`);
    const argc = args.length;
    if (argc > MAX_ARGS) throw new RangeError(`at most ${MAX_ARGS} arguments, got ${argc}`);
    if (total <= 0) return;
    const fn = module.functions[index]!;
    const parts = partCount(total, grain, this.threads);
    if (parts === 1) {
      this.counters.inline++;
      this.invoke(fn, 0, total, args, withPart);
      return;
    }
    this.counters.parallel++;
    const control = this.control;
    control[MODULE] = moduleId;
    control[EXPORT] = index;
    control[ARGC] = argc;
    control[WITH_PART] = withPart ? 1 : 0;
    for (let j = 0; j < argc; j++) control[ARGS + j] = args[j]!;
    for (let part = 1; part < parts; part++) {
      const slot = SLOTS + (part - 1) * SLOT_INTS;
      control[slot + BEGIN] = partStart(part, parts, total, align);
      control[slot + END] = partStart(part + 1, parts, total, align);
    }
    this.dispatch(parts - 1, OP_RUN);
    let own: unknown;
    let failed = false;
    try {
      this.invoke(fn, 0, partStart(1, parts, total, align), args, withPart);
    } catch (error) {
      failed = true;
      own = error;
    }
    this.awaitWorkers();
    const workerFailure = this.takeWorkerFailure();
    if (failed) throw new WorkerPoolError(`calling thread: ${messageOf(own)}`, { cause: own });
    if (workerFailure !== undefined) throw new WorkerPoolError(workerFailure);
  }

  /** Stops and terminates the workers; the pool is unusable afterwards. Idempotent. */
  dispose(): Promise<void> {
    if (!this.disposed) {
      this.disposed = true;
      this.dispatch(this.workers.length, OP_STOP);
      for (const worker of this.workers) void worker.terminate();
    }
    return Promise.all(this.exited).then(() => undefined);
  }

  private start(host: WorkerHost, workers: number, textByteOffset: number): Promise<void> {
    const source = workerSource(host.prelude);
    const started: Promise<void>[] = [];
    for (let w = 0; w < workers; w++) {
      let exit!: () => void;
      this.exited.push(new Promise<void>((resolve) => (exit = resolve)));
      started.push(
        new Promise<void>((resolve, reject) => {
          const worker = host.spawn(source, {
            message: (data) => {
              if ((data as { type?: unknown } | null)?.type === "ready") resolve();
            },
            error: (error) => {
              this.failure ??= `worker ${w} failed: ${messageOf(error)}`;
              reject(new WorkerPoolError(this.failure, { cause: error }));
            },
            exit: () => {
              if (!this.disposed) this.failure ??= `worker ${w} exited`;
              reject(new WorkerPoolError(`worker ${w} exited before it started`));
              exit();
            },
          });
          this.workers.push(worker);
          worker.postMessage({
            type: "init",
            control: this.control.buffer,
            textByteOffset,
            memory: this.memory,
            worker: w,
            spinMicroseconds: this.spinMs * 1000,
          });
        }),
      );
    }
    return Promise.all(started).then(() => undefined);
  }

  /** Hands `op` to the first `count` workers; the caller then owes an awaitWorkers. */
  private dispatch(count: number, op: number): void {
    if (count === 0) return;
    const control = this.control;
    Atomics.store(control, PENDING, count);
    for (let w = 0; w < count; w++) {
      const slot = SLOTS + w * SLOT_INTS;
      control[slot + OP] = op;
      Atomics.add(control, slot + GENERATION, 1);
      Atomics.notify(control, slot + GENERATION, 1);
    }
  }

  /** Waits until PENDING is 0: spin, then sleep (or keep spinning where blocking is not allowed). */
  private awaitWorkers(): void {
    const control = this.control;
    let pending = Atomics.load(control, PENDING);
    if (pending === 0) return;
    const start = performance.now();
    const until = start + this.spinMs;
    for (let n = 1; pending !== 0; n++) {
      pending = Atomics.load(control, PENDING);
      if ((n & (SPIN_CHECK - 1)) === 0 && performance.now() > until) break;
    }
    while (pending !== 0) {
      const left = this.timeoutMs - (performance.now() - start);
      if (left <= 0) {
        this.failure ??= `workers did not finish within ${this.timeoutMs} ms (one died or hung)`;
        throw new WorkerPoolError(this.failure);
      }
      if (this.canBlock) Atomics.wait(control, PENDING, pending, left);
      pending = Atomics.load(control, PENDING);
    }
  }

  /** The first failing worker's message, if any, clearing it for the next command. */
  private takeWorkerFailure(): string | undefined {
    const control = this.control;
    const worker = Atomics.load(control, ERROR);
    if (worker === 0) return undefined;
    const length = Atomics.load(control, ERROR_LENGTH);
    let message = "";
    for (let i = 0; i < length; i++) message += String.fromCharCode(this.text[i]!);
    Atomics.store(control, ERROR, 0);
    return `worker ${worker - 1}: ${message}`;
  }

  private invoke(
    fn: (...args: number[]) => unknown,
    begin: number,
    end: number,
    args: ArrayLike<number>,
    withPart: boolean,
  ): void {
    const skip = withPart ? 1 : 0;
    const argc = args.length + skip;
    const list = (this.argLists[argc] ??= new Array<number>(argc + 2).fill(0));
    list[0] = begin;
    list[1] = end;
    if (withPart) list[2] = 0;
    for (let j = skip; j < argc; j++) list[j + 2] = args[j - skip]! | 0;
    fn(...list);
  }

  private registered(moduleId: number): RegisteredModule {
    const module = this.modules[moduleId];
    if (module === undefined) throw new WorkerPoolError(`no module ${moduleId} is registered`);
    return module;
  }

  private check(): void {
    if (this.disposed) throw new WorkerPoolError("the worker pool was disposed");
    if (this.failure !== undefined) {
      throw new WorkerPoolError(`the worker pool is broken: ${this.failure}`);
    }
  }
}

/** Whether this thread may block in Atomics.wait (not a browser's main thread). */
function mayBlock(control: Int32Array): boolean {
  try {
    Atomics.wait(control, PROBE, 1, 0);
    return true;
  } catch {
    return false;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
