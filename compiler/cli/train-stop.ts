/**
 * How `nnc train` stops early on its own terms: Ctrl-C (SIGINT) and SIGTERM abort `fit` after
 * the step running (a second signal gets Node's default, so a stuck run can still be killed),
 * and the one-line reports of an interrupted or diverged run. Assumes one training run watches
 * signals at a time; `stop` restores the process's handlers.
 */
import type { Divergence } from "../../runtime/index.js";

export type StopSignal = "SIGINT" | "SIGTERM";

export interface SignalWatch {
  /** Aborted by the first SIGINT or SIGTERM. */
  readonly signal: AbortSignal;
  /** The signal that aborted, or null. */
  readonly caught: StopSignal | null;
  /** Removes the handlers (idempotent). */
  stop(): void;
}

/** Listens for SIGINT and SIGTERM until `stop`; the first one aborts `signal`. */
export function watchSignals(): SignalWatch {
  const controller = new AbortController();
  let caught: StopSignal | null = null;
  const names: readonly StopSignal[] = ["SIGINT", "SIGTERM"];
  const stop = (): void => {
    for (const name of names) process.removeListener(name, handlers[name]);
  };
  const handler = (name: StopSignal) => (): void => {
    caught = name;
    stop();
    controller.abort();
  };
  const handlers: Record<StopSignal, () => void> = {
    SIGINT: handler("SIGINT"),
    SIGTERM: handler("SIGTERM"),
  };
  for (const name of names) process.on(name, handlers[name]);
  return {
    signal: controller.signal,
    get caught() {
      return caught;
    },
    stop,
  };
}

/** `w.safetensors` -> `w.last-finite.safetensors`: where a diverged run's last good weights go. */
export function lastFinitePath(save: string): string {
  return save.endsWith(".safetensors")
    ? `${save.slice(0, -".safetensors".length)}.last-finite.safetensors`
    : `${save}.last-finite.safetensors`;
}

/** One line: where training diverged, the last finite loss, what was saved, and what to try. */
export function divergenceMessage(
  diverged: Divergence,
  saved: { readonly epoch: number; readonly path: string } | null,
): string {
  const what =
    diverged.what === "loss"
      ? `the loss became NaN or infinite at epoch ${diverged.epoch}, step ${diverged.step}`
      : `a weight became NaN or infinite at epoch ${diverged.epoch}, step ${diverged.step}`;
  const last = diverged.lastFiniteLoss;
  const lastText = last
    ? `last finite loss ${last.loss.toPrecision(6)} (epoch ${last.epoch}, step ${last.step})`
    : "no finite loss was read before it";
  const savedText = saved
    ? `; saved the weights of epoch ${saved.epoch}, the last finite ones, to ${saved.path}`
    : "";
  return (
    `training diverged: ${what}; ${lastText}${savedText}; ` +
    `try a lower learning rate (optimizer lr) or normalising the inputs (data { normalize: standard })`
  );
}

/** One line: which signal stopped training after how many epochs, and what was saved. */
export function interruptedMessage(
  caught: StopSignal,
  finished: number,
  save: string | undefined,
  savedEpoch: number | null,
): string {
  const head = `interrupted by ${caught} after ${finished} finished epoch${finished === 1 ? "" : "s"}`;
  if (save === undefined) return head;
  return savedEpoch === null
    ? `${head}; no epoch finished with finite weights, so ${save} was not written`
    : `${head}; saved the weights of epoch ${savedEpoch} to ${save}`;
}
