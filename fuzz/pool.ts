/**
 * Worker threads that run fuzz inputs with a time limit each: an input still running past the
 * limit is a hang at the stage its worker last announced, and the worker is terminated and
 * replaced; a worker that dies (out of memory, a native fault) is a crash at that stage. Each
 * worker is replaced after `recycleAfter` inputs, because every generated module it imported
 * stays in its module map: memory stays flat over any number of inputs.
 *
 * Guarantees: `run` always resolves, with the outcome or a hang/crash failure; at most `jobs`
 * inputs run at once.
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { packageRoot } from "../compiler/cli/package-root.js";
import type { Outcome, Stage } from "./stages.js";

export interface PoolOptions {
  readonly jobs: number;
  /** Per-input time limit, in milliseconds. */
  readonly timeoutMs: number;
  readonly recycleAfter?: number;
  /** See StageOptions.formatEvery. */
  readonly formatEvery?: number;
}

interface Slot {
  worker: Worker | null;
  used: number;
  busy: boolean;
}

interface Job {
  readonly text: string;
  readonly resolve: (outcome: Outcome) => void;
}

/** The built worker (dist/fuzz), also when this module runs from source under vitest. */
const workerUrl = pathToFileURL(join(packageRoot(), "dist", "fuzz", "worker.js"));

export class FuzzPool {
  private readonly slots: Slot[];
  private readonly queue: Job[] = [];
  private nextId = 0;

  constructor(private readonly options: PoolOptions) {
    this.slots = Array.from({ length: options.jobs }, () => ({
      worker: null,
      used: 0,
      busy: false,
    }));
  }

  /** The outcome of one input (queued until a worker is free). */
  run(text: string): Promise<Outcome> {
    return new Promise((resolve) => {
      this.queue.push({ text, resolve });
      this.pump();
    });
  }

  /** Terminates every worker. */
  async close(): Promise<void> {
    await Promise.all(this.slots.map((slot) => slot.worker?.terminate()));
    for (const slot of this.slots) slot.worker = null;
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (slot.busy) continue;
      const job = this.queue.shift();
      if (job === undefined) return;
      this.start(slot, job);
    }
  }

  private start(slot: Slot, job: Job): void {
    if (slot.worker !== null && slot.used >= (this.options.recycleAfter ?? 100)) {
      void slot.worker.terminate();
      slot.worker = null;
    }
    if (slot.worker === null) {
      slot.worker = new Worker(workerUrl, { resourceLimits: { maxOldGenerationSizeMb: 1536 } });
      slot.worker.unref();
      slot.used = 0;
    }
    const worker = slot.worker;
    slot.busy = true;
    slot.used += 1;
    const id = this.nextId++;
    let stage: Stage = "parse";
    const finish = (outcome: Outcome, kill: boolean): void => {
      clearTimeout(timer);
      worker.off("message", onMessage);
      worker.off("exit", onExit);
      worker.off("error", onError);
      if (kill) {
        void worker.terminate();
        if (slot.worker === worker) slot.worker = null;
      }
      slot.busy = false;
      job.resolve(outcome);
      this.pump();
    };
    const onMessage = (message: { id: number; stage?: Stage; outcome?: Outcome }): void => {
      if (message.id !== id) return;
      if (message.stage !== undefined) stage = message.stage;
      if (message.outcome !== undefined) finish(message.outcome, false);
    };
    const onExit = (code: number): void =>
      finish(
        {
          reached: "input",
          failure: { kind: `crash:${stage}:worker-exit`, detail: `exit ${code}` },
          code: null,
        },
        true,
      );
    const onError = (error: Error): void =>
      finish(
        {
          reached: "input",
          failure: {
            kind: `crash:${stage}:worker-${error.name}`,
            detail: String(error.stack ?? error),
          },
          code: null,
        },
        true,
      );
    const timer = setTimeout(
      () =>
        finish(
          {
            reached: "input",
            failure: { kind: `hang:${stage}`, detail: `over ${this.options.timeoutMs} ms` },
            code: null,
          },
          true,
        ),
      this.options.timeoutMs,
    );
    worker.on("message", onMessage);
    worker.on("exit", onExit);
    worker.on("error", onError);
    worker.postMessage({ id, text: job.text, formatEvery: this.options.formatEvery ?? 1 });
  }
}
