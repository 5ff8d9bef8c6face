/**
 * A fuzz worker thread: runs each input it is sent through `runStages` and posts the outcome,
 * announcing each stage first so that the parent, which kills it past the time limit, can say
 * which stage hung.
 *
 * Protocol: receives `{ id, text, formatEvery }`; posts `{ id, stage }` while working and `{ id, outcome }`
 * at the end, one input at a time.
 */
import { parentPort } from "node:worker_threads";
import { runStages } from "./stages.js";

const port = parentPort!;
port.on(
  "message",
  (message: { readonly id: number; readonly text: string; readonly formatEvery: number }) => {
    const { id, text, formatEvery } = message;
    void runStages(text, (stage) => port.postMessage({ id, stage }), { formatEvery }).then(
      (outcome) => port.postMessage({ id, outcome }),
    );
  },
);
