/**
 * The worker pool's protocol: the layout of its command area (an Int32Array over a
 * SharedArrayBuffer of its own, posted to every worker once) and the worker's source, a string
 * so that a worker starts the same way from vitest's TypeScript sources, from dist/ and from a
 * bundle (nothing to resolve on disk). Browser-safe.
 *
 * Layout, in 32-bit words; every field a caller and a worker both write sits on a cache line of
 * its own (16 words, 64 bytes) so that a spinning thread does not share a line with the writer:
 * - line 0: PENDING, the workers that have not yet finished the current command;
 * - line 1: ERROR (0, or 1 + the index of the first worker that failed), ERROR_LENGTH (UTF-16
 *   units of its message), PROBE (a word the caller waits on once to learn whether it may block);
 * - lines 2-3: the command common to all workers: MODULE, EXPORT (the function's index in the
 *   module's function exports), ARGC, WITH_PART (1: the function takes its part index after
 *   (begin, end), the caller's part being 0 and worker w's w + 1), then ARGC i32 arguments (at
 *   most MAX_ARGS);
 * - from SLOTS, one line per worker: GENERATION (bumped by the caller to hand the worker a
 *   command), OP (run, yield to the event loop, stop), BEGIN, END (the worker's range);
 * - then TEXT_UNITS UTF-16 units for the first failing worker's message.
 *
 * Handshake (invariants): the caller writes the command and the worker's slot with plain stores,
 * sets PENDING with Atomics.store, then bumps GENERATION with Atomics.add and notifies it; the
 * worker observes the new generation with Atomics.load (which orders the plain stores before its
 * reads), runs, and decrements PENDING (the last one notifies it). The caller rewrites nothing
 * until PENDING is 0, so a worker never reads a half-written command. Workers that get no range
 * are not woken and do not count in PENDING.
 */

import { erf } from "../math.js";

/**
 * Math functions the pool provides beyond `Math`, by name: the kernels' imports that are not
 * `Math`'s. Each must be self-contained (it only calls globals): workers get its source.
 */
export const extraMath: Readonly<Record<string, (...args: number[]) => number>> = { erf };

const LINE = 16;
export const PENDING = 0;
export const ERROR = LINE;
export const ERROR_LENGTH = LINE + 1;
export const PROBE = LINE + 2;
export const MODULE = 2 * LINE;
export const EXPORT = MODULE + 1;
export const ARGC = MODULE + 2;
export const WITH_PART = MODULE + 3;
export const ARGS = MODULE + 4;
export const SLOTS = 4 * LINE;
/** Arguments after (begin, end) that one command can carry. */
export const MAX_ARGS = SLOTS - ARGS;
export const SLOT_INTS = LINE;
export const GENERATION = 0;
export const OP = 1;
export const BEGIN = 2;
export const END = 3;
export const TEXT_UNITS = 512;
/** Polls between two clock reads while spinning (a power of 2). */
export const SPIN_CHECK = 64;

/** What a worker does when its generation moves. */
export const OP_RUN = 1;
/** Returns to the worker's event loop to take one posted message (init or register). */
export const OP_YIELD = 2;
export const OP_STOP = 3;

/** Words before the message text, for `workers` workers. */
export function textWordOffset(workers: number): number {
  return SLOTS + workers * SLOT_INTS;
}

/** Bytes of the command area for `workers` workers. */
export function controlBytes(workers: number): number {
  return textWordOffset(workers) * 4 + TEXT_UNITS * 2;
}

/**
 * How a module's imports are satisfied, the same way on every thread: its memory import is the
 * pool's memory; a function import from module "math" (or "Math") is the `Math` function of
 * the same name (e.g. ("math", "exp")), or one of `extraMath` (the runtime's `erf`, whose
 * source the workers evaluate, so that every thread computes the same doubles); a function
 * import from a module the registration links (`register(module, links)`) is the function of
 * the same name exported by that thread's own instance of the linked module (wasm to wasm: a
 * driver in one module calling another's loops). Serializable, so that it is posted to workers
 * with the module.
 */
export type ImportEntry =
  | { readonly kind: "memory"; readonly module: string; readonly name: string }
  | { readonly kind: "math"; readonly module: string; readonly name: string }
  | {
      /** A function export of an earlier registered module: this thread's own instance's. */
      readonly kind: "export";
      readonly module: string;
      readonly name: string;
      readonly moduleId: number;
    };

/**
 * Defines, in the worker's global scope, `listen(handler)` (handler receives each posted
 * message's data), `post(message)` and `exit()`; see node-pool.ts and browser-pool.ts.
 */
export type WorkerPrelude = string;

/**
 * The worker: on "init" it keeps the command area, the memory and its slot; on "register" it
 * instantiates a module; after either it serves commands until told to yield or stop. Each
 * posted message is matched by exactly one OP_YIELD (the caller posts, then yields), so the
 * worker re-enters `serve` once per message and never misses a generation: `seen` persists
 * across entries.
 */
export function workerSource(prelude: WorkerPrelude): string {
  return `"use strict";
${prelude}
let control, text, memory, slot = 0, worker = 0, spinMs = 0, seen = 0;
const modules = [];
const extraMath = {
${Object.entries(extraMath)
  .map(([name, fn]) => `  ${JSON.stringify(name)}: (${fn.toString()}),`)
  .join("\n")}
};
const argLists = [];

function importsOf(plan) {
  const imports = {};
  for (const entry of plan) {
    const space = imports[entry.module] ?? (imports[entry.module] = {});
    space[entry.name] =
      entry.kind === "memory" ? memory
      : entry.kind === "export" ? modules[entry.moduleId].instance.exports[entry.name]
      : (extraMath[entry.name] ?? Math[entry.name]);
  }
  return imports;
}

function messageOf(error) {
  return error !== null && typeof error === "object" && "message" in error
    ? String(error.message) : String(error);
}

function report(error) {
  if (Atomics.compareExchange(control, ${ERROR}, 0, worker + 1) !== 0) return;
  const message = messageOf(error);
  const length = Math.min(message.length, ${TEXT_UNITS});
  for (let i = 0; i < length; i++) text[i] = message.charCodeAt(i);
  Atomics.store(control, ${ERROR_LENGTH}, length);
}

function run() {
  try {
    const id = control[${MODULE}];
    const module = modules[id];
    if (module === undefined) throw new Error("module " + id + " is not registered");
    if (module.failure !== undefined) throw new Error(module.failure);
    const withPart = control[${WITH_PART}];
    const argc = control[${ARGC}] + withPart;
    const list = argLists[argc] ?? (argLists[argc] = new Array(argc + 2).fill(0));
    list[0] = control[slot + ${BEGIN}];
    list[1] = control[slot + ${END}];
    if (withPart === 1) list[2] = worker + 1;
    for (let j = withPart; j < argc; j++) list[j + 2] = control[${ARGS} + j - withPart];
    module.functions[control[${EXPORT}]].apply(undefined, list);
  } catch (error) {
    report(error);
  }
}

function serve() {
  for (;;) {
    const at = slot + ${GENERATION};
    let generation = Atomics.load(control, at);
    if (generation === seen && spinMs > 0) {
      const until = performance.now() + spinMs;
      for (let n = 1; generation === seen; n++) {
        generation = Atomics.load(control, at);
        if ((n & ${SPIN_CHECK - 1}) === 0 && performance.now() > until) break;
      }
    }
    while (generation === seen) {
      Atomics.wait(control, at, seen);
      generation = Atomics.load(control, at);
    }
    seen = generation;
    const op = control[slot + ${OP}];
    if (op === ${OP_RUN}) run();
    if (Atomics.sub(control, ${PENDING}, 1) === 1) Atomics.notify(control, ${PENDING});
    if (op === ${OP_YIELD}) return;
    if (op === ${OP_STOP}) return exit();
  }
}

listen((message) => {
  if (message.type === "init") {
    control = new Int32Array(message.control);
    text = new Uint16Array(message.control, message.textByteOffset, ${TEXT_UNITS});
    memory = message.memory;
    worker = message.worker;
    slot = ${SLOTS} + worker * ${SLOT_INTS};
    spinMs = message.spinMicroseconds / 1000;
    post({ type: "ready" });
  } else if (message.type === "register") {
    try {
      const instance = new WebAssembly.Instance(message.module, importsOf(message.plan));
      modules[message.id] = { instance, functions: message.names.map((name) => instance.exports[name]) };
    } catch (error) {
      modules[message.id] = { functions: [], failure: "instantiating the module failed: " + messageOf(error) };
    }
  }
  serve();
});
`;
}
